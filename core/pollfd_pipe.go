//go:build aix || darwin || dragonfly || freebsd || netbsd || openbsd || solaris

package core

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// newFDWaker returns a waker on a non-blocking pipe.
func newFDWaker() (*fdWaker, error) {
	var p [2]int
	syscall.ForkLock.RLock() // no fork between pipe and close-on-exec
	err := unix.Pipe(p[:])
	if err == nil {
		unix.CloseOnExec(p[0])
		unix.CloseOnExec(p[1])
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return nil, err
	}
	for _, fd := range p {
		if err := unix.SetNonblock(fd, true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, err
		}
	}
	return &fdWaker{rfd: p[0], wfd: p[1]}, nil
}
