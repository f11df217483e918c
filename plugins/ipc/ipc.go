package ipc

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"syscall"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// scheme is the URI scheme this transport serves.
const scheme = "ipc"

func init() { registry.RegisterTransport(New()) }

// ipcTransport implements transport.Transport and transport.DialChecker.
type ipcTransport struct{}

var (
	_ transport.Transport   = ipcTransport{}
	_ transport.DialChecker = ipcTransport{}
)

// New returns the ipc transport. It is stateless; init registers one in
// registry.Default.
func New() transport.Transport { return ipcTransport{} }

// Schemes returns ["ipc"].
func (ipcTransport) Schemes() []string { return []string{scheme} }

// Kind returns transport.KindStream.
func (ipcTransport) Kind() transport.Kind { return transport.KindStream }

// configOf returns a copy of cfg (the zero Config for nil).
func configOf(cfg *transport.Config) transport.Config {
	if cfg == nil {
		return transport.Config{}
	}
	return *cfg
}

// givenEndpoint is the endpoint as the application gave it.
func givenEndpoint(cfg *transport.Config, sch, addr string) string {
	if cfg.Endpoint != "" {
		return cfg.Endpoint
	}
	return sch + "://" + addr
}

// checkScheme refuses schemes other than "ipc".
func checkScheme(sch, ep string) error {
	if sch != scheme {
		return fmt.Errorf("%w %q: the ipc transport does not serve scheme %q", transport.ErrInvalidEndpoint, ep, sch)
	}
	return nil
}

// CheckDial checks a connect address: not empty, not a bare "@", short
// enough for sun_path.
func (ipcTransport) CheckDial(sch, addr string) error {
	if err := checkScheme(sch, sch+"://"+addr); err != nil {
		return err
	}
	_, err := parseAddress(addr, false)
	return err
}

// Listen binds addr and reports LISTENING, or BIND_FAILED on error.
func (ipcTransport) Listen(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Listener, error) {
	c := configOf(cfg)
	given := givenEndpoint(&c, sch, addr)
	l, err := listen(ctx, sch, addr, &c, given)
	if err != nil {
		c.Emit(transport.Event{
			Kind: transport.EventBindFailed, Endpoint: given,
			FD: -1, Errno: sockio.Errno(err), Err: err,
		})
		return nil, err
	}
	c.Emit(transport.Event{Kind: transport.EventListening, Endpoint: l.Endpoint(), FD: l.FD()})
	return l, nil
}

func listen(ctx context.Context, sch, addr string, c *transport.Config, given string) (_ *sockio.Listener, err error) {
	if ctx != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("ipc: bind %s: %w", given, ctx.Err())
	}
	if err := checkScheme(sch, given); err != nil {
		return nil, err
	}
	a, err := parseAddress(addr, true)
	if err != nil {
		return nil, err
	}
	l := &socketFile{addr: a, path: a.path}
	if a.wildcard {
		dir, err := os.MkdirTemp(tempBase(), "tmp")
		if err != nil {
			return nil, sockio.OpError(scheme, "bind", given, err)
		}
		defer func() {
			if err != nil {
				_ = os.Remove(dir)
			}
		}()
		l.dir = dir
		l.path = filepath.Join(dir, "socket")
		if err := checkLength(l.path, scheme+"://"+l.path); err != nil {
			return nil, err
		}
	}
	if !a.abstract {
		if err := removeStale(l.path); err != nil {
			return nil, sockio.OpError(scheme, "bind", given, err)
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: l.path, Net: "unix"})
	if err != nil {
		return nil, sockio.OpError(scheme, "bind", given, err)
	}
	ln.SetUnlinkOnClose(false)
	if c.Backlog > 0 {
		if err := setBacklog(ln, c.Backlog); err != nil {
			_ = ln.Close()
			if !a.abstract {
				_ = os.Remove(l.path)
			}
			return nil, sockio.OpError(scheme, "bind", given, err)
		}
	}
	if !a.abstract {
		l.ident, _ = os.Lstat(l.path)
	}
	return sockio.NewListener(ln, sockio.ListenerConfig{
		Scheme:     scheme,
		Endpoint:   scheme + "://" + l.path,
		FD:         sockio.FD(ln),
		Config:     c,
		Wrap:       func(nc net.Conn) *sockio.Conn { return newConn(nc.(*net.UnixConn)) },
		AfterClose: l.unlink,
	}), nil
}

// Dial connects to addr and reports CONNECTED, or CLOSED on failure.
func (ipcTransport) Dial(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	c := configOf(cfg)
	ep := givenEndpoint(&c, sch, addr)
	if err := checkScheme(sch, ep); err != nil {
		return nil, err
	}
	a, err := parseAddress(addr, false)
	if err != nil {
		return nil, err
	}
	fd := -1
	d := net.Dialer{
		Timeout: c.ConnectTimeout,
		Control: func(_, _ string, rc syscall.RawConn) error {
			return rc.Control(func(s uintptr) { fd = int(s) })
		},
	}
	nc, err := d.DialContext(ctx, "unix", a.path)
	if err != nil {
		c.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: ep, FD: fd, Err: err})
		return nil, sockio.OpError(scheme, "connect", ep, err)
	}
	uc := newConn(nc.(*net.UnixConn))
	c.Emit(transport.Event{
		Kind: transport.EventConnected, Endpoint: ep,
		Local: uc.LocalAddress(), Remote: uc.RemoteAddress(), FD: uc.FD(),
	})
	return uc, nil
}
