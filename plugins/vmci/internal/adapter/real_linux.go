package adapter

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/mdlayher/socket"
	"github.com/mdlayher/vsock"
	"golang.org/x/sys/unix"
)

// Real is the AF_VSOCK socket layer. Its sockets are made with
// mdlayher/socket, the layer under mdlayher/vsock, because vsock.Dial and
// vsock.ListenContextID can not set options before connect or bind (a
// VMCI queue pair is sized at connect), nor a backlog; the local CID and
// the address type are mdlayher/vsock's.
func Real() Layer { return realLayer{} }

type realLayer struct{}

// LocalCID asks /dev/vsock (IOCTL_VM_SOCKETS_GET_LOCAL_CID).
func (realLayer) LocalCID() (uint32, error) {
	cid, err := vsock.ContextID()
	if err != nil {
		return 0, unwrapOp(err)
	}
	return cid, nil
}

// unwrapOp returns the error inside a *net.OpError of mdlayher/vsock.
func unwrapOp(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

// newSocket makes an AF_VSOCK stream socket with opts applied.
func newSocket(opts *SockOpts) (*socket.Conn, error) {
	c, err := socket.Socket(unix.AF_VSOCK, unix.SOCK_STREAM, 0, "vsock", nil)
	if err != nil {
		if errors.Is(err, unix.EAFNOSUPPORT) {
			// No vsock core: is it the device that is missing?
			if _, serr := os.Stat("/dev/vsock"); serr != nil {
				return nil, errors.Join(err, serr)
			}
		}
		return nil, err
	}
	if err := setOpts(c, opts); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// setOpts applies opts: the bounds first, so that a size beyond the
// default bounds is not clamped by them.
func setOpts(c *socket.Conn, o *SockOpts) error {
	if o == nil || *o == (SockOpts{}) {
		return nil
	}
	rc, err := c.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(s uintptr) {
		fd := int(s)
		set := func(name string, opt int, v uint64) bool {
			if v == 0 {
				return true
			}
			if e := unix.SetsockoptUint64(fd, unix.AF_VSOCK, opt, v); e != nil {
				serr = os.NewSyscallError("setsockopt "+name, e)
				return false
			}
			return true
		}
		if !set("SO_VM_SOCKETS_BUFFER_MAX_SIZE", unix.SO_VM_SOCKETS_BUFFER_MAX_SIZE, o.BufferMaxSize) ||
			!set("SO_VM_SOCKETS_BUFFER_MIN_SIZE", unix.SO_VM_SOCKETS_BUFFER_MIN_SIZE, o.BufferMinSize) ||
			!set("SO_VM_SOCKETS_BUFFER_SIZE", unix.SO_VM_SOCKETS_BUFFER_SIZE, o.BufferSize) {
			return
		}
		if o.ConnectTimeout > 0 {
			tv := unix.NsecToTimeval(o.ConnectTimeout.Nanoseconds())
			if e := unix.SetsockoptTimeval(fd, unix.AF_VSOCK, unix.SO_VM_SOCKETS_CONNECT_TIMEOUT, &tv); e != nil {
				serr = os.NewSyscallError("setsockopt SO_VM_SOCKETS_CONNECT_TIMEOUT", e)
			}
		}
	})
	if err != nil {
		return err
	}
	return serr
}

func fdOf(c *socket.Conn) int {
	rc, err := c.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = rc.Control(func(s uintptr) { fd = int(s) })
	return fd
}

func vmAddr(sa unix.Sockaddr) *vsock.Addr {
	if vm, ok := sa.(*unix.SockaddrVM); ok {
		return &vsock.Addr{ContextID: vm.CID, Port: vm.Port}
	}
	return &vsock.Addr{ContextID: CIDAny, Port: PortAny}
}

func (realLayer) Listen(cid, port uint32, opts *SockOpts, backlog int) (Listener, error) {
	c, err := newSocket(opts)
	if err != nil {
		return nil, err
	}
	if err := c.Bind(&unix.SockaddrVM{CID: cid, Port: port}); err != nil {
		_ = c.Close()
		return nil, err
	}
	if backlog <= 0 {
		backlog = unix.SOMAXCONN
	}
	if err := c.Listen(backlog); err != nil {
		_ = c.Close()
		return nil, err
	}
	sa, err := c.Getsockname()
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return &realListener{c: c, addr: vmAddr(sa), fd: fdOf(c)}, nil
}

func (realLayer) Dial(ctx context.Context, cid, port uint32, opts *SockOpts, created func(int)) (net.Conn, error) {
	c, err := newSocket(opts)
	if err != nil {
		return nil, err
	}
	created(fdOf(c))
	rsa, err := c.Connect(ctx, &unix.SockaddrVM{CID: cid, Port: port})
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	if rsa == nil { // getpeername may say nothing (mdlayher/vsock)
		rsa = &unix.SockaddrVM{CID: cid, Port: port}
	}
	lsa, err := c.Getsockname()
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return &realConn{c: c, local: vmAddr(lsa), remote: vmAddr(rsa)}, nil
}

// realListener is a listening AF_VSOCK socket.
type realListener struct {
	c    *socket.Conn
	addr *vsock.Addr
	fd   int
}

func (l *realListener) Accept() (net.Conn, error) {
	c, rsa, err := l.c.Accept(context.Background(), 0)
	if err != nil {
		return nil, connErr(err)
	}
	lsa, err := c.Getsockname()
	if err != nil {
		_ = c.Close()
		return nil, err
	}
	return &realConn{c: c, local: vmAddr(lsa), remote: vmAddr(rsa)}, nil
}

func (l *realListener) Addr() net.Addr                { return l.addr }
func (l *realListener) FD() int                       { return l.fd }
func (l *realListener) SetDeadline(t time.Time) error { return l.c.SetDeadline(t) }
func (l *realListener) Close() error                  { return connErr(l.c.Close()) }

// realConn is a connected AF_VSOCK socket: a net.Conn and a syscall.Conn
// (so sockio reads it with readv and writes it with writev).
type realConn struct {
	c             *socket.Conn
	local, remote *vsock.Addr
}

var (
	_ net.Conn     = (*realConn)(nil)
	_ syscall.Conn = (*realConn)(nil)
)

// connErr gives errors the meaning net's have, as mdlayher/vsock does: a
// closed socket is net.ErrClosed, ENOTCONN is io.EOF.
func connErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, os.ErrClosed):
		return net.ErrClosed
	case errors.Is(err, unix.ENOTCONN):
		return io.EOF
	}
	return err
}

func (c *realConn) Read(b []byte) (int, error) {
	n, err := c.c.Read(b)
	return n, connErr(err)
}

func (c *realConn) Write(b []byte) (int, error) {
	n, err := c.c.Write(b)
	return n, connErr(err)
}

func (c *realConn) Close() error                          { return connErr(c.c.Close()) }
func (c *realConn) LocalAddr() net.Addr                   { return c.local }
func (c *realConn) RemoteAddr() net.Addr                  { return c.remote }
func (c *realConn) SetDeadline(t time.Time) error         { return c.c.SetDeadline(t) }
func (c *realConn) SetReadDeadline(t time.Time) error     { return c.c.SetReadDeadline(t) }
func (c *realConn) SetWriteDeadline(t time.Time) error    { return c.c.SetWriteDeadline(t) }
func (c *realConn) SyscallConn() (syscall.RawConn, error) { return c.c.SyscallConn() }
