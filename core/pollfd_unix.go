//go:build aix || darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris

package core

import (
	"encoding/binary"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// fdPollSupported says whether Poll and Poller take Conn items here: on
// these systems one poll(2) call waits for all of them and for the
// sockets at once.
const fdPollSupported = true

// fdSet is the poll(2) argument of a wait, kept between waits.
type fdSet struct {
	pfd []unix.PollFd
	idx []int // pfd[i] is snap[idx[i]]
}

// fdWaker is the descriptor a blocked poll(2) also watches, so that a
// socket becoming ready, a Poller change or the end of ctx wakes it.
type fdWaker struct {
	pending atomic.Bool // written to since the last drain
	mu      sync.Mutex  // guards the descriptors against close
	rfd     int
	wfd     int // == rfd for an eventfd
}

// wake makes the waker readable; it never blocks.
func (k *fdWaker) wake() {
	if k.pending.Swap(true) {
		return
	}
	k.mu.Lock()
	if k.wfd >= 0 {
		var one [8]byte // an eventfd takes an 8-byte count
		binary.NativeEndian.PutUint64(one[:], 1)
		if k.wfd != k.rfd {
			unix.Write(k.wfd, one[:1]) // a pipe: one byte
		} else {
			unix.Write(k.wfd, one[:])
		}
	}
	k.mu.Unlock()
}

// drain consumes the wake-ups; the caller then checks the sockets, so a
// wake-up that comes after drain is seen by the next poll(2).
func (k *fdWaker) drain() {
	if !k.pending.Load() {
		return
	}
	var buf [64]byte
	for {
		n, err := unix.Read(k.rfd, buf[:])
		if err != nil || n < len(buf) || k.wfd == k.rfd {
			break
		}
	}
	k.pending.Store(false)
}

// close releases the descriptors; later wakes do nothing.
func (k *fdWaker) close() {
	k.mu.Lock()
	if k.rfd >= 0 {
		unix.Close(k.rfd)
		if k.wfd != k.rfd {
			unix.Close(k.wfd)
		}
		k.rfd, k.wfd = -1, -1
	}
	k.mu.Unlock()
}

// pollMillis turns a wait into poll(2)'s timeout: -1 for none, rounded up
// to whole milliseconds so a short wait does not spin.
func pollMillis(d time.Duration) int {
	if d < 0 {
		return -1
	}
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(ms)
}

// pollFDs polls the Conn items of the snapshot for up to timeout (< 0:
// until k wakes it; 0: just check; k may then be nil) and stores what each
// is ready for in w.fdEv. A closed Conn fails with ErrClosed.
func (w *pollWait) pollFDs(timeout time.Duration, k *fdWaker) error {
	fs := &w.fds
	fs.pfd = fs.pfd[:0]
	fs.idx = fs.idx[:0]
	for i, e := range w.snap {
		if e.c == nil {
			continue
		}
		w.fdEv[i] = 0
		var fd int
		if err := e.rc.Control(func(f uintptr) { fd = int(f) }); err != nil {
			return connClosed(i, err)
		}
		pf := unix.PollFd{Fd: int32(fd)}
		if e.ev&PollIn != 0 {
			pf.Events |= unix.POLLIN
		}
		if e.ev&PollOut != 0 {
			pf.Events |= unix.POLLOUT
		}
		if e.ev&PollPri != 0 {
			pf.Events |= unix.POLLPRI
		}
		if e.ev == 0 {
			pf.Fd = -1 // registered but not polled: poll(2) skips it
		}
		fs.pfd = append(fs.pfd, pf)
		fs.idx = append(fs.idx, i)
	}
	ms := pollMillis(timeout)
	if ms != 0 && k != nil {
		fs.pfd = append(fs.pfd, unix.PollFd{Fd: int32(k.rfd), Events: unix.POLLIN})
	}
	n, err := unix.Poll(fs.pfd, ms)
	if err == unix.EINTR {
		return nil // as if woken: the caller checks and polls again
	}
	if err != nil {
		return err
	}
	if n == 0 {
		return nil
	}
	for j, i := range fs.idx {
		re := fs.pfd[j].Revents
		var ev PollEvents
		if re&unix.POLLIN != 0 {
			ev |= PollIn
		}
		if re&unix.POLLOUT != 0 {
			ev |= PollOut
		}
		if re&unix.POLLPRI != 0 {
			ev |= PollPri
		}
		if re&unix.POLLNVAL != 0 {
			// The descriptor was closed during the wait: report a
			// closed Conn as ErrClosed, like before the wait.
			if err := w.snap[i].rc.Control(func(uintptr) {}); err != nil {
				return connClosed(i, err)
			}
		}
		if re&^(unix.POLLIN|unix.POLLOUT|unix.POLLPRI) != 0 {
			ev |= PollErr // POLLERR, POLLHUP, POLLNVAL, ... as libzmq's zmq_poll maps them
		}
		w.fdEv[i] = ev
	}
	return nil
}
