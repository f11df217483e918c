package adapter

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"syscall"

	"github.com/mdlayher/vsock"

	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// Transport serves the vmci and vsock schemes over a Layer.
type Transport struct {
	layer Layer
}

var (
	_ transport.Transport   = (*Transport)(nil)
	_ transport.DialChecker = (*Transport)(nil)
)

// New returns a transport over layer.
func New(layer Layer) *Transport { return &Transport{layer: layer} }

// Schemes returns ["vmci", "vsock"].
func (*Transport) Schemes() []string { return []string{SchemeVMCI, SchemeVSOCK} }

// Kind returns transport.KindStream: ZMTP runs over the byte stream.
func (*Transport) Kind() transport.Kind { return transport.KindStream }

// CheckDial checks the syntax of a connect address.
func (*Transport) CheckDial(scheme, addr string) error {
	_, err := Parse(scheme, addr, false)
	return err
}

func configOf(cfg *transport.Config) transport.Config {
	if cfg == nil {
		return transport.Config{}
	}
	return *cfg
}

func givenEndpoint(cfg *transport.Config, scheme, addr string) string {
	if cfg.Endpoint != "" {
		return cfg.Endpoint
	}
	return scheme + "://" + addr
}

// layerFor returns the socket layer the options select.
func (t *Transport) layerFor(o *Options) Layer {
	if o.HybridUDS != "" {
		return Hybrid(o.HybridUDS)
	}
	return t.layer
}

// resolve turns a parsed address into the CID to use: "@" on vmci is the
// local CID, which needs the layer (ENODEV in libzmq when there is none).
func resolve(l Layer, a Address, scheme string) (uint32, error) {
	if !a.At || scheme != SchemeVMCI {
		return a.CID, nil
	}
	cid, err := l.LocalCID()
	if err != nil {
		err = Classify(err, CIDAny, false)
		return 0, fmt.Errorf("local CID for %q: %w", "@", err)
	}
	return cid, nil
}

// Listen binds addr and reports LISTENING, or BIND_FAILED on error.
func (t *Transport) Listen(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Listener, error) {
	c := configOf(cfg)
	given := givenEndpoint(&c, scheme, addr)
	l, err := t.listen(ctx, scheme, addr, &c, given)
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

func (t *Transport) listen(ctx context.Context, scheme, addr string, c *transport.Config, given string) (*sockio.Listener, error) {
	if ctx != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("%s: bind %s: %w", scheme, given, ctx.Err())
	}
	a, err := Parse(scheme, addr, true)
	if err != nil {
		return nil, err
	}
	o, err := ParseOptions(c.Extra)
	if err != nil {
		return nil, fmt.Errorf("%s: bind %s: %w", scheme, given, err)
	}
	layer := t.layerFor(&o)
	cid, err := resolve(layer, a, scheme)
	if err != nil {
		return nil, sockio.OpError(scheme, "bind", given, err)
	}
	ln, err := layer.Listen(cid, a.Port, &o.SockOpts, c.Backlog)
	if err != nil {
		return nil, sockio.OpError(scheme, "bind", given, Classify(err, cid, false))
	}
	return sockio.NewListener(ln, sockio.ListenerConfig{
		Scheme:   scheme,
		Endpoint: FormatAddr(scheme, ln.Addr()),
		FD:       ln.FD(),
		Config:   c,
		Wrap:     func(nc net.Conn) *sockio.Conn { return WrapConn(scheme, nc) },
	}), nil
}

// Dial connects to addr. It reports CONNECT_DELAYED once the socket
// exists, then CONNECTED, or CLOSED when the attempt fails.
func (t *Transport) Dial(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	c := configOf(cfg)
	ep := givenEndpoint(&c, scheme, addr)
	a, err := Parse(scheme, addr, false)
	if err != nil {
		return nil, err
	}
	o, err := ParseOptions(c.Extra)
	if err != nil {
		return nil, fmt.Errorf("%s: connect %s: %w", scheme, ep, err)
	}
	layer := t.layerFor(&o)
	cid, err := resolve(layer, a, scheme)
	if err != nil {
		return nil, sockio.OpError(scheme, "connect", ep, err)
	}
	if c.ConnectTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.ConnectTimeout)
		defer cancel()
	}
	fd := -1
	nc, err := layer.Dial(ctx, cid, a.Port, &o.SockOpts, func(f int) {
		fd = f
		c.Emit(transport.Event{
			Kind: transport.EventConnectDelayed, Endpoint: ep,
			FD: f, Errno: int(syscall.EINPROGRESS),
		})
	})
	if err != nil {
		err = Classify(err, cid, true)
		c.Emit(transport.Event{Kind: transport.EventClosed, Endpoint: ep, FD: fd, Err: err})
		return nil, sockio.OpError(scheme, "connect", ep, err)
	}
	conn := WrapConn(scheme, nc)
	c.Emit(transport.Event{
		Kind: transport.EventConnected, Endpoint: ep,
		Local: conn.LocalAddress(), Remote: conn.RemoteAddress(), FD: conn.FD(),
	})
	return conn, nil
}

// WrapConn wraps a connection of a Layer: endpoints as "scheme://CID:PORT"
// and the Peer-Address property as the peer's CID in decimal (libzmq
// leaves it empty for vsock; a ZAP handler can then tell guests apart).
func WrapConn(scheme string, nc net.Conn) *sockio.Conn {
	peer := ""
	if ra, ok := nc.RemoteAddr().(*vsock.Addr); ok && ra != nil {
		peer = strconv.FormatUint(uint64(ra.ContextID), 10)
	}
	return sockio.NewConn(nc, FormatAddr(scheme, nc.LocalAddr()), FormatAddr(scheme, nc.RemoteAddr()), peer)
}
