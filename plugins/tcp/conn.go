package tcp

import (
	"net"
	"sync"
	"syscall"

	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// conn is a TCP connection: a transport.StreamConn and transport.Buffers.
// Read, Write, Close and the deadline methods are net.TCPConn's.
type conn struct {
	*net.TCPConn
	fd                  int
	local, remote, peer string

	wbMu sync.Mutex
	wb   net.Buffers // reused by WriteBuffers

	rvOnce sync.Once
	rv     *sockio.Readv // scatter reads, made on first use
	rvErr  error
}

var (
	_ transport.StreamConn    = (*conn)(nil)
	_ transport.Buffers       = (*conn)(nil)
	_ transport.BuffersReader = (*conn)(nil)
)

// ReadBuffers reads into bufs, in order, with one readv system call. It is
// meant for the connection's single reader.
func (c *conn) ReadBuffers(bufs [][]byte) (int, error) {
	c.rvOnce.Do(func() { c.rv, c.rvErr = sockio.NewReadv(c.TCPConn) })
	if c.rvErr != nil {
		return 0, c.rvErr
	}
	return c.rv.ReadBuffers(bufs)
}

func newConn(c *net.TCPConn) *conn {
	ra, _ := c.RemoteAddr().(*net.TCPAddr)
	return &conn{
		TCPConn: c,
		fd:      fdOf(c),
		local:   endpointOf(c.LocalAddr()),
		remote:  endpointOf(c.RemoteAddr()),
		peer:    hostString(ra),
	}
}

// LocalAddress is the local endpoint, "tcp://ip:port".
func (c *conn) LocalAddress() string { return c.local }

// RemoteAddress is the peer's endpoint, "tcp://ip:port".
func (c *conn) RemoteAddress() string { return c.remote }

// PeerAddress is the peer's numeric IP without port (IPv6 without
// brackets), as ZMQ's Peer-Address property gives it.
func (c *conn) PeerAddress() string { return c.peer }

// FD is the connection's OS descriptor (not a duplicate); it is only
// meaningful until Close.
func (c *conn) FD() int { return c.fd }

// WriteBuffers writes bufs with as few system calls as possible (writev).
// bufs itself is not modified.
func (c *conn) WriteBuffers(bufs [][]byte) (int64, error) {
	c.wbMu.Lock()
	defer c.wbMu.Unlock()
	c.wb = append(c.wb[:0], bufs...) // WriteTo consumes its receiver: copy
	b := c.wb
	n, err := b.WriteTo(c.TCPConn)
	clear(c.wb)
	return n, err
}

// fdOf returns the descriptor of a socket without duplicating it, or -1.
func fdOf(sc syscall.Conn) int {
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
