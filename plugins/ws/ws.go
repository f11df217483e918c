package ws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

func init() { registry.RegisterTransport(New()) }

// wsTransport implements transport.Transport and transport.DialChecker
// for the ws and wss schemes. Its TCP part is the tcp plugin's (address
// syntax, socket options, CONNECT_DELAYED/CONNECTED/CLOSED events); it
// keeps the ports it listens on so that binds with different paths share
// one.
type wsTransport struct {
	tcp transport.Transport

	mu    sync.Mutex
	ports map[string]*port // by scheme://HOST:PORT, as given and as resolved
}

var (
	_ transport.Transport   = (*wsTransport)(nil)
	_ transport.DialChecker = (*wsTransport)(nil)
)

// New returns a ws/wss transport. init registers one in registry.Default;
// a private registry can register another (binds share ports only within
// one transport value).
func New() transport.Transport {
	return &wsTransport{tcp: tcp.New(), ports: map[string]*port{}}
}

// Schemes returns ["ws", "wss"].
func (*wsTransport) Schemes() []string { return []string{"ws", "wss"} }

// Kind returns transport.KindFrame.
func (*wsTransport) Kind() transport.Kind { return transport.KindFrame }

func checkScheme(sch, ep string) error {
	if sch != "ws" && sch != "wss" {
		return fmt.Errorf("%w %q: the ws transport does not serve scheme %q", transport.ErrInvalidEndpoint, ep, sch)
	}
	return nil
}

// configOf copies cfg (nil: defaults).
func configOf(cfg *transport.Config) transport.Config {
	if cfg == nil {
		return transport.Config{KeepAlive: -1, KeepAliveCount: -1, MaxMsgSize: -1, Mechanism: "NULL"}
	}
	return *cfg
}

func givenEndpoint(cfg *transport.Config, sch, addr string) string {
	if cfg.Endpoint != "" {
		return cfg.Endpoint
	}
	return sch + "://" + addr
}

// CheckDial checks the syntax of a connect address, "HOST:PORT[/PATH]".
func (*wsTransport) CheckDial(sch, addr string) error {
	ep := sch + "://" + addr
	if err := checkScheme(sch, ep); err != nil {
		return err
	}
	_, err := parseDialAddress(addr, ep)
	return err
}

func parseDialAddress(addr, ep string) (address, error) {
	a, err := parseAddress(addr, false)
	if err != nil {
		return a, invalid(ep, err)
	}
	if a.host == "*" {
		return a, invalid(ep, errors.New(`host "*" is only valid for a local address`))
	}
	return a, nil
}

// tcpHook passes the tcp plugin's connect events on with the ws endpoint
// and ws:// addresses.
func tcpHook(sch string, cfg *transport.Config) transport.Hook {
	if cfg.Hook == nil {
		return nil
	}
	return transport.HookFunc(func(e transport.Event) {
		e.Local = wsEndpoint(sch, e.Local, "")
		e.Remote = wsEndpoint(sch, e.Remote, "")
		cfg.Emit(e)
	})
}

// Dial connects over TCP (CONNECT_DELAYED, CONNECTED, or CLOSED when the
// attempt fails) and returns the connection; its Handshake, which the
// core runs next, does TLS (wss) and the upgrade.
func (t *wsTransport) Dial(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Conn, error) {
	c := configOf(cfg)
	ep := givenEndpoint(&c, sch, addr)
	if err := checkScheme(sch, ep); err != nil {
		return nil, err
	}
	a, err := parseDialAddress(addr, ep)
	if err != nil {
		return nil, err
	}
	st, err := parseSettings(sch, &c, false, a.host)
	if err != nil {
		return nil, invalid(ep, err)
	}
	tc := c
	tc.Endpoint = ep
	tc.Hook = tcpHook(sch, &c)
	tc.Extra = nil
	nc, err := t.tcp.Dial(ctx, "tcp", a.hostPort, &tc)
	if err != nil {
		return nil, err
	}
	sc, ok := nc.(transport.StreamConn)
	if !ok {
		nc.Close()
		return nil, fmt.Errorf("%s: connect %s: tcp gave a %T", sch, ep, nc)
	}
	info := &endpointInfo{scheme: sch, path: a.path, host: a.host, hostPort: a.hostPort,
		mechanism: c.Mechanism, maxMsg: c.MaxMsgSize}
	return newConn(sc, true, info, st, wsEndpoint(sch, sc.LocalAddress(), ""),
		wsEndpoint(sch, sc.RemoteAddress(), a.path)), nil
}

// Listen binds HOST:PORT and serves PATH there. Binds of one transport
// value to the same scheme, HOST and PORT with different paths share the
// port; the same path twice is EADDRINUSE. It reports LISTENING, or
// BIND_FAILED.
func (t *wsTransport) Listen(ctx context.Context, sch, addr string, cfg *transport.Config) (transport.Listener, error) {
	c := configOf(cfg)
	given := givenEndpoint(&c, sch, addr)
	l, err := t.listen(ctx, sch, addr, &c, given)
	if err != nil {
		c.Emit(transport.Event{Kind: transport.EventBindFailed, Endpoint: given, FD: -1,
			Errno: sockio.Errno(err), Err: err})
		return nil, err
	}
	c.Emit(transport.Event{Kind: transport.EventListening, Endpoint: l.endpoint, FD: l.p.fd})
	return l, nil
}

func (t *wsTransport) listen(ctx context.Context, sch, addr string, c *transport.Config, given string) (*listener, error) {
	if err := checkScheme(sch, given); err != nil {
		return nil, err
	}
	a, err := parseAddress(addr, true)
	if err != nil {
		return nil, invalid(given, err)
	}
	st, err := parseSettings(sch, c, true, a.host)
	if err != nil {
		return nil, invalid(given, err)
	}
	l := &listener{path: a.path, cfg: *c, st: st, ch: make(chan *conn, 16), done: make(chan struct{}),
		ep: &endpointInfo{scheme: sch, path: a.path, mechanism: c.Mechanism, maxMsg: c.MaxMsgSize}}
	t.mu.Lock()
	defer t.mu.Unlock()
	key := sch + "://" + a.hostPort
	if p := t.ports[key]; p != nil && a.port != "*" && a.port != "0" {
		if err := p.add(l); err != nil {
			return nil, fmt.Errorf("%s: bind %s: %w", sch, given, err)
		}
		return l, nil
	}
	tc := *c
	tc.Hook, tc.Endpoint, tc.Extra = nil, "", nil
	tl, err := t.tcp.Listen(ctx, "tcp", a.hostPort, &tc)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("%s: bind %s", sch, given), err)
	}
	fd := -1
	if f, ok := tl.(interface{ FD() int }); ok {
		fd = f.FD()
	}
	p := &port{t: t, scheme: sch, ln: tl, fd: fd, st: st, base: wsEndpoint(sch, tl.Endpoint(), "")}
	p.keys = []string{key}
	if a.port == "*" || a.port == "0" {
		// a later bind naming the port it got shares it too
		_, resolved, _ := net.SplitHostPort(strings.TrimPrefix(tl.Endpoint(), "tcp://"))
		if k := sch + "://" + hostOf(a.hostPort) + ":" + resolved; k != key {
			p.keys = append(p.keys, k)
		}
	}
	_ = p.add(l)
	for _, k := range p.keys {
		t.ports[k] = p
	}
	p.wg.Add(1)
	go p.acceptLoop()
	return l, nil
}

// hostOf strips ":PORT" from "HOST:PORT".
func hostOf(hp string) string {
	return hp[:strings.LastIndexByte(hp, ':')]
}

// port is one TCP listener and the binds (paths) it serves.
type port struct {
	t      *wsTransport
	scheme string
	keys   []string
	ln     transport.Listener
	fd     int
	base   string    // "ws://IP:PORT"
	st     *settings // TLS of the first bind: a shared port's handshakes start before the path is known

	mu     sync.Mutex
	binds  []*listener
	closed bool
	wg     sync.WaitGroup
}

// add serves l on p (t.mu held).
func (p *port) add(l *listener) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, b := range p.binds {
		if b.path == l.path {
			return fmt.Errorf("path %q is bound already: %w", l.path, transport.ErrAddrInUse)
		}
	}
	l.p = p
	l.endpoint = p.base + l.path
	p.binds = append(p.binds, l)
	return nil
}

// remove stops serving l; the last bind closes the TCP listener.
func (p *port) remove(l *listener) {
	p.t.mu.Lock()
	p.mu.Lock()
	for i, b := range p.binds {
		if b == l {
			p.binds = append(p.binds[:i], p.binds[i+1:]...)
			break
		}
	}
	last := len(p.binds) == 0 && !p.closed
	if last {
		p.closed = true
		for _, k := range p.keys {
			if p.t.ports[k] == p {
				delete(p.t.ports, k)
			}
		}
	}
	p.mu.Unlock()
	p.t.mu.Unlock()
	if last {
		p.ln.Close()
		p.wg.Wait()
	}
}

// acceptLoop accepts TCP connections: with one bind on the port they go
// to it at once (its path is not checked, as libzmq does not check it);
// with several, the request is read first to find the bind by its path.
func (p *port) acceptLoop() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept(context.Background())
		if err != nil {
			if errors.Is(err, transport.ErrClosed) || p.isClosed() {
				return
			}
			time.Sleep(10 * time.Millisecond) // EMFILE and the like
			continue
		}
		sc, ok := c.(transport.StreamConn)
		if !ok {
			c.Close()
			continue
		}
		p.mu.Lock()
		binds := append([]*listener(nil), p.binds...)
		p.mu.Unlock()
		switch len(binds) {
		case 0:
			sc.Close()
		case 1:
			binds[0].deliver(binds[0].newConn(sc))
		default:
			p.wg.Add(1)
			go p.route(sc, binds)
		}
	}
}

func (p *port) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// route reads the request of a connection to a shared port and hands the
// connection to the bind of its path: the exact path, else the one bind
// whose last path segment it is (libzmq 4.3 clients send only the last
// segment of a longer path). Unknown paths get "404 Not Found".
func (p *port) route(sc transport.StreamConn, binds []*listener) {
	defer p.wg.Done()
	var ivl time.Duration
	for _, b := range binds {
		if b.cfg.HandshakeInterval <= 0 {
			ivl = 0
			break
		}
		ivl = max(ivl, b.cfg.HandshakeInterval)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if ivl > 0 {
		ctx, cancel = context.WithTimeout(context.Background(), ivl)
	}
	defer cancel()
	probe := newConn(sc, false, binds[0].ep, p.st, "", "")
	release := probe.bound(ctx)
	err := probe.startTLS(ctx)
	var head, rest []byte
	if err == nil {
		head, rest, err = readHead(probe.nc, maxRequestHead)
	}
	release()
	if err != nil {
		switch {
		case errors.Is(err, errHeadTooLarge):
			_ = probe.refuse(431, "request head over 8 KiB")
		case errors.Is(err, errNotHTTP):
			_ = probe.refuse(400, "not an HTTP request (TLS to a ws:// endpoint?)")
		}
		sc.Close()
		return
	}
	path := requestPath(head)
	b := pick(binds, path)
	if b == nil {
		_ = probe.refuse(404, fmt.Sprintf("no ZeroMQ socket is bound at path %q on this port", path))
		sc.Close()
		return
	}
	c := b.newConn(sc)
	c.nc, c.tlsDone, c.head, c.rest = probe.nc, probe.tlsDone, head, rest
	b.deliver(c)
}

// requestPath returns the path of a request head's request line, without
// the query.
func requestPath(head []byte) string {
	line, _, _ := strings.Cut(string(head[:min(len(head), 4096)]), "\n")
	f := strings.Fields(line)
	if len(f) < 2 {
		return ""
	}
	path, _, _ := strings.Cut(f[1], "?")
	return path
}

func pick(binds []*listener, path string) *listener {
	for _, b := range binds {
		if b.path == path {
			return b
		}
	}
	var found *listener
	for _, b := range binds {
		i := strings.LastIndexByte(b.path, '/')
		if b.path[i:] == path && path != "/" {
			if found != nil {
				return nil
			}
			found = b
		}
	}
	return found
}

// listener is one bind: a path on a port. It implements
// transport.Listener.
type listener struct {
	p        *port
	path     string
	endpoint string
	cfg      transport.Config
	st       *settings
	ep       *endpointInfo
	ch       chan *conn
	done     chan struct{}
	once     sync.Once
}

// newConn wraps an accepted TCP connection for this bind.
func (l *listener) newConn(sc transport.StreamConn) *conn {
	return newConn(sc, false, l.ep, l.st, wsEndpoint(l.ep.scheme, sc.LocalAddress(), l.path),
		wsEndpoint(l.ep.scheme, sc.RemoteAddress(), ""))
}

// deliver queues c for Accept.
func (l *listener) deliver(c *conn) {
	select {
	case l.ch <- c:
	case <-l.done:
		c.Close()
	}
}

// Endpoint is "ws://IP:PORT/PATH" with the port resolved.
func (l *listener) Endpoint() string { return l.endpoint }

// Accept returns the next connection and reports ACCEPTED. The upgrade
// has not happened yet: the core runs Handshake next.
func (l *listener) Accept(ctx context.Context) (transport.Conn, error) {
	select {
	case c := <-l.ch:
		l.cfg.Emit(transport.Event{Kind: transport.EventAccepted, Endpoint: l.endpoint,
			Local: c.LocalAddress(), Remote: c.RemoteAddress(), FD: c.FD()})
		return c, nil
	case <-l.done:
		return nil, fmt.Errorf("%s: accept %s: %w", l.ep.scheme, l.endpoint, transport.ErrClosed)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Close stops serving the path (and listening on the port, if it was the
// last) and reports CLOSED.
func (l *listener) Close() error {
	err := fmt.Errorf("%s: close %s: %w", l.ep.scheme, l.endpoint, transport.ErrClosed)
	l.once.Do(func() {
		err = nil
		close(l.done)
		l.p.remove(l)
		for {
			select {
			case c := <-l.ch:
				c.Close()
				continue
			default:
			}
			break
		}
		l.cfg.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: l.endpoint, FD: l.p.fd})
	})
	return err
}
