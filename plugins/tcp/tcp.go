package tcp

import (
	"context"
	"fmt"
	"net"
	"syscall"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// scheme is the URI scheme this transport serves.
const scheme = "tcp"

func init() { registry.RegisterTransport(New()) }

// tcpTransport implements transport.Transport and transport.DialChecker.
type tcpTransport struct{}

var (
	_ transport.Transport   = tcpTransport{}
	_ transport.DialChecker = tcpTransport{}
)

// New returns the tcp transport. It is stateless; init registers one in
// registry.Default, and a private registry can register another.
func New() transport.Transport { return tcpTransport{} }

// Schemes returns ["tcp"].
func (tcpTransport) Schemes() []string { return []string{scheme} }

// Kind returns transport.KindStream.
func (tcpTransport) Kind() transport.Kind { return transport.KindStream }

// configOf returns a copy of cfg (the zero Config for nil) so that the
// listener or dial keeps its own.
func configOf(cfg *transport.Config) transport.Config {
	if cfg == nil {
		return transport.Config{KeepAlive: -1, KeepAliveCount: -1}
	}
	return *cfg
}

// givenEndpoint is the endpoint as the application gave it, for events
// and errors.
func givenEndpoint(cfg *transport.Config, sch, addr string) string {
	if cfg.Endpoint != "" {
		return cfg.Endpoint
	}
	return sch + "://" + addr
}

// checkScheme refuses schemes other than "tcp".
func checkScheme(sch, ep string) error {
	if sch != scheme {
		return fmt.Errorf("%w %q: the tcp transport does not serve scheme %q", transport.ErrInvalidEndpoint, ep, sch)
	}
	return nil
}

// CheckDial checks the syntax of a connect address without resolving it:
// "[SRC;]HOST:PORT" with a numeric PORT. Errors wrap
// transport.ErrInvalidEndpoint.
func (tcpTransport) CheckDial(sch, addr string) error {
	ep := sch + "://" + addr
	if err := checkScheme(sch, ep); err != nil {
		return err
	}
	if _, err := parseDial(addr); err != nil {
		return invalid(ep, err)
	}
	return nil
}

// Listen binds addr and reports LISTENING, or BIND_FAILED on error.
func (tcpTransport) Listen(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Listener, error) {
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

func listen(ctx context.Context, sch, addr string, c *transport.Config, given string) (*sockio.Listener, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkScheme(sch, given); err != nil {
		return nil, err
	}
	hp, err := parseHostPort(addr, true)
	if err != nil {
		return nil, invalid(given, err)
	}
	la, err := resolveLocal(ctx, hp, c.IPv6, true)
	if err != nil {
		return nil, fmt.Errorf("tcp: bind %s: %w", given, err)
	}
	lc := net.ListenConfig{
		KeepAlive: -1, // options are applied by tuneConn
		Control: func(network, _ string, rc syscall.RawConn) error {
			var serr error
			if err := rc.Control(func(s uintptr) { serr = setPreOptions(s, network, c) }); err != nil {
				return err
			}
			return serr
		},
	}
	nl, err := lc.Listen(ctx, network(la), la.String())
	if err != nil {
		return nil, sockio.OpError(scheme, "bind", given, err)
	}
	ln := nl.(*net.TCPListener)
	if c.Backlog > 0 {
		if err := setBacklog(ln, c.Backlog); err != nil {
			_ = ln.Close()
			return nil, sockio.OpError(scheme, "bind", given, err)
		}
	}
	return sockio.NewListener(ln, sockio.ListenerConfig{
		Scheme:   scheme,
		Endpoint: endpointOf(ln.Addr()),
		FD:       sockio.FD(ln),
		Config:   c,
		Tune:     func(nc net.Conn) error { return tuneConn(nc.(*net.TCPConn), c, true) },
		Wrap:     func(nc net.Conn) *sockio.Conn { return newConn(nc.(*net.TCPConn)) },
	}), nil
}

// Dial resolves addr and connects. It reports CONNECT_DELAYED before the
// connect system call, then CONNECTED, or CLOSED when the attempt fails.
func (tcpTransport) Dial(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	c := configOf(cfg)
	ep := givenEndpoint(&c, sch, addr)
	if err := checkScheme(sch, ep); err != nil {
		return nil, err
	}
	ds, err := parseDial(addr)
	if err != nil {
		return nil, invalid(ep, err)
	}
	var src *net.TCPAddr
	if ds.src != nil {
		if src, err = resolveLocal(ctx, *ds.src, c.IPv6, false); err != nil {
			return nil, fmt.Errorf("tcp: connect %s: source: %w", ep, err)
		}
	}
	dst, err := resolveRemote(ctx, ds.dst, c.IPv6)
	if err != nil {
		return nil, fmt.Errorf("tcp: connect %s: %w", ep, err)
	}
	fd := -1
	d := net.Dialer{
		Timeout:   c.ConnectTimeout,
		KeepAlive: -1, // options are applied by tuneConn
		Control: func(network, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(s uintptr) {
				fd = int(s)
				serr = setPreOptions(s, network, &c)
			})
			if err != nil {
				return err
			}
			if serr != nil {
				return serr
			}
			c.Emit(transport.Event{
				Kind: transport.EventConnectDelayed, Endpoint: ep,
				FD: fd, Errno: int(syscall.EINPROGRESS),
			})
			return nil
		},
	}
	if src != nil {
		d.LocalAddr = src
	}
	nc, err := d.DialContext(ctx, network(dst), dst.String())
	if err != nil {
		c.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: ep, FD: fd, Err: err})
		return nil, sockio.OpError(scheme, "connect", ep, err)
	}
	tc := nc.(*net.TCPConn)
	if err := tuneConn(tc, &c, false); err != nil {
		_ = tc.Close()
		c.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: ep, FD: fd, Err: err})
		return nil, sockio.OpError(scheme, "connect", ep, err)
	}
	conn := newConn(tc)
	c.Emit(transport.Event{
		Kind: transport.EventConnected, Endpoint: ep,
		Local: conn.LocalAddress(), Remote: conn.RemoteAddress(), FD: conn.FD(),
	})
	return conn, nil
}
