//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sockio

import (
	"io"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

type readvState struct {
	iov   []unix.Iovec
	total int
}

// try runs one readv; false asks the poller to wait for readability.
func (r *Readv) try(fd uintptr) bool {
	s := &r.sys
	s.iov = s.iov[:0]
	s.total = 0
	for _, b := range r.bufs {
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		s.iov = append(s.iov, v)
		s.total += len(b)
	}
	if len(s.iov) == 0 {
		return true
	}
	for {
		n, _, e := syscall.Syscall(syscall.SYS_READV, fd, uintptr(unsafe.Pointer(&s.iov[0])), uintptr(len(s.iov)))
		if e == syscall.EINTR {
			continue
		}
		clear(s.iov) // drop the buffer pointers
		if e == syscall.EAGAIN {
			return false
		}
		if e != 0 {
			r.err = e
		} else {
			r.n = int(n)
		}
		return true
	}
}

func (r *Readv) finish() (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if r.n == 0 && r.sys.total > 0 {
		return 0, io.EOF
	}
	return r.n, nil
}
