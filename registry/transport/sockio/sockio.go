// Package sockio is what stream transport plugins (tcp, ipc, and any
// socket-based transport of a third party) share, so that each plugin
// only parses its addresses and sets its socket options:
//
//   - Conn wraps a connected net.Conn as a transport.StreamConn that also
//     writes with writev (transport.Buffers; through net.Buffers for TCP
//     and Unix sockets, through Writev for any other socket such as
//     AF_VSOCK) and reads with readv
//     (transport.BuffersReader), so the core can read a large frame body
//     straight into a message and the next frame header into its read
//     buffer with one system call;
//   - Listener is an accept loop that honours a context and reports the
//     lifecycle events (ACCEPTED, ACCEPT_FAILED, CLOSED, CLOSE_FAILED)
//     that socket monitoring needs;
//   - OpError and Errno map OS errors to the transport sentinels and to
//     the errno values libzmq puts in its monitor events.
package sockio

import (
	"errors"
	"syscall"
)

// ErrUnsupported is returned where scatter reads or gather writes are not
// available.
var ErrUnsupported = errors.New("sockio: scatter/gather I/O not supported")

// Readv reads from one connection into several buffers with one readv
// system call, waiting through the Go poller (so read deadlines apply).
// Make one per connection: it keeps its system-call arguments so that a
// read allocates nothing. It is not safe for concurrent use.
type Readv struct {
	rc   syscall.RawConn
	fn   func(fd uintptr) bool
	bufs [][]byte
	n    int
	err  error
	sys  readvState
}

// NewReadv prepares scatter reads on c.
func NewReadv(c syscall.Conn) (*Readv, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	r := &Readv{rc: rc}
	r.fn = r.try
	return r, nil
}

// ReadBuffers fills bufs in order and returns how many bytes it read;
// io.EOF when the peer closed.
func (r *Readv) ReadBuffers(bufs [][]byte) (int, error) {
	r.bufs = bufs
	r.n, r.err = 0, nil
	if err := r.rc.Read(r.fn); err != nil {
		r.bufs = nil
		return 0, err
	}
	r.bufs = nil
	return r.finish()
}
