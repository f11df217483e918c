package external

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zmqkit/zmqkit/registry/external/internal/wire"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// fdWait bounds the wait for a descriptor the plugin sent before it
// answered the call that made it.
const fdWait = 5 * time.Second

// transportAdapter is a transport served by the plugin.
type transportAdapter struct {
	p       *Plugin
	idx     int
	info    wire.TransportInfo
	schemes []string
	checker *checkingAdapter
}

// checkingAdapter is the adapter of a transport that checks dial
// addresses (transport.DialChecker).
type checkingAdapter struct{ *transportAdapter }

// registered is what goes in the registry: the adapter, with CheckDial
// when the plugin's transport has it.
func (a *transportAdapter) registered() transport.Transport {
	if a.info.DialChecker {
		if a.checker == nil {
			a.checker = &checkingAdapter{a}
		}
		return a.checker
	}
	return a
}

// Schemes lists the schemes registered for the transport.
func (a *transportAdapter) Schemes() []string { return a.schemes }

// Kind is the plugin transport's kind.
func (a *transportAdapter) Kind() transport.Kind { return a.info.Kind }

// CheckDial asks the plugin.
func (a *checkingAdapter) CheckDial(scheme, addr string) error {
	g, err := a.p.acquire(context.Background())
	if err != nil {
		return err
	}
	defer a.p.release()
	var rep wire.ErrReply
	if err := g.call(context.Background(), "CheckDial", &wire.CheckDialRequest{Transport: a.idx, Scheme: scheme, Addr: addr}, &rep, true); err != nil {
		return err
	}
	return rep.Err.ToError()
}

// Listen binds in the plugin.
func (a *transportAdapter) Listen(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Listener, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	wc, err := wire.FromConfig(cfg)
	if err != nil {
		return nil, err
	}
	l := &hostListener{a: a, scheme: scheme, wc: wc, closed: make(chan struct{})}
	if cfg != nil {
		l.hook = cfg.Hook
	}
	for retried := false; ; retried = true {
		g, err := a.p.acquire(ctx)
		if err != nil {
			return nil, err
		}
		l.hookID = a.p.addHook(l.hook)
		id, ep, err := l.listen(ctx, g, addr, true)
		if err != nil {
			a.p.dropHook(l.hookID)
			a.p.release()
			if !retried && errors.Is(err, ErrPluginDown) && ctx.Err() == nil {
				// the process ended as the call went out (acquired just
				// before its end was seen): nothing is bound in it, so
				// bind in the next one
				continue
			}
			return nil, err
		}
		l.g, l.id, l.endpoint = g, id, ep
		break
	}
	l.addr = strings.TrimPrefix(l.endpoint, scheme+"://")
	return l, nil
}

// hostListener is a listener in the plugin. If the plugin process dies,
// the next Accept binds the resolved endpoint again in a new process.
type hostListener struct {
	a        *transportAdapter
	scheme   string
	addr     string // the resolved address, for binding again
	endpoint string
	wc       wire.Config
	hook     transport.Hook
	hookID   uint64

	mu      sync.Mutex
	g       *generation // nil while no process has it bound
	id      uint64
	cancel  context.CancelFunc // of the Accept call under way
	orphans []orphan           // connections of Accept calls given up
	closed  chan struct{}
	once    sync.Once
}

// orphan is a connection the plugin accepted for an Accept call the host
// gave up (its context ended just then): the next Accept returns it.
type orphan struct {
	g   *generation
	h   wire.Handed
	rep wire.ConnReply
}

// adopt returns the function that queues an orphan of g.
func (l *hostListener) adopt(g *generation) func(wire.Handed) {
	return func(h wire.Handed) {
		var rep wire.ConnReply
		if json.Unmarshal(h.Info, &rep) != nil || l.isClosed() {
			h.Close()
			return
		}
		l.mu.Lock()
		l.orphans = append(l.orphans, orphan{g, h, rep})
		cancel := l.cancel
		l.mu.Unlock()
		if cancel != nil {
			// an Accept call under way waits for another connection:
			// end it, so that its caller takes this one
			cancel()
		}
	}
}

func (l *hostListener) hasOrphans() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.orphans) > 0
}

// takeOrphan returns a queued orphan, if any.
func (l *hostListener) takeOrphan() (transport.Conn, bool, error) {
	l.mu.Lock()
	if len(l.orphans) == 0 {
		l.mu.Unlock()
		return nil, false, nil
	}
	o := l.orphans[0]
	l.orphans = l.orphans[1:]
	l.mu.Unlock()
	c, err := l.a.p.connFrom(o.g, o.h, l.a.info.Kind, &o.rep)
	if err != nil {
		return nil, true, err
	}
	emit(l.hook, o.rep.Events, o.rep.PluginFD, c.FD())
	return c, true, nil
}

// listen binds addr in g; report passes the events to the hook.
func (l *hostListener) listen(ctx context.Context, g *generation, addr string, report bool) (uint64, string, error) {
	var rep wire.ListenReply
	req := &wire.ListenRequest{Transport: l.a.idx, Scheme: l.scheme, Addr: addr, Config: l.wc, Hook: l.hookID,
		KeepConns: l.a.p.opts.KeepConns}
	if err := g.call(ctx, "Listen", req, &rep, true); err != nil {
		return 0, "", err
	}
	if report {
		emit(l.hook, rep.Events, -1, -1)
	}
	if rep.Err != nil {
		return 0, "", rep.Err.ToError()
	}
	return rep.Listener, rep.Endpoint, nil
}

// Endpoint is the resolved endpoint.
func (l *hostListener) Endpoint() string { return l.endpoint }

func (l *hostListener) isClosed() bool {
	select {
	case <-l.closed:
		return true
	default:
		return false
	}
}

func (l *hostListener) closedErr() error {
	return fmt.Errorf("%s: accept %s: %w", l.scheme, l.endpoint, transport.ErrClosed)
}

// current returns the process holding the binding, binding again in a
// new one when the old one died.
func (l *hostListener) current(ctx context.Context) (*generation, uint64, error) {
	l.mu.Lock()
	g, id := l.g, l.id
	l.mu.Unlock()
	if g != nil && !g.isDead() {
		return g, id, nil
	}
	// The listener's use of the plugin outlives processes: it keeps
	// counting while the new process binds.
	ng, err := l.a.p.acquire(ctx)
	if err != nil {
		return nil, 0, err
	}
	l.a.p.release()
	nid, _, err := l.listen(ctx, ng, l.addr, false)
	if err != nil {
		l.a.p.log.Warn("binding again after a plugin restart failed", "endpoint", l.endpoint, "error", err)
		return nil, 0, err
	}
	l.mu.Lock()
	l.g, l.id = ng, nid
	l.mu.Unlock()
	if l.isClosed() {
		var rep wire.ErrReply
		_ = ng.call(context.Background(), "Close", &wire.CloseRequest{Listener: nid}, &rep, true)
		return nil, 0, l.closedErr()
	}
	l.a.p.log.Info("bound again after a plugin restart", "endpoint", l.endpoint)
	return ng, nid, nil
}

// Accept waits for a connection accepted by the plugin.
func (l *hostListener) Accept(ctx context.Context) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	for {
		if l.isClosed() {
			return nil, l.closedErr()
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("%s: accept %s: %w", l.scheme, l.endpoint, err)
		}
		if c, ok, err := l.takeOrphan(); ok {
			if err != nil {
				continue
			}
			return c, nil
		}
		g, id, err := l.current(ctx)
		if err != nil {
			if l.isClosed() {
				return nil, l.closedErr()
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: accept %s: %w", l.scheme, l.endpoint, ctx.Err())
			}
			select { // the process is coming back: try again shortly
			case <-time.After(l.a.p.opts.MinBackoff):
			case <-l.closed:
			case <-ctx.Done():
			}
			continue
		}
		cctx, cancel := context.WithCancel(ctx)
		l.mu.Lock()
		l.cancel = cancel
		pending := len(l.orphans) > 0 // adopted since takeOrphan
		if pending {
			l.cancel = nil
		}
		l.mu.Unlock()
		if pending {
			cancel()
			continue
		}
		token := l.a.p.nextID.Add(1)
		g.side.Expect(token)
		var rep wire.ConnReply
		err = g.call(cctx, "Accept", &wire.AcceptRequest{Listener: id, Token: token}, &rep, false)
		l.mu.Lock()
		l.cancel = nil
		l.mu.Unlock()
		cancel()
		if err != nil {
			g.side.Drop(token, l.adopt(g))
			if l.isClosed() {
				return nil, l.closedErr()
			}
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s: accept %s: %w", l.scheme, l.endpoint, ctx.Err())
			}
			if l.hasOrphans() {
				continue
			}
			if g.isDead() || errors.Is(err, ErrPluginDown) {
				l.mu.Lock()
				if l.g == g {
					l.g = nil
				}
				l.mu.Unlock()
				continue
			}
			return nil, err
		}
		if rep.Err != nil {
			g.side.Drop(token, nil)
			emit(l.hook, rep.Events, -1, -1)
			err := rep.Err.ToError()
			if l.isClosed() {
				return nil, l.closedErr()
			}
			return nil, err
		}
		c, err := l.a.p.conn(g, token, l.a.info.Kind, &rep)
		if err != nil {
			return nil, err
		}
		emit(l.hook, rep.Events, rep.PluginFD, c.FD())
		return c, nil
	}
}

// Close stops listening in the plugin; the plugin reports CLOSED.
func (l *hostListener) Close() error {
	first := false
	l.once.Do(func() { first = true; close(l.closed) })
	if !first {
		return fmt.Errorf("%s: close %s: %w", l.scheme, l.endpoint, transport.ErrClosed)
	}
	l.mu.Lock()
	g, id, cancel := l.g, l.id, l.cancel
	l.g = nil
	orphans := l.orphans
	l.orphans = nil
	l.mu.Unlock()
	for _, o := range orphans {
		o.h.Close()
	}
	defer l.a.p.release()
	defer l.a.p.dropHook(l.hookID)
	if g == nil || g.isDead() {
		if cancel != nil {
			cancel()
		}
		return nil
	}
	var rep wire.ErrReply
	err := g.call(context.Background(), "Close", &wire.CloseRequest{Listener: id}, &rep, true)
	if cancel != nil {
		cancel()
	}
	if err != nil {
		return err
	}
	emit(l.hook, rep.Events, -1, -1)
	return rep.Err.ToError()
}

// Dial connects in the plugin.
func (a *transportAdapter) Dial(ctx context.Context, scheme, addr string, cfg *transport.Config) (transport.Conn, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	wc, err := wire.FromConfig(cfg)
	if err != nil {
		return nil, err
	}
	var hook transport.Hook
	if cfg != nil {
		hook = cfg.Hook
	}
	g, err := a.p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer a.p.release()
	token := a.p.nextID.Add(1)
	g.side.Expect(token)
	hookID := a.p.addHook(hook)
	var rep wire.ConnReply
	req := &wire.DialRequest{Transport: a.idx, Scheme: scheme, Addr: addr, Config: wc, Hook: hookID, Token: token,
		KeepConns: a.p.opts.KeepConns}
	if err := g.call(ctx, "Dial", req, &rep, true); err != nil {
		g.side.Drop(token, nil)
		a.p.dropHook(hookID)
		return nil, err
	}
	if rep.Err != nil {
		g.side.Drop(token, nil)
		a.p.dropHook(hookID)
		emit(hook, rep.Events, -1, -1)
		return nil, rep.Err.ToError()
	}
	c, err := a.p.conn(g, token, a.info.Kind, &rep)
	if err != nil {
		a.p.dropHook(hookID)
		return nil, err
	}
	c.(interface{ setHook(uint64) }).setHook(hookID)
	emit(hook, rep.Events, rep.PluginFD, c.FD())
	return c, nil
}

// conn makes the host side of a connection the plugin handed over. It
// counts as a use of the plugin until it is closed, and is closed when
// the process dies.
func (p *Plugin) conn(g *generation, token uint64, kind transport.Kind, rep *wire.ConnReply) (transport.Conn, error) {
	h, err := g.side.Take(token, fdWait)
	if err != nil {
		return nil, fmt.Errorf("external: %s: %w", p.opts.Name, err)
	}
	return p.connFrom(g, h, kind, rep)
}

// connFrom is conn once the connection is here: its own descriptor
// (ModeFD), or a local channel (a socketpair's descriptor, or a
// dial-back connection).
func (p *Plugin) connFrom(g *generation, h wire.Handed, kind transport.Kind, rep *wire.ConnReply) (transport.Conn, error) {
	base := &connBase{p: p, g: g, local: rep.Local, remote: rep.Remote, peer: rep.Peer}
	var c transport.Conn
	if rep.Mode == wire.ModeFD {
		if h.Conn != nil {
			h.Close()
			return nil, fmt.Errorf("external: %s: a descriptor was announced, a channel came", p.opts.Name)
		}
		fc, err := sockio.NewFileConn(h.FD, "zmqkit-plugin-conn", rep.Local, rep.Remote, rep.Peer)
		if err != nil {
			return nil, err
		}
		base.closer = fc.Close
		c = &streamConn{FileConn: fc, connBase: base}
	} else {
		nc := h.Conn
		if nc == nil {
			f := os.NewFile(uintptr(h.FD), "zmqkit-plugin-channel")
			var err error
			nc, err = net.FileConn(f)
			f.Close()
			if err != nil {
				return nil, err
			}
		}
		// the channel's descriptor stands for the plugin's connection in
		// monitor events, -1 if that has none
		base.fd = -1
		if sc, ok := nc.(syscall.Conn); ok && rep.PluginFD >= 0 {
			base.fd = sockio.FD(sc)
		}
		base.closer = nc.Close
		switch kind {
		case transport.KindStream:
			c = &chanStreamConn{Conn: sockio.NewConn(nc, rep.Local, rep.Remote, rep.Peer), connBase: base}
		case transport.KindFrame:
			fc := &frameConn{connBase: base, nc: nc, rr: wire.NewRecordReader(nc), id: rep.ID}
			if rep.Frame != nil {
				fc.info = *rep.Frame
			}
			c = fc
			if fc.info.Pinger {
				c = &pingFrameConn{fc}
			}
		case transport.KindDatagram:
			c = &dgramConn{connBase: base, nc: nc, rr: wire.NewRecordReader(nc), w: wire.NewAsyncWriter(nc, 1<<20)}
		default:
			nc.Close()
			return nil, fmt.Errorf("external: %s: connections of kind %d can not be handed over", p.opts.Name, kind)
		}
	}
	p.mu.Lock()
	p.users++
	p.mu.Unlock()
	if !g.track(c) {
		c.Close()
		return nil, fmt.Errorf("%w: %s: the process ended", ErrPluginDown, p.opts.Name)
	}
	return c, nil
}

// connBase is what every host-side connection has.
type connBase struct {
	p                   *Plugin
	g                   *generation
	local, remote, peer string
	fd                  int
	hookID              uint64
	closer              func() error
	once                sync.Once
	err                 error
}

func (b *connBase) setHook(id uint64) { b.hookID = id }

func (b *connBase) LocalAddress() string  { return b.local }
func (b *connBase) RemoteAddress() string { return b.remote }
func (b *connBase) PeerAddress() string   { return b.peer }

// closeBase closes the connection once, ending its use of the plugin.
func (b *connBase) closeBase(self any, before func()) error {
	b.once.Do(func() {
		if before != nil {
			before()
		}
		b.err = b.closer()
		if c, ok := self.(interface{ Close() error }); ok {
			b.g.untrack(c)
		}
		b.p.dropHook(b.hookID)
		b.p.release()
	})
	return b.err
}

// streamConn is a stream connection: its own descriptor (or, for a
// stream the plugin keeps, its local channel) wrapped by sockio.FileConn.
type streamConn struct {
	*sockio.FileConn
	*connBase
}

func (c *streamConn) LocalAddress() string  { return c.connBase.local }
func (c *streamConn) RemoteAddress() string { return c.connBase.remote }
func (c *streamConn) PeerAddress() string   { return c.connBase.peer }
func (c *streamConn) Close() error          { return c.closeBase(c, nil) }

// chanStreamConn is a stream connection the plugin keeps, reached over a
// local channel (Options.KeepConns, or no descriptor passing).
type chanStreamConn struct {
	*sockio.Conn
	*connBase
}

func (c *chanStreamConn) LocalAddress() string  { return c.connBase.local }
func (c *chanStreamConn) RemoteAddress() string { return c.connBase.remote }
func (c *chanStreamConn) PeerAddress() string   { return c.connBase.peer }
func (c *chanStreamConn) FD() int               { return c.connBase.fd }
func (c *chanStreamConn) Close() error          { return c.closeBase(c, nil) }

// frameConn carries frames over a local channel. It mirrors what the
// plugin's connection implements beyond transport.FrameConn: a
// Handshaker's handshake runs in the plugin (the Handshake call), its
// FrameMode comes with the connection or with that call's reply, and a
// Pinger (pingFrameConn) sends its pings and reports its activity as
// control records. It is always a FrameBuffer: whether the next frame is
// already here is a matter of this side's buffer.
type frameConn struct {
	*connBase
	nc       net.Conn
	rr       *wire.RecordReader
	id       uint64 // the plugin's id of the connection
	info     wire.FrameInfo
	activity atomic.Uint64 // records received: frames and activity reports
	wmu      sync.Mutex
	wbuf     []byte
}

func (c *frameConn) FD() int      { return c.fd }
func (c *frameConn) Close() error { return c.closeBase(c, nil) }

// ReadFrame appends the next frame's body to buf.
func (c *frameConn) ReadFrame(buf []byte) ([]byte, byte, error) {
	for {
		body, flags, _, err := c.rr.Next(buf)
		if err != nil {
			return body, flags, err
		}
		c.activity.Add(1)
		if flags&wire.FlagControl == 0 {
			return body, flags, nil
		}
		buf = body // an activity report: no body
	}
}

// HasFrame reports whether a whole frame (or the connection's error) is
// buffered; it takes in the activity reports ahead of it.
func (c *frameConn) HasFrame() bool {
	for {
		ok, flags := c.rr.Complete()
		if !ok {
			return false
		}
		if flags&wire.FlagControl == 0 {
			return true
		}
		if _, _, _, err := c.rr.Next(nil); err != nil {
			return true // ReadFrame returns the error at once
		}
		c.activity.Add(1)
	}
}

// WriteFrame queues a frame; Flush sends what is queued with one write.
func (c *frameConn) WriteFrame(body []byte, flags byte) error {
	if flags&^(transport.FlagMore|transport.FlagCommand) != 0 {
		return fmt.Errorf("external: frame flags %#x", flags)
	}
	c.wmu.Lock()
	c.wbuf = wire.AppendRecord(c.wbuf, flags, "", body)
	big := len(c.wbuf) >= 1<<20
	c.wmu.Unlock()
	if big {
		return c.Flush()
	}
	return nil
}

// Flush writes the queued frames.
func (c *frameConn) Flush() error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if len(c.wbuf) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.wbuf)
	c.wbuf = c.wbuf[:0]
	return err
}

// Handshake runs the plugin's connection's handshake there, within ctx
// (the call's deadline and cancellation cross), and takes in the
// FrameMode it settled on. A connection that is not a Handshaker has
// nothing to do.
func (c *frameConn) Handshake(ctx context.Context) error {
	if !c.info.Handshaker {
		return nil
	}
	var rep wire.HandshakeReply
	if err := c.g.call(ctx, "Handshake", &wire.HandshakeRequest{Conn: c.id}, &rep, false); err != nil {
		return err
	}
	if rep.Err != nil {
		return rep.Err.ToError()
	}
	c.info.Mode = rep.Mode
	return nil
}

// FrameMode is the plugin's connection's mode.
func (c *frameConn) FrameMode() transport.FrameMode { return c.info.Mode }

// pingFrameConn is a frameConn whose plugin connection is a
// transport.Pinger.
type pingFrameConn struct{ *frameConn }

func (c *pingFrameConn) Close() error { return c.closeBase(c, nil) }

// Ping queues a ping record: the plugin's connection pings when it gets
// it, with the next Flush.
func (c *pingFrameConn) Ping() error {
	c.wmu.Lock()
	c.wbuf = wire.AppendRecord(c.wbuf, wire.FlagPing, "", nil)
	c.wmu.Unlock()
	return nil
}

// Activity counts the frames and activity reports received.
func (c *pingFrameConn) Activity() uint64 { return c.activity.Load() }

var (
	_ transport.Handshaker  = (*frameConn)(nil)
	_ transport.FrameModer  = (*frameConn)(nil)
	_ transport.FrameBuffer = (*frameConn)(nil)
	_ transport.Pinger      = (*pingFrameConn)(nil)
)

// dgramConn carries datagrams over a local channel.
type dgramConn struct {
	*connBase
	nc  net.Conn
	rr  *wire.RecordReader
	w   *wire.AsyncWriter
	tmp []byte
}

func (c *dgramConn) FD() int { return c.fd }
func (c *dgramConn) Close() error {
	return c.closeBase(c, func() { c.w.Abort(transport.ErrClosed) })
}

// ReadDatagram reads the next datagram into buf.
func (c *dgramConn) ReadDatagram(buf []byte) (int, string, error) {
	var err error
	var from string
	c.tmp, _, from, err = c.rr.Next(c.tmp[:0])
	if err != nil {
		if errors.Is(err, net.ErrClosed) {
			err = fmt.Errorf("%w: %w", transport.ErrClosed, err)
		}
		return 0, "", err
	}
	return copy(buf, c.tmp), from, nil
}

// WriteDatagram queues a datagram; what queues up while one write is
// under way goes out with the next.
func (c *dgramConn) WriteDatagram(b []byte, to string) error {
	return c.w.Append(0, to, b)
}
