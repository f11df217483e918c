package sockio

import (
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// idleRead is the state of Conn.ReadIdle: its system-call arguments and
// results, kept so that a read allocates nothing.
type idleRead struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool
	get func() []byte
	put func()
	n   int
	err error
}

// ReadIdle reads like Read into the buffer get returns, but holds no
// buffer while it waits: when the socket has nothing to read it calls put
// (the buffer may go back to a pool), waits for data through the Go
// poller (read deadlines apply), then calls get again. Many idle peers
// thus hold no read buffers (transport.IdleReader). It is meant for the
// connection's single reader.
func (c *Conn) ReadIdle(get func() []byte, put func()) (int, error) {
	c.irOnce.Do(func() {
		if sc, ok := c.Conn.(syscall.Conn); ok && idleReadSupported {
			if rc, err := sc.SyscallConn(); err == nil {
				c.ir = &idleRead{rc: rc}
				c.ir.fn = c.ir.try
			}
		}
	})
	r := c.ir
	if r == nil {
		return c.Conn.Read(get())
	}
	r.get, r.put = get, put
	r.n, r.err = 0, nil
	err := r.rc.Read(r.fn)
	r.get, r.put = nil, nil
	switch {
	case err != nil:
		var oe *net.OpError
		if errors.As(err, &oe) && oe.Op == "raw-read" {
			oe.Op = "read" // the deadline and close errors as Read words them
		}
		return 0, err
	case r.err == io.EOF:
		return 0, io.EOF
	case r.err != nil:
		la := c.LocalAddr()
		return 0, &net.OpError{Op: "read", Net: la.Network(), Source: la, Addr: c.RemoteAddr(),
			Err: os.NewSyscallError("read", r.err)}
	}
	return r.n, nil
}
