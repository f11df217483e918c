package sockio

import "syscall"

// Writev writes several buffers to one connection with writev system
// calls, waiting through the Go poller (so write deadlines apply). It is
// what Conn.WriteBuffers uses for sockets the net package can not writev
// itself (AF_VSOCK and other families outside net); *net.TCPConn and
// *net.UnixConn use net.Buffers. Make one per connection: it keeps its
// system-call arguments so that a write allocates nothing. It is not safe
// for concurrent use.
type Writev struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	bufs [][]byte
	i    int   // first buffer not fully written
	off  int   // bytes of bufs[i] already written
	n    int64 // bytes written by this call
	err  error
	sys  writevState
}

// NewWritev prepares gather writes on c; ErrUnsupported on systems
// without writev.
func NewWritev(c syscall.Conn) (*Writev, error) {
	if !writevSupported {
		return nil, ErrUnsupported
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	w := &Writev{rc: rc}
	w.fn = w.try
	return w, nil
}

// WriteBuffers writes all of bufs, in order, and returns how many bytes it
// wrote; bufs itself is not modified. On an error (a write deadline, a
// broken connection) the count says how much went out.
func (w *Writev) WriteBuffers(bufs [][]byte) (int64, error) {
	w.bufs, w.i, w.off, w.n, w.err = bufs, 0, 0, 0, nil
	w.skipEmpty()
	if w.i < len(w.bufs) {
		if err := w.rc.Write(w.fn); err != nil && w.err == nil {
			w.err = err
		}
	}
	w.bufs = nil
	return w.n, w.err
}

// advance consumes n written bytes.
func (w *Writev) advance(n int) {
	w.n += int64(n)
	for n > 0 {
		rest := len(w.bufs[w.i]) - w.off
		if n < rest {
			w.off += n
			return
		}
		n -= rest
		w.i, w.off = w.i+1, 0
	}
	w.skipEmpty()
}

func (w *Writev) skipEmpty() {
	for w.i < len(w.bufs) && len(w.bufs[w.i])-w.off == 0 {
		w.i, w.off = w.i+1, 0
	}
}
