package sockio

import (
	"net"
	"sync"
	"syscall"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// Conn is a connected stream socket as the core wants it. Read, Write,
// Close and the deadline methods are the wrapped net.Conn's.
type Conn struct {
	net.Conn
	fd                  int
	local, remote, peer string

	wbMu sync.Mutex
	wb   net.Buffers // reused by WriteBuffers
	wv   *Writev     // gather writes where net.Buffers would not writev

	rvOnce sync.Once
	rv     *Readv // scatter reads, made on first use
	rvErr  error

	irOnce sync.Once
	ir     *idleRead // reads that hold no buffer while they wait
}

var (
	_ transport.StreamConn    = (*Conn)(nil)
	_ transport.Buffers       = (*Conn)(nil)
	_ transport.BuffersReader = (*Conn)(nil)
	_ transport.IdleReader    = (*Conn)(nil)
	_ transport.DirectConn    = (*Conn)(nil)
)

// NewConn wraps c with the endpoint strings of both ends (e.g.
// "tcp://127.0.0.1:5555") and the Peer-Address property value.
func NewConn(c net.Conn, local, remote, peer string) *Conn {
	conn := &Conn{Conn: c, fd: -1, local: local, remote: remote, peer: peer}
	if sc, ok := c.(syscall.Conn); ok {
		conn.fd = FD(sc)
		switch c.(type) {
		case *net.TCPConn, *net.UnixConn: // net.Buffers writes these with writev
		default:
			conn.wv, _ = NewWritev(sc) // nil where unsupported: net.Buffers
		}
	}
	return conn
}

// LocalAddress is the local endpoint ("" when the socket is unnamed).
func (c *Conn) LocalAddress() string { return c.local }

// RemoteAddress is the peer's endpoint ("" when the peer is unnamed).
func (c *Conn) RemoteAddress() string { return c.remote }

// PeerAddress is the Peer-Address property: the peer's numeric IP for
// tcp, empty where there is none.
func (c *Conn) PeerAddress() string { return c.peer }

// Direct reports that the connection's bytes are those of its descriptor
// (transport.DirectConn): true when it has one.
func (c *Conn) Direct() bool { return c.fd >= 0 }

// FD is the connection's OS descriptor (not a duplicate), or -1; it is
// only meaningful until Close.
func (c *Conn) FD() int { return c.fd }

// WriteBuffers writes bufs with as few system calls as possible (writev).
// bufs itself is not modified.
func (c *Conn) WriteBuffers(bufs [][]byte) (int64, error) {
	c.wbMu.Lock()
	defer c.wbMu.Unlock()
	if c.wv != nil {
		return c.wv.WriteBuffers(bufs)
	}
	c.wb = append(c.wb[:0], bufs...) // WriteTo consumes its receiver: copy
	b := c.wb
	n, err := b.WriteTo(c.Conn)
	clear(c.wb)
	return n, err
}

// ReadBuffers reads into bufs, in order, with one readv system call. It is
// meant for the connection's single reader.
func (c *Conn) ReadBuffers(bufs [][]byte) (int, error) {
	c.rvOnce.Do(func() {
		sc, ok := c.Conn.(syscall.Conn)
		if !ok {
			c.rvErr = ErrUnsupported
			return
		}
		c.rv, c.rvErr = NewReadv(sc)
	})
	if c.rvErr != nil {
		return 0, c.rvErr
	}
	return c.rv.ReadBuffers(bufs)
}

// FD returns the descriptor of a socket without duplicating it, or -1.
func FD(sc syscall.Conn) int {
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if err := rc.Control(func(s uintptr) { fd = int(s) }); err != nil {
		return -1
	}
	return fd
}
