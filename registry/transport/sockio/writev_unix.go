//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package sockio

import (
	"io"
	"os"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

func setNonblock(fd int) error { return syscall.SetNonblock(fd, true) }

func closeFD(fd int) { _ = syscall.Close(fd) }

// maxWritev bounds the iovecs of one writev (IOV_MAX is 1024).
const maxWritev = 1024

// writev gathers buffers into writev calls through the file's poller.
type writev struct {
	iov   []unix.Iovec
	bufs  [][]byte
	total int64
	err   error
	fn    func(fd uintptr) bool
}

func (w *writev) write(f *os.File, bufs [][]byte) (int64, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	if w.fn == nil {
		w.fn = w.try
	}
	w.bufs = append(w.bufs[:0], bufs...)
	w.total, w.err = 0, nil
	for len(w.bufs) > 0 && w.err == nil {
		if err := rc.Write(w.fn); err != nil {
			w.err = err
		}
	}
	clear(w.bufs)
	w.bufs = w.bufs[:0]
	return w.total, w.err
}

// try writes what it can of w.bufs; false asks the poller to wait.
func (w *writev) try(fd uintptr) bool {
	for len(w.bufs) > 0 && len(w.bufs[0]) == 0 {
		w.bufs = w.bufs[1:]
	}
	if len(w.bufs) == 0 {
		return true
	}
	w.iov = w.iov[:0]
	for _, b := range w.bufs {
		if len(w.iov) == maxWritev {
			break
		}
		if len(b) == 0 {
			continue
		}
		v := unix.Iovec{Base: &b[0]}
		v.SetLen(len(b))
		w.iov = append(w.iov, v)
	}
	for {
		n, _, e := syscall.Syscall(syscall.SYS_WRITEV, fd, uintptr(unsafe.Pointer(&w.iov[0])), uintptr(len(w.iov)))
		if e == syscall.EINTR {
			continue
		}
		clear(w.iov)
		if e == syscall.EAGAIN {
			return false
		}
		if e != 0 {
			w.err = &os.PathError{Op: "writev", Path: "socket", Err: e}
			return true
		}
		if n == 0 {
			w.err = io.ErrShortWrite
			return true
		}
		w.total += int64(n)
		w.consume(int(n))
		return true
	}
}

// consume drops n written bytes from the front of w.bufs.
func (w *writev) consume(n int) {
	for n > 0 && len(w.bufs) > 0 {
		if n >= len(w.bufs[0]) {
			n -= len(w.bufs[0])
			w.bufs = w.bufs[1:]
			continue
		}
		w.bufs[0] = w.bufs[0][n:]
		n = 0
	}
}
