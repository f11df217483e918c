package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"syscall"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

const scheme = "udp"

func init() { registry.RegisterTransport(New()) }

type udpTransport struct{}

var (
	_ transport.Transport   = udpTransport{}
	_ transport.DialChecker = udpTransport{}
)

// New returns the udp transport. It is stateless; init registers one in
// registry.Default.
func New() transport.Transport { return udpTransport{} }

// Schemes returns ["udp"].
func (udpTransport) Schemes() []string { return []string{scheme} }

// Kind returns transport.KindDatagram.
func (udpTransport) Kind() transport.Kind { return transport.KindDatagram }

func checkScheme(sch, ep string) error {
	if sch != scheme {
		return fmt.Errorf("%w %q: the udp transport does not serve scheme %q", transport.ErrInvalidEndpoint, ep, sch)
	}
	return nil
}

func givenEndpoint(cfg *transport.Config, sch, addr string) string {
	if cfg != nil && cfg.Endpoint != "" {
		return cfg.Endpoint
	}
	return sch + "://" + addr
}

// CheckDial checks the syntax of a connect address without resolving it.
func (udpTransport) CheckDial(sch, addr string) error {
	ep := sch + "://" + addr
	if err := checkScheme(sch, ep); err != nil {
		return err
	}
	return checkSyntax(ep, addr)
}

func network(a netip.Addr) string {
	if a.Is4() {
		return "udp4"
	}
	return "udp6"
}

// sentinelFor adds the transport sentinel matching an OS error.
func opError(op, ep string, err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		var s error
		switch errno {
		case syscall.EADDRINUSE:
			s = transport.ErrAddrInUse
		case syscall.EADDRNOTAVAIL:
			s = transport.ErrAddrNotAvailable
		case syscall.ENODEV:
			s = transport.ErrNoDevice
		}
		if s != nil {
			return fmt.Errorf("udp: %s %s: %w: %w", op, ep, s, err)
		}
	}
	return fmt.Errorf("udp: %s %s: %w", op, ep, err)
}

// Listen binds a receiving udp socket (DISH, DGRAM): the local address,
// or for multicast the port on all addresses with the group joined.
func (udpTransport) Listen(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Listener, error) {
	ep := givenEndpoint(cfg, sch, addr)
	if err := checkScheme(sch, ep); err != nil {
		return nil, err
	}
	ipv6 := cfg != nil && cfg.IPv6
	sp, err := parse(ctx, ep, addr, true, ipv6)
	if err != nil {
		return nil, err
	}
	local := sp.bind
	if sp.multicast {
		local = netip.AddrPortFrom(anyAddr(sp.target.Addr().Is6()), sp.target.Port())
	}
	device := ""
	if cfg != nil {
		device = cfg.BindToDevice
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return control(rc, func(fd uintptr) error { return setReuse(fd, sp.multicast, device, cfg) })
	}}
	pc, err := lc.ListenPacket(ctx, network(local.Addr()), local.String())
	if err != nil {
		return nil, opError("bind", ep, err)
	}
	uc := pc.(*net.UDPConn)
	if sp.multicast {
		if err := joinGroup(uc, sp); err != nil {
			uc.Close()
			return nil, opError("bind", ep, err)
		}
	}
	c := newConn(uc, netip.AddrPort{})
	resolved := ep
	if sp.wildPort {
		if la, ok := uc.LocalAddr().(*net.UDPAddr); ok {
			resolved = replacePort(ep, la.Port)
		}
	}
	return &listener{conn: c, endpoint: resolved, closed: make(chan struct{})}, nil
}

// replacePort puts port in place of the endpoint's ("*" or 0).
func replacePort(ep string, port int) string {
	for i := len(ep) - 1; i >= 0; i-- {
		if ep[i] == ':' {
			return ep[:i+1] + strconv.Itoa(port)
		}
	}
	return ep
}

// Dial makes a sending udp socket (RADIO): unconnected, so a missing
// receiver is never an error, sending to the resolved destination.
func (udpTransport) Dial(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Conn, error) {
	ep := givenEndpoint(cfg, sch, addr)
	if err := checkScheme(sch, ep); err != nil {
		return nil, err
	}
	ipv6 := cfg != nil && cfg.IPv6
	sp, err := parse(ctx, ep, addr, false, ipv6)
	if err != nil {
		return nil, err
	}
	device := ""
	if cfg != nil {
		device = cfg.BindToDevice
	}
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return control(rc, func(fd uintptr) error { return setDevice(fd, device) })
	}}
	local := netip.AddrPortFrom(anyAddr(sp.target.Addr().Is6()), 0)
	pc, err := lc.ListenPacket(ctx, network(local.Addr()), local.String())
	if err != nil {
		return nil, opError("connect", ep, err)
	}
	uc := pc.(*net.UDPConn)
	if sp.multicast {
		hops, loop := 1, true
		if cfg != nil {
			if cfg.MulticastHops > 0 {
				hops = cfg.MulticastHops
			}
			loop = !cfg.MulticastNoLoop
		}
		if err := setMulticastSend(uc, sp, hops, loop); err != nil {
			uc.Close()
			return nil, opError("connect", ep, err)
		}
	}
	return newConn(uc, sp.target), nil
}

func control(rc syscall.RawConn, f func(fd uintptr) error) error {
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(fd) }); err != nil {
		return err
	}
	return ferr
}

// listener hands out its one bound socket, then waits for Close.
type listener struct {
	conn     *conn
	endpoint string

	mu     sync.Mutex
	given  bool
	closed chan struct{}
	once   sync.Once
}

func (l *listener) Endpoint() string { return l.endpoint }

func (l *listener) Accept(ctx context.Context) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	l.mu.Lock()
	select {
	case <-l.closed:
		l.mu.Unlock()
		return nil, fmt.Errorf("udp: accept %s: %w", l.endpoint, transport.ErrClosed)
	default:
	}
	if !l.given {
		l.given = true
		l.mu.Unlock()
		return l.conn, nil
	}
	l.mu.Unlock()
	select {
	case <-l.closed:
		return nil, fmt.Errorf("udp: accept %s: %w", l.endpoint, transport.ErrClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("udp: accept %s: %w", l.endpoint, ctx.Err())
	}
}

// Close stops the listener. The socket it handed out belongs to its
// taker, who closes it; one never handed out is closed here.
func (l *listener) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		close(l.closed)
		given := l.given
		l.mu.Unlock()
		if !given {
			l.conn.Close()
		}
	})
	return nil
}

// conn is a udp socket: a transport.DatagramConn.
type conn struct {
	uc     *net.UDPConn
	target netip.AddrPort // destination of WriteDatagram(b, "")
	fd     int
	local  string
}

var _ transport.DatagramConn = (*conn)(nil)

func newConn(uc *net.UDPConn, target netip.AddrPort) *conn {
	c := &conn{uc: uc, target: target, fd: -1}
	if rc, err := uc.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { c.fd = int(fd) })
	}
	if la, ok := uc.LocalAddr().(*net.UDPAddr); ok {
		c.local = "udp://" + formatAddr(la.AddrPort())
	}
	return c
}

func (c *conn) Close() error         { return c.uc.Close() }
func (c *conn) LocalAddress() string { return c.local }
func (c *conn) RemoteAddress() string {
	if !c.target.IsValid() {
		return ""
	}
	return "udp://" + formatAddr(c.target)
}
func (c *conn) PeerAddress() string { return "" }
func (c *conn) FD() int             { return c.fd }

// ReadDatagram reads one datagram; from is the sender's "ip:port".
func (c *conn) ReadDatagram(buf []byte) (int, string, error) {
	n, from, err := c.uc.ReadFromUDPAddrPort(buf)
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			return 0, "", fmt.Errorf("udp: read: %w: %w", transport.ErrClosed, err)
		}
		return 0, "", err
	}
	return n, formatAddr(from), nil
}

// WriteDatagram sends b to the dialled destination (to == "") or to the
// address to, "ip:port".
func (c *conn) WriteDatagram(b []byte, to string) error {
	dst := c.target
	if to != "" {
		var err error
		if dst, err = parseTo(to); err != nil {
			return err
		}
	}
	if !dst.IsValid() {
		return fmt.Errorf("%w: no destination", transport.ErrInvalidEndpoint)
	}
	if la, ok := c.uc.LocalAddr().(*net.UDPAddr); ok && la.IP.To4() != nil && !dst.Addr().Is4() {
		return fmt.Errorf("%w %q: IPv6 destination from an IPv4 socket", transport.ErrInvalidEndpoint, to)
	}
	_, err := c.uc.WriteToUDPAddrPort(b, dst)
	return err
}
