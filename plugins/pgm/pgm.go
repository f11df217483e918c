package pgm

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/proto"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

func init() { registry.RegisterTransport(New()) }

type pgmTransport struct{}

var (
	_ transport.Transport   = pgmTransport{}
	_ transport.DialChecker = pgmTransport{}
)

// New returns the pgm and epgm transport. It is stateless; init registers
// one in registry.Default.
func New() transport.Transport { return pgmTransport{} }

// Schemes returns ["pgm", "epgm"].
func (pgmTransport) Schemes() []string { return []string{"pgm", "epgm"} }

// Kind returns transport.KindFrame: connections carry whole messages, with
// no handshake (transport.FrameNone).
func (pgmTransport) Kind() transport.Kind { return transport.KindFrame }

// Option names read from transport.Config.Extra.
const (
	optLoop     = "PGM_MULTICAST_LOOP"
	optMaxPeers = "PGM_MAX_PEERS"
)

// MulticastLoop returns the transport option that turns multicast
// loopback on (default off, as libzmq hard-wires it), so that publishers
// and subscribers on one host hear each other: for tests on one machine.
// libzmq peers on the same host still do not (they send with loopback
// off). Use it as core.WithTransportOption(pgm.MulticastLoop(true)).
func MulticastLoop(on bool) (string, any) { return optLoop, on }

func scheme(sch string) (raw bool, err error) {
	switch sch {
	case "pgm":
		return true, nil
	case "epgm":
		return false, nil
	}
	return false, fmt.Errorf("%w: the pgm transport does not serve scheme %q", transport.ErrInvalidEndpoint, sch)
}

func givenEndpoint(cfg *transport.Config, sch, addr string) string {
	if cfg != nil && cfg.Endpoint != "" {
		return cfg.Endpoint
	}
	return sch + "://" + addr
}

// CheckDial resolves the endpoint (the interface must exist, as OpenPGM
// checks at zmq_connect) and, for pgm://, checks that raw sockets may be
// opened.
func (pgmTransport) CheckDial(sch, addr string) error {
	ep := sch + "://" + addr
	raw, err := scheme(sch)
	if err != nil {
		return err
	}
	sp, err := parseSpec(ep, addr)
	if err != nil {
		return err
	}
	e, err := resolve(ep, sp)
	if err != nil {
		return err
	}
	if raw {
		return probeRaw(&e)
	}
	return nil
}

// probeRaw opens and closes a raw PGM socket to report a missing privilege
// at once.
func probeRaw(e *endpoint) error {
	c, err := listen(true, netip.AddrPortFrom(unspecified(e.group.Is6()), 0), e, sockOpts{}, false)
	if err != nil {
		return openErr(err)
	}
	c.close()
	return nil
}

// openErr wraps a socket error with what to do about it.
func openErr(err error) error {
	var pe *privError
	if errors.As(err, &pe) {
		return pe
	}
	return fmt.Errorf("pgm: %w", mapOSErr(err))
}

// privError is a raw socket refused for lack of privilege.
type privError struct{ err error }

func (e *privError) Error() string {
	return "pgm: raw PGM (IP protocol 113) needs CAP_NET_RAW: run as root or grant the capability, " +
		"or use epgm:// (PGM over UDP, which libzmq speaks too): " + e.err.Error()
}

// Unwrap gives transport.ErrNotSupported (ENOTSUP) and the OS error.
func (e *privError) Unwrap() []error { return []error{transport.ErrNotSupported, e.err} }

// settingsOf maps the socket's options to a session's.
func settingsOf(cfg *transport.Config) settings {
	st := settings{rateKbps: 100, recovery: 10 * time.Second, maxTPDU: 1500, maxMsgSize: -1,
		timers: proto.DefaultTimers()}
	if cfg == nil {
		st.sock.hops = 1
		return st
	}
	if cfg.Rate > 0 {
		st.rateKbps = cfg.Rate
	}
	if cfg.RecoveryInterval > 0 {
		st.recovery = cfg.RecoveryInterval
	}
	if cfg.MulticastMaxTPDU > 0 {
		st.maxTPDU = cfg.MulticastMaxTPDU
	}
	st.maxMsgSize = cfg.MaxMsgSize
	st.sock = sockOpts{hops: max(cfg.MulticastHops, 1), tos: cfg.TOS, sndbuf: cfg.SendBuffer, rcvbuf: cfg.RecvBuffer}
	if on, ok := cfg.Extra[optLoop].(bool); ok {
		st.sock.loop = on
	}
	return st
}

// roleOf is the session's role for the socket type.
func roleOf(cfg *transport.Config) (role, error) {
	if cfg != nil {
		switch cfg.SocketType {
		case "PUB", "XPUB":
			return roleSender, nil
		case "SUB", "XSUB":
			return roleReceiver, nil
		}
	}
	return 0, fmt.Errorf("%w: pgm and epgm serve PUB, XPUB, SUB and XSUB sockets only", transport.ErrNotSupported)
}

func (t pgmTransport) open(sch, addr string, cfg *transport.Config) (*session, error) {
	ep := givenEndpoint(cfg, sch, addr)
	raw, err := scheme(sch)
	if err != nil {
		return nil, err
	}
	r, err := roleOf(cfg)
	if err != nil {
		return nil, err
	}
	sp, err := parseSpec(ep, addr)
	if err != nil {
		return nil, err
	}
	e, err := resolve(ep, sp)
	if err != nil {
		return nil, err
	}
	s, err := open(e, raw, r, ep, settingsOf(cfg))
	if err != nil {
		return nil, openErr(err)
	}
	s.cfg = cfg
	return s, nil
}

// Listen opens the endpoint as Dial does: with pgm and epgm, bind and
// connect mean the same (as in libzmq). The listener hands out the one
// session, then waits for Close.
func (t pgmTransport) Listen(_ context.Context, sch, addr string, cfg *transport.Config) (transport.Listener, error) {
	s, err := t.open(sch, addr, cfg)
	if err != nil {
		return nil, err
	}
	return &listener{s: s, endpoint: s.local, closed: make(chan struct{})}, nil
}

// Dial opens the endpoint: a PGM source for PUB and XPUB, a receiver of
// the group's sources for SUB and XSUB.
func (t pgmTransport) Dial(_ context.Context, sch, addr string, cfg *transport.Config) (transport.Conn, error) {
	s, err := t.open(sch, addr, cfg)
	if err != nil {
		return nil, err
	}
	return s, nil
}

type listener struct {
	s        *session
	endpoint string
	mu       sync.Mutex
	given    bool
	closed   chan struct{}
	once     sync.Once
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
		return nil, fmt.Errorf("pgm: accept %s: %w", l.endpoint, transport.ErrClosed)
	default:
	}
	if !l.given {
		l.given = true
		l.mu.Unlock()
		return l.s, nil
	}
	l.mu.Unlock()
	select {
	case <-l.closed:
		return nil, fmt.Errorf("pgm: accept %s: %w", l.endpoint, transport.ErrClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("pgm: accept %s: %w", l.endpoint, ctx.Err())
	}
}

// Close stops the listener; the session belongs to its taker, who closes
// it; one never handed out is closed here.
func (l *listener) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		close(l.closed)
		given := l.given
		l.mu.Unlock()
		if !given {
			l.s.Close()
		}
	})
	return nil
}

// mapOSErr adds the transport sentinel matching an OS error.
func mapOSErr(err error) error {
	var s error
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		s = transport.ErrAddrInUse
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		s = transport.ErrAddrNotAvailable
	case errors.Is(err, syscall.ENODEV):
		s = transport.ErrNoDevice
	default:
		return err
	}
	return fmt.Errorf("%w: %w", s, err)
}
