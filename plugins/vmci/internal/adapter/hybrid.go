package adapter

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mdlayher/vsock"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// Hybrid is the host side of Firecracker's (and Cloud Hypervisor's)
// hybrid vsock, where the VM's vsock device is a Unix socket on the host,
// uds (docs/vsock.md of Firecracker):
//
//   - the host connects to a guest port P by connecting to uds and sending
//     "CONNECT P\n"; the device answers "OK HOSTPORT\n" and the stream is
//     the guest's from then on (any CID in the endpoint is accepted: the
//     socket names the VM);
//   - a guest connecting to the host's (CID 2) port P reaches whoever
//     listens on the Unix socket "uds_P", so a bind of port P listens
//     there (a bind needs a port: there is no ephemeral one).
//
// No AF_VSOCK socket is involved on the host: the VMCI_* socket options do
// not apply and are ignored.
func Hybrid(uds string) Layer { return hybrid{uds: uds} }

type hybrid struct{ uds string }

// LocalCID is the host's CID: the hybrid device is the host side.
func (hybrid) LocalCID() (uint32, error) { return CIDHost, nil }

func (h hybrid) Listen(cid, port uint32, _ *SockOpts, _ int) (Listener, error) {
	if cid != CIDAny && cid != CIDHost {
		return nil, fmt.Errorf("hybrid vsock on %s: the host is CID 2, not %d: %w", h.uds, cid,
			os.NewSyscallError("bind", syscall.EADDRNOTAVAIL))
	}
	if port == PortAny {
		return nil, fmt.Errorf("%w: hybrid vsock on %s: a bind needs a port (guests reach %s_PORT)",
			transport.ErrInvalidEndpoint, h.uds, h.uds)
	}
	path := h.uds + "_" + strconv.FormatUint(uint64(port), 10)
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSocket != 0 {
		_ = os.Remove(path) // stale, as ipc does
	}
	ul, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	return &hybridListener{ul: ul, addr: &vsock.Addr{ContextID: cid, Port: port}}, nil
}

func (h hybrid) Dial(ctx context.Context, cid, port uint32, _ *SockOpts, created func(int)) (net.Conn, error) {
	d := net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		return rc.Control(func(s uintptr) { created(int(s)) })
	}}
	nc, err := d.DialContext(ctx, "unix", h.uds)
	if err != nil {
		return nil, err
	}
	uc := nc.(*net.UnixConn)
	if dl, ok := ctx.Deadline(); ok {
		_ = uc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = uc.SetDeadline(time.Unix(1, 0)) })
	hostPort, err := hybridConnect(uc, port)
	stop()
	_ = uc.SetDeadline(time.Time{})
	if err != nil {
		_ = uc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, os.ErrDeadlineExceeded) { // the context's deadline, set on the socket
			return nil, fmt.Errorf("hybrid vsock: CONNECT %d: %w", port, context.DeadlineExceeded)
		}
		return nil, err
	}
	return &hybridConn{UnixConn: uc,
		local:  &vsock.Addr{ContextID: CIDHost, Port: hostPort},
		remote: &vsock.Addr{ContextID: cid, Port: port}}, nil
}

// hybridConnect sends "CONNECT port\n" and reads "OK hostport\n" one byte
// at a time, so nothing of the stream after it is consumed.
func hybridConnect(c net.Conn, port uint32) (uint32, error) {
	if _, err := fmt.Fprintf(c, "CONNECT %d\n", port); err != nil {
		return 0, err
	}
	var line []byte
	b := make([]byte, 1)
	for len(line) < 64 {
		n, err := c.Read(b)
		if n == 1 {
			if b[0] == '\n' {
				break
			}
			line = append(line, b[0])
			continue
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return 0, err
		}
		if err != nil {
			// the device closes the socket when no guest listens on the port
			return 0, fmt.Errorf("hybrid vsock: CONNECT %d: no answer (%v): %w", port, err,
				os.NewSyscallError("connect", syscall.ECONNRESET))
		}
	}
	f := strings.Fields(string(line))
	if len(f) != 2 || f[0] != "OK" {
		return 0, fmt.Errorf("hybrid vsock: CONNECT %d: answer %q: %w", port, line,
			os.NewSyscallError("connect", syscall.ECONNRESET))
	}
	hp, err := strconv.ParseUint(f[1], 10, 32)
	if err != nil {
		return 0, fmt.Errorf("hybrid vsock: CONNECT %d: answer %q: %w", port, line, syscall.EPROTO)
	}
	return uint32(hp), nil
}

type hybridListener struct {
	ul   *net.UnixListener
	addr *vsock.Addr
}

// Accept accepts a guest's connection; its CID and port are unknown on the
// host side (the device does not tell), so its remote address is empty.
func (l *hybridListener) Accept() (net.Conn, error) {
	c, err := l.ul.AcceptUnix()
	if err != nil {
		return nil, err
	}
	return &hybridConn{UnixConn: c, local: &vsock.Addr{ContextID: CIDHost, Port: l.addr.Port}}, nil
}

func (l *hybridListener) Addr() net.Addr                { return l.addr }
func (l *hybridListener) SetDeadline(t time.Time) error { return l.ul.SetDeadline(t) }
func (l *hybridListener) Close() error                  { return l.ul.Close() } // unlinks the socket file

func (l *hybridListener) FD() int {
	rc, err := l.ul.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	_ = rc.Control(func(s uintptr) { fd = int(s) })
	return fd
}

// hybridConn is a Unix socket carrying a vsock stream; it is not a
// *net.UnixConn, so it is written with writev through its RawConn like an
// AF_VSOCK socket.
type hybridConn struct {
	*net.UnixConn
	local, remote *vsock.Addr
}

func (c *hybridConn) LocalAddr() net.Addr {
	return c.local
}

func (c *hybridConn) RemoteAddr() net.Addr {
	if c.remote == nil {
		return nil
	}
	return c.remote
}

func (c *hybridConn) SyscallConn() (syscall.RawConn, error) { return c.UnixConn.SyscallConn() }
