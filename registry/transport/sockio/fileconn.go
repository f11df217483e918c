package sockio

import (
	"os"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// FileConn is a connected stream socket held as an *os.File: a descriptor
// received from another process (an out-of-process plugin hands its
// connections over this way), or one that net.FileConn can not wrap, such
// as an AF_VSOCK socket. Any socket family works: a nonblocking descriptor
// is pollable, so reads and writes wait in the Go poller and honour
// deadlines like a net.Conn's. It writes with writev and reads with readv.
type FileConn struct {
	f                   *os.File
	fd                  int
	local, remote, peer string

	wmu sync.Mutex
	wv  writev

	rvOnce sync.Once
	rv     *Readv
	rvErr  error
}

var (
	_ transport.StreamConn    = (*FileConn)(nil)
	_ transport.Buffers       = (*FileConn)(nil)
	_ transport.BuffersReader = (*FileConn)(nil)
	_ transport.DirectConn    = (*FileConn)(nil)
)

// NewFileConn wraps the connected socket fd, which it takes over (closing
// it with the connection), with the endpoint strings of both ends and the
// Peer-Address property value. It puts the descriptor in nonblocking mode.
func NewFileConn(fd int, name, local, remote, peer string) (*FileConn, error) {
	if err := setNonblock(fd); err != nil {
		closeFD(fd)
		return nil, err
	}
	f := os.NewFile(uintptr(fd), name)
	c := &FileConn{f: f, fd: fd, local: local, remote: remote, peer: peer}
	return c, nil
}

// Read reads from the socket.
func (c *FileConn) Read(b []byte) (int, error) { return c.f.Read(b) }

// Write writes b whole.
func (c *FileConn) Write(b []byte) (int, error) { return c.f.Write(b) }

// Close closes the descriptor.
func (c *FileConn) Close() error { return c.f.Close() }

// SetReadDeadline sets the deadline of reads.
func (c *FileConn) SetReadDeadline(t time.Time) error { return c.f.SetReadDeadline(t) }

// SetWriteDeadline sets the deadline of writes.
func (c *FileConn) SetWriteDeadline(t time.Time) error { return c.f.SetWriteDeadline(t) }

// LocalAddress is the local endpoint.
func (c *FileConn) LocalAddress() string { return c.local }

// RemoteAddress is the peer's endpoint.
func (c *FileConn) RemoteAddress() string { return c.remote }

// PeerAddress is the Peer-Address property.
func (c *FileConn) PeerAddress() string { return c.peer }

// FD is the descriptor; it is only meaningful until Close.
func (c *FileConn) FD() int { return c.fd }

// Direct is true: the bytes are those of the descriptor.
func (c *FileConn) Direct() bool { return true }

// File returns the underlying file.
func (c *FileConn) File() *os.File { return c.f }

// WriteBuffers writes bufs in order with as few writev calls as possible.
func (c *FileConn) WriteBuffers(bufs [][]byte) (int64, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.wv.write(c.f, bufs)
}

// ReadBuffers reads into bufs, in order, with one readv; it is meant for
// the connection's single reader.
func (c *FileConn) ReadBuffers(bufs [][]byte) (int, error) {
	c.rvOnce.Do(func() { c.rv, c.rvErr = NewReadv(c.f) })
	if c.rvErr != nil {
		return 0, c.rvErr
	}
	return c.rv.ReadBuffers(bufs)
}
