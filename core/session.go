package core

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// hookFor returns the transport hook that feeds the socket's monitor.
func (s *Socket) hookFor() transport.Hook {
	return transport.HookFunc(s.transportEvent)
}

// transportEvent receives transport lifecycle events (monitoring hooks in here).
func (s *Socket) transportEvent(ev transport.Event) {
	s.emit(ev)
}

// emit publishes a monitor event; a no-op unless the socket is monitored.
func (s *Socket) emit(ev transport.Event) {
	s.ctx.log.Trace("event", "socket", s.id, "kind", ev.Kind, "endpoint", ev.Endpoint)
	s.monitorTransport(ev, false)
}

// binding is one bound endpoint: its listener and the connections it
// accepted.
type binding struct {
	sock     *Socket
	ln       transport.Listener
	scheme   string
	kind     transport.Kind
	endpoint string
	asked    string

	mu      sync.Mutex
	engines map[connEngine]struct{}
	closed  bool
	wg      sync.WaitGroup
}

func (b *binding) requested(ep string) bool { return b.asked != "" && b.asked == ep }

func (b *binding) acceptLoop() {
	defer b.sock.wg.Done()
	for {
		c, err := b.ln.Accept(context.Background())
		if err != nil {
			if errors.Is(err, transport.ErrClosed) || b.isClosed() {
				return
			}
			// transient accept failures (EMFILE, ...): back off a little
			time.Sleep(10 * time.Millisecond)
			continue
		}
		switch b.kind {
		case transport.KindPipe:
			pc, ok := c.(transport.PipeConn)
			if !ok {
				c.Close()
				continue
			}
			b.sock.acceptInproc(pc, b.endpoint)
		case transport.KindStream:
			sc, ok := c.(transport.StreamConn)
			if !ok {
				c.Close()
				continue
			}
			b.serve(sc)
		case transport.KindDatagram:
			dc, ok := c.(transport.DatagramConn)
			if !ok {
				c.Close()
				continue
			}
			b.serveEngine(newDgramEngine(b.sock, dc, b.endpoint), func() { dc.Close() })
		case transport.KindFrame:
			fc, ok := c.(transport.FrameConn)
			if !ok {
				c.Close()
				continue
			}
			b.serveEngine(newFrameEngine(b.sock, fc, b.endpoint, false), func() { fc.Close() })
		default:
			c.Close()
		}
	}
}

func (b *binding) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

// connEngine runs one connection for a socket: the ZMTP engine, or the
// raw engine of STREAM sockets.
type connEngine interface {
	// run serves the connection until it ends; getPipe is called once the
	// connection is ready (handshake done) to obtain the pipe to serve.
	run(getPipe func(props *Properties) *pipe) error
	stop()
}

// engineFactory makes the engine for a socket type; STREAM installs its own.
var engineFactory = map[SocketType]func(s *Socket, c transport.StreamConn, endpoint string, connect bool) connEngine{}

func (s *Socket) newConnEngine(c transport.StreamConn, endpoint string, connect bool) connEngine {
	if f := engineFactory[s.typ]; f != nil {
		return f(s, c, endpoint, connect)
	}
	e := newEngine(s, c, endpoint)
	e.connect = connect
	return e
}

// serve runs an engine for an accepted connection.
func (b *binding) serve(c transport.StreamConn) {
	b.serveEngine(b.sock.newConnEngine(c, b.endpoint, false), func() { c.Close() })
}

// serveEngine runs e for an accepted connection; closeConn closes the
// connection if the binding is already closed.
func (b *binding) serveEngine(e connEngine, closeConn func()) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		closeConn()
		return
	}
	if b.engines == nil {
		b.engines = map[connEngine]struct{}{}
	}
	b.engines[e] = struct{}{}
	b.wg.Add(1)
	b.mu.Unlock()
	b.sock.wg.Add(1)
	go func() {
		defer b.sock.wg.Done()
		defer b.wg.Done()
		var p *pipe
		err := e.run(func(props *Properties) *pipe {
			p = b.sock.newConnPipe(props, b.endpoint)
			if !b.sock.attachPipe(p) {
				return nil
			}
			return p
		})
		_ = err
		if p != nil {
			p.out.drain()
			b.sock.detachPipe(p)
		}
		b.mu.Lock()
		delete(b.engines, e)
		b.mu.Unlock()
	}()
}

// close stops accepting; with conns it also closes accepted connections.
func (b *binding) close(conns bool) {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.ln.Close()
	if conns {
		b.closeConns()
	}
}

func (b *binding) closeConns() {
	b.mu.Lock()
	es := make([]connEngine, 0, len(b.engines))
	for e := range b.engines {
		es = append(es, e)
	}
	b.mu.Unlock()
	for _, e := range es {
		e.stop()
	}
	b.wg.Wait()
}

// newConnPipe makes the pipe for a connection whose handshake is done.
func (s *Socket) newConnPipe(props *Properties, endpoint string) *pipe {
	p := newEnginePipe(s, endpoint)
	p.props = props
	p.peerType, _ = props.Get("Socket-Type")
	if id, ok := props.Get("Identity"); ok && id != "" {
		p.id = []byte(id)
	}
	return p
}

// connecter connects to one endpoint and reconnects after failures.
type connecter struct {
	sock     *Socket
	tr       transport.Transport
	scheme   string
	addr     string
	endpoint string
	rid      []byte // CONNECT_ROUTING_ID for the peer
	// first is a connection already open (a bind of a bindIsConnect
	// scheme dials at once), used instead of the first dial.
	first transport.Conn

	gaveUp    atomic.Bool
	lastCause string // the last retry cause logged (run's goroutine)

	mu      sync.Mutex
	pipe    *pipe // persistent pipe (not IMMEDIATE)
	eng     connEngine
	stopped bool
	stopCh  chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	doneCh  chan struct{}
}

func newConnecter(s *Socket, t transport.Transport, scheme, addr, endpoint string) *connecter {
	ctx, cancel := context.WithCancel(context.Background())
	return &connecter{sock: s, tr: t, scheme: scheme, addr: addr, endpoint: endpoint,
		rid: s.opts.ConnectRoutingID, stopCh: make(chan struct{}), ctx: ctx, cancel: cancel,
		doneCh: make(chan struct{})}
}

// stop ends the connecter and its connection and waits for it.
func (c *connecter) stop(time.Duration) {
	c.mu.Lock()
	if !c.stopped {
		c.stopped = true
		close(c.stopCh)
		c.cancel()
	}
	e := c.eng
	p := c.pipe
	c.mu.Unlock()
	if e != nil {
		e.stop()
	}
	<-c.doneCh
	if p != nil {
		p.out.drain()
		c.sock.detachPipe(p)
	}
}

// attachPersistentLocked makes the connect-time pipe (see
// usesPersistentPipe) and attaches it; called by Connect with s.mu held so
// that messages sent right after Connect are queued for this peer.
func (c *connecter) attachPersistentLocked() {
	s := c.sock
	if !c.usesPersistentPipe() {
		return
	}
	out, in := s.newQueues()
	p := newPipe(s, out, in, c.endpoint)
	p.cn = c
	if len(c.rid) > 0 {
		p.id = append([]byte(nil), c.rid...) // CONNECT_ROUTING_ID
	}
	c.pipe = p
	s.pipes = append(s.pipes, p)
	p.attached = true
	s.pat.attach(p)
	if bindIsConnect(c.scheme) && (s.typ == PUB || s.typ == XPUB) {
		// no subscriptions travel on multicast: everything goes to the
		// group, from the first message on (libzmq subscribes the pipe at
		// connect)
		p.subscribeAll()
	}
}

// usesPersistentPipe reports whether the pipe is made at connect time and
// kept across reconnects (libzmq without IMMEDIATE); ROUTER needs the
// peer's identity first. A STREAM keeps one routing id across reconnects,
// as libzmq's. SERVER and PEER number the pipe at
// once, so ConnectPeer's routing id addresses it before the connection is
// up and across reconnects, as libzmq's does. A datagram (udp) RADIO
// always has one: IMMEDIATE does not apply without a handshake.
func (c *connecter) usesPersistentPipe() bool {
	if c.tr.Kind() == transport.KindDatagram {
		return true
	}
	if c.sock.opts.Immediate {
		return false
	}
	return c.sock.typ != ROUTER
}

func (c *connecter) run() {
	defer c.sock.wg.Done()
	defer close(c.doneCh)
	s := c.sock
	s.mu.Lock()
	opts := s.opts
	cfg := s.transportConfig(c.endpoint, s.dialHook())
	s.mu.Unlock()
	ivl := opts.ReconnectInterval
	connectedOnce := false
	for {
		if c.isStopped() {
			if c.first != nil {
				c.first.Close()
			}
			return
		}
		var conn transport.Conn
		var err error
		if c.first != nil {
			conn, c.first = c.first, nil
		} else {
			conn, err = c.tr.Dial(c.ctx, c.scheme, c.addr, cfg)
		}
		if err != nil {
			if c.isStopped() {
				return
			}
			if opts.ReconnectStop&ReconnectStopConnRefused != 0 && errors.Is(err, syscall.ECONNREFUSED) {
				c.giveUp()
				return
			}
			if !c.wait(&ivl, opts, err) {
				return
			}
			continue
		}
		var e connEngine
		switch cn := conn.(type) {
		case transport.FrameConn:
			e = newFrameEngine(s, cn, c.endpoint, true)
		case transport.StreamConn:
			e = s.newConnEngine(cn, c.endpoint, true)
		case transport.DatagramConn:
			e = newDgramEngine(s, cn, c.endpoint)
		default:
			conn.Close()
			c.giveUp()
			return
		}
		c.mu.Lock()
		if c.stopped {
			c.mu.Unlock()
			conn.Close()
			return
		}
		c.eng = e
		c.mu.Unlock()
		var transient *pipe
		err = e.run(func(props *Properties) *pipe {
			if c.pipe != nil {
				s.mu.Lock()
				c.pipe.props = props
				c.pipe.peerType, _ = props.Get("Socket-Type")
				s.mu.Unlock()
				if connectedOnce {
					s.reattached(c.pipe)
				}
				connectedOnce = true
				return c.pipe
			}
			p := s.newConnPipe(props, c.endpoint)
			if len(c.rid) > 0 {
				p.id = append([]byte(nil), c.rid...)
			}
			if !s.attachPipe(p) {
				return nil
			}
			transient = p
			return p
		})
		c.mu.Lock()
		c.eng = nil
		c.mu.Unlock()
		if transient != nil {
			transient.out.drain()
			s.detachPipe(transient)
		}
		if c.isStopped() {
			return
		}
		var ee *engineError
		errors.As(err, &ee)
		if ee != nil && ee.kind == errProtocol {
			c.giveUp() // libzmq does not reconnect after a protocol error
			return
		}
		if ee != nil && ee.handshake && opts.ReconnectStop&ReconnectStopHandshakeFailed != 0 {
			c.giveUp()
			return
		}
		if opts.ReconnectStop&ReconnectStopAfterDisconnect != 0 && c.scheme == "ipc" && (ee == nil || !ee.handshake) {
			c.giveUp()
			return
		}
		if ee != nil {
			ivl = opts.ReconnectInterval // after a connection libzmq restarts the back-off (a new connecter)
		}
		// the connection's end was reported by DISCONNECTED already
		if !c.wait(&ivl, opts, nil) {
			return
		}
	}
}

// logRetry logs why the connecter is about to retry.
func (c *connecter) logRetry(cause error) {
	if cause == nil {
		return
	}
	log := c.sock.ctx.log
	text := cause.Error()
	if text != c.lastCause {
		c.lastCause = text
		log.Warn("connect failed, retrying", "socket", c.sock.id, "endpoint", c.endpoint, "error", text)
		return
	}
	log.Debug("connect failed again, retrying", "socket", c.sock.id, "endpoint", c.endpoint, "error", text)
}

func (c *connecter) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

func (c *connecter) isGivenUp() bool { return c.gaveUp.Load() }

// giveUp drops the endpoint's pipe for good.
func (c *connecter) giveUp() {
	c.gaveUp.Store(true)
	if c.pipe != nil {
		c.pipe.out.drain()
		c.sock.detachPipe(c.pipe)
	}
}

// wait sleeps the reconnect interval, computing the next one as libzmq
// does. It returns false when the connecter is stopped or reconnecting is
// off (RECONNECT_IVL -1). cause is why the last connect attempt failed
// (nil after a connection that ended: DISCONNECTED said why):
// CONNECT_RETRIED carries it, and the context's logger reports it, at Warn
// level when it differs from the previous attempt's (an unresolvable host,
// a refused connection), at Debug level when it repeats.
func (c *connecter) wait(ivl *time.Duration, opts Options, cause error) bool {
	c.logRetry(cause)
	if opts.ReconnectInterval < 0 {
		c.giveUp()
		return false
	}
	d := *ivl
	if opts.ReconnectIntervalMax > 0 {
		next := d * 2
		if next > opts.ReconnectIntervalMax {
			next = opts.ReconnectIntervalMax
		}
		*ivl = next
	} else if opts.ReconnectInterval > 0 {
		d = opts.ReconnectInterval + time.Duration(rand.Int64N(int64(opts.ReconnectInterval)))
	}
	c.sock.emitRetried(c.endpoint, d, cause)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.stopCh:
		return false
	}
}
