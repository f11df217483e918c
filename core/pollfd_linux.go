package core

import "golang.org/x/sys/unix"

// newFDWaker returns a waker on an eventfd.
func newFDWaker() (*fdWaker, error) {
	fd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return nil, err
	}
	return &fdWaker{rfd: fd, wfd: fd}, nil
}
