//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sockio

import (
	"io"
	"syscall"
)

const idleReadSupported = true

// try runs one read into the buffer get returns; when nothing is there
// it gives the buffer back and asks the poller to wait (false).
func (r *idleRead) try(fd uintptr) bool {
	b := r.get()
	for {
		n, err := syscall.Read(int(fd), b)
		if err == syscall.EINTR {
			continue
		}
		if err == syscall.EAGAIN {
			r.put()
			return false
		}
		switch {
		case err != nil:
			r.err = err
		case n == 0 && len(b) > 0:
			r.err = io.EOF
		default:
			r.n = n
		}
		return true
	}
}
