//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sockio

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

const writevSupported = true

// maxIovecs bounds one writev's vector (IOV_MAX is 1024 on these systems).
const maxIovecs = 1024

type writevState struct {
	iov []unix.Iovec
}

// try writes until everything is out (true), the socket is full (false:
// the poller waits for writability) or an error (true, w.err set).
func (w *Writev) try(fd uintptr) bool {
	s := &w.sys
	for w.i < len(w.bufs) {
		s.iov = s.iov[:0]
		for j := w.i; j < len(w.bufs) && len(s.iov) < maxIovecs; j++ {
			b := w.bufs[j]
			if j == w.i {
				b = b[w.off:]
			}
			if len(b) == 0 {
				continue
			}
			v := unix.Iovec{Base: &b[0]}
			v.SetLen(len(b))
			s.iov = append(s.iov, v)
		}
		n, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&s.iov[0])), uintptr(len(s.iov)))
		clear(s.iov) // drop the buffer pointers
		switch e {
		case 0:
			w.advance(int(n))
		case syscall.EINTR:
		case syscall.EAGAIN:
			return false
		default:
			w.err = e
			return true
		}
	}
	return true
}
