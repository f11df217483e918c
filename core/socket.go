package core

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// Socket is a ZeroMQ socket. Unlike libzmq's, every Socket is safe for
// concurrent use by many goroutines: a multipart message is one Msg value,
// so concurrent senders never interleave parts.
type Socket struct {
	ctx *Context
	typ SocketType
	id  uint64

	mu    sync.Mutex
	opts  Options
	pat   pattern
	pipes []*pipe

	inWake  chan struct{}
	outWake chan struct{}
	done    chan struct{} // closed when Close starts

	sendWaiters, recvWaiters int
	sendBuf                  Msg // frame headers of the message being sent (mu)

	closed       bool
	termClosed   bool // closed by the context's termination: calls report ErrTerminated
	binds        []*binding
	connects     []*connecter
	inprocConns  []*inprocConn
	lastEndpoint string

	// frame-level API state
	sendParts Msg // frames gathered by SendFrame
	recvParts Msg // message being handed out by RecvFrame
	recvIdx   int
	rcvMore   bool

	pollMu   sync.Mutex
	pollers  []*pollWait
	nPollers atomic.Int32

	wg sync.WaitGroup // goroutines: listeners, connecters, engines

	mon monitorHolder // socket monitors (monitor.go)
}

func newSocket(c *Context, t SocketType) *Socket {
	s := &Socket{
		ctx:     c,
		typ:     t,
		id:      c.nextSock.Add(1),
		opts:    defaultOptions(t, c.ipv6, c.blocky),
		inWake:  make(chan struct{}, 1),
		outWake: make(chan struct{}, 1),
		done:    make(chan struct{}),
	}
	return s
}

// Type returns the socket type (ZMQ_TYPE).
func (s *Socket) Type() SocketType { return s.typ }

// Context returns the socket's context.
func (s *Socket) Context() *Context { return s.ctx }

// Options returns a copy of the socket's options.
func (s *Socket) Options() Options {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opts
}

// SetOption changes options on a live socket (zmq_setsockopt).
func (s *Socket) SetOption(opts ...Option) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return opErr("setsockopt", "", ErrClosed)
	}
	o := s.opts
	set := optionSetter{o: &o, typ: s.typ, reg: s.ctx.reg}
	for _, opt := range opts {
		if err := opt(&set); err != nil {
			s.mu.Unlock()
			return opErr("setsockopt", "", err)
		}
	}
	hwmChanged := o.SendHWM != s.opts.SendHWM || o.RecvHWM != s.opts.RecvHWM
	s.opts = o
	subs := o.subscribe
	s.opts.subscribe = nil
	var pipes []*pipe
	if hwmChanged {
		pipes = append(pipes, s.pipes...)
	}
	s.mu.Unlock()
	for _, p := range pipes {
		p.applyHWM(o.SendHWM, o.RecvHWM)
	}
	s.signalOut()
	for _, t := range subs {
		if err := s.subscribe(t, true); err != nil {
			return opErr("setsockopt", "", err)
		}
	}
	return nil
}

// LastEndpoint returns the last endpoint bound or connected, resolved
// (ZMQ_LAST_ENDPOINT), e.g. "tcp://127.0.0.1:43811".
func (s *Socket) LastEndpoint() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastEndpoint
}

// Subscribe adds a subscription on a SUB or XSUB socket (ZMQ_SUBSCRIBE); on
// an XPUB socket in manual mode it subscribes the last pipe a subscription
// came from.
func (s *Socket) Subscribe(topic string) error {
	return opErr("subscribe", "", s.subscribe(topic, true))
}

// Unsubscribe removes a subscription (ZMQ_UNSUBSCRIBE).
func (s *Socket) Unsubscribe(topic string) error {
	return opErr("unsubscribe", "", s.subscribe(topic, false))
}

func (s *Socket) subscribe(topic string, on bool) error {
	sub, ok := s.pat.(subscriber)
	if !ok {
		return invalid("subscriptions on %v", s.typ)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	return sub.subscribe(topic, on)
}

// transportConfig builds what a transport gets for one endpoint.
func (s *Socket) transportConfig(endpoint string, hook transport.Hook) *transport.Config {
	o := &s.opts
	return &transport.Config{
		Hook:              hook,
		Endpoint:          endpoint,
		Scope:             s.ctx.scope,
		IPv6:              o.IPv6,
		SendBuffer:        o.SendBuffer,
		RecvBuffer:        o.RecvBuffer,
		Backlog:           o.Backlog,
		TOS:               o.TOS,
		Priority:          o.Priority,
		BindToDevice:      o.BindToDevice,
		KeepAlive:         o.TCPKeepAlive,
		KeepAliveCount:    o.TCPKeepAliveCount,
		KeepAliveIdle:     o.TCPKeepAliveIdle,
		KeepAliveInterval: o.TCPKeepAliveInterval,
		MaxRetransmit:     o.TCPMaxRT,
		ConnectTimeout:    o.ConnectTimeout,
		MulticastHops:     o.MulticastHops,
		MulticastNoLoop:   o.MulticastNoLoop,
		Rate:              o.Rate,
		RecoveryInterval:  recoveryInterval(o.RecoveryInterval),
		MulticastMaxTPDU:  o.MulticastMaxTPDU,
		Mechanism:         o.Mechanism,
		AsServer:          o.AsServer,
		SocketType:        s.typ.String(),
		MaxMsgSize:        o.MaxMsgSize,
		HandshakeInterval: o.HandshakeInterval,
		Extra:             o.TransportOptions,
	}
}

// recoveryInterval maps ZMQ_RECOVERY_IVL to transport.Config, where 0
// means the default: libzmq's 0 (a window of one packet) becomes the
// shortest interval, which keeps one packet too.
func recoveryInterval(d time.Duration) time.Duration {
	if d == 0 {
		return time.Nanosecond
	}
	return d
}

func (s *Socket) lookup(op, endpoint string) (transport.Transport, string, string, error) {
	scheme, addr, err := registry.SplitEndpoint(endpoint)
	if err != nil {
		return nil, "", "", opErr(op, endpoint, mapTransportErr(err))
	}
	t, err := s.ctx.reg.Transport(scheme)
	if err != nil {
		return nil, "", "", opErr(op, endpoint, mapTransportErr(err))
	}
	if err := s.checkScheme(op, scheme); err != nil {
		return nil, "", "", opErr(op, endpoint, err)
	}
	if t.Kind() == transport.KindFrame {
		if err := checkFrameSocket(s.typ); err != nil {
			return nil, "", "", opErr(op, endpoint, err)
		}
	}
	s.mu.Lock()
	mech := s.opts.Mechanism
	s.mu.Unlock()
	if mech != "NULL" {
		if _, err := s.ctx.reg.Mechanism(mech); err != nil {
			return nil, "", "", opErr(op, endpoint, fmt.Errorf("%w: %w", ErrInvalid, err))
		}
	}
	return t, scheme, addr, nil
}

// checkScheme applies libzmq's socket-type/transport restrictions.
func (s *Socket) checkScheme(op, scheme string) error {
	switch scheme {
	case "pgm", "epgm", "norm":
		switch s.typ {
		case PUB, SUB, XPUB, XSUB:
			return nil
		}
		return ErrNoCompatProto
	case "udp":
		// libzmq: RADIO connects, DISH and DGRAM bind
		switch {
		case op == "connect" && s.typ == RADIO,
			op == "bind" && (s.typ == DISH || s.typ == DGRAM):
			return nil
		}
		return ErrNoCompatProto
	}
	return nil
}

// checkUsable reports why the socket can not be used (s.mu held). Calls
// woken by the context's termination report ErrTerminated, also when Term
// has closed the socket meanwhile; a socket the application closed itself
// reports ErrClosed.
func (s *Socket) checkUsable() error {
	if s.closed && !s.termClosed {
		return ErrClosed
	}
	if s.ctx.terminated() {
		return ErrTerminated
	}
	if s.closed {
		return ErrClosed
	}
	return nil
}

// Bind binds the socket to a local endpoint and starts accepting
// connections (zmq_bind). It is synchronous: when it returns nil, peers can
// connect. Wildcards ("tcp://*:*", "ipc://*") are resolved; LastEndpoint
// gives the result.
func (s *Socket) Bind(endpoint string) error {
	t, scheme, addr, err := s.lookup("bind", endpoint)
	if err != nil {
		return err
	}
	if bindIsConnect(scheme) {
		_, err := s.connectOp("bind", endpoint, true)
		return err
	}
	s.mu.Lock()
	if err := s.checkUsable(); err != nil {
		s.mu.Unlock()
		return opErr("bind", endpoint, err)
	}
	b := &binding{sock: s, scheme: scheme, kind: t.Kind()}
	cfg := s.transportConfig(endpoint, s.hookFor())
	s.mu.Unlock()

	ln, err := t.Listen(context.Background(), scheme, addr, cfg)
	if err != nil {
		return opErr("bind", endpoint, mapTransportErr(err))
	}
	b.ln = ln
	b.endpoint = ln.Endpoint()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return opErr("bind", endpoint, ErrClosed)
	}
	s.binds = append(s.binds, b)
	s.lastEndpoint = b.endpoint
	s.wg.Add(1)
	s.mu.Unlock()
	go b.acceptLoop()
	return nil
}

// Connect connects the socket to an endpoint (zmq_connect). It is
// asynchronous: it never fails because the peer is not there yet; the
// socket connects, and reconnects after failures, in the background with
// ReconnectInterval / ReconnectIntervalMax back-off.
func (s *Socket) Connect(endpoint string) error {
	_, err := s.connect(endpoint)
	return err
}

// connect is Connect; it returns the pipe attached at connect time, if
// any (none with IMMEDIATE or for ROUTER and STREAM).
func (s *Socket) connect(endpoint string) (*pipe, error) {
	return s.connectOp("connect", endpoint, false)
}

// bindIsConnect reports the schemes whose bind libzmq turns into a
// connect (socket_base.cpp): the multicast transports, where both mean
// joining the group.
func bindIsConnect(scheme string) bool {
	return scheme == "pgm" || scheme == "epgm" || scheme == "norm"
}

// connectOp connects (op "connect") or binds a bindIsConnect scheme (op
// "bind"): then the first connection is opened before it returns, so that
// its errors are Bind's and the endpoint is up when Bind returns, as
// libzmq's; later reconnects are the connecter's.
func (s *Socket) connectOp(op, endpoint string, syncDial bool) (*pipe, error) {
	t, scheme, addr, err := s.lookup(op, endpoint)
	if err != nil {
		return nil, err
	}
	if dc, ok := t.(transport.DialChecker); ok {
		if err := dc.CheckDial(scheme, addr); err != nil {
			return nil, opErr(op, endpoint, mapTransportErr(err))
		}
	}
	var first transport.Conn
	if syncDial {
		s.mu.Lock()
		cfg := s.transportConfig(endpoint, s.dialHook())
		s.mu.Unlock()
		if first, err = t.Dial(context.Background(), scheme, addr, cfg); err != nil {
			return nil, opErr(op, endpoint, mapTransportErr(err))
		}
	}
	if t.Kind() == transport.KindPipe {
		p, err := s.connectInproc(t, scheme, addr, endpoint)
		return p, opErr("connect", endpoint, err)
	}
	s.mu.Lock()
	if err := s.checkUsable(); err != nil {
		s.mu.Unlock()
		if first != nil {
			first.Close()
		}
		return nil, opErr(op, endpoint, err)
	}
	// libzmq ignores repeated connects to one endpoint for these types.
	switch s.typ {
	case DEALER, SUB, PUB, REQ:
		for _, c := range s.connects {
			if c.endpoint == endpoint {
				s.mu.Unlock()
				if first != nil {
					first.Close()
				}
				return nil, nil
			}
		}
	}
	c := newConnecter(s, t, scheme, addr, endpoint)
	c.first = first
	c.attachPersistentLocked()
	p := c.pipe
	s.connects = append(s.connects, c)
	s.lastEndpoint = endpoint
	s.opts.ConnectRoutingID = nil
	s.wg.Add(1)
	s.mu.Unlock()
	s.signalOut()
	go c.run()
	return p, nil
}

// Unbind stops listening on endpoint, which must be as LastEndpoint gave
// it for wildcard binds (zmq_unbind). Connections accepted there are closed.
func (s *Socket) Unbind(endpoint string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return opErr("unbind", endpoint, ErrClosed)
	}
	var b *binding
	for i, x := range s.binds {
		if x.endpoint == endpoint || x.requested(endpoint) {
			b = x
			s.binds = append(s.binds[:i], s.binds[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if b == nil {
		if scheme, _, err := registry.SplitEndpoint(endpoint); err == nil && bindIsConnect(scheme) {
			// bound as a connect (libzmq's zmq_unbind ends either)
			if err := s.Disconnect(endpoint); err == nil {
				return nil
			}
		}
		return opErr("unbind", endpoint, ErrNotFound)
	}
	b.close(true)
	return nil
}

// Disconnect stops connecting to endpoint and closes the connection made
// to it (zmq_disconnect).
func (s *Socket) Disconnect(endpoint string) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return opErr("disconnect", endpoint, ErrClosed)
	}
	var cs []*connecter
	keep := s.connects[:0]
	for _, c := range s.connects {
		if c.endpoint == endpoint {
			cs = append(cs, c)
		} else {
			keep = append(keep, c)
		}
	}
	s.connects = keep
	var ics []*inprocConn
	keepI := s.inprocConns[:0]
	for _, c := range s.inprocConns {
		if c.endpoint == endpoint {
			ics = append(ics, c)
		} else {
			keepI = append(keepI, c)
		}
	}
	s.inprocConns = keepI
	s.mu.Unlock()
	if len(cs) == 0 && len(ics) == 0 {
		return opErr("disconnect", endpoint, ErrNotFound)
	}
	for _, c := range cs {
		c.stop(0)
	}
	for _, c := range ics {
		c.close(true)
	}
	return nil
}

// Close closes the socket (zmq_close). Messages still queued get LINGER to
// reach their peers, including peers of a Connect that are not there yet
// and may appear later: Close returns when everything is sent, when the
// linger expires, or when no connection will ever take them (reconnecting
// is off or was stopped). With the default linger (-1) it waits for as
// long as that takes, as libzmq's zmq_ctx_term does; bound the wait with
// WithLinger or Context.TermContext.
func (s *Socket) Close() error {
	s.closeContext(context.Background())
	return nil
}

func (s *Socket) closeContext(ctx context.Context) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.closed = true
	s.termClosed = s.ctx.terminated()
	close(s.done)
	binds := s.binds
	s.binds = nil
	conns := s.connects
	s.connects = nil
	inprocs := s.inprocConns
	s.inprocConns = nil
	linger := s.opts.Linger
	s.mu.Unlock()
	s.notifyPollers() // pollers report ErrClosed now, not after the linger

	for _, b := range binds {
		b.close(false)
	}
	// Linger: give queued messages time to reach connected peers.
	if linger != 0 {
		s.linger(ctx, linger)
	}
	for _, c := range conns {
		c.stop(0)
	}
	for _, b := range binds {
		b.closeConns()
	}
	for _, c := range inprocs {
		c.close(linger == 0)
	}
	s.mu.Lock()
	pipes := append([]*pipe(nil), s.pipes...)
	s.mu.Unlock()
	for _, p := range pipes {
		p.terminate(linger == 0)
	}
	s.wg.Wait()
	s.stopMonitors() // MONITOR_STOPPED, after every other event
	s.notifyPollers()
	s.ctx.remove(s)
}

// linger waits until no pipe has anything queued for a connection that is
// up or may still come (pipe.pendingOut), the linger expires, or ctx is
// done.
func (s *Socket) linger(ctx context.Context, linger time.Duration) {
	var deadline <-chan time.Time
	if linger > 0 {
		t := time.NewTimer(linger)
		defer t.Stop()
		deadline = t.C
	}
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		s.mu.Lock()
		busy := false
		for _, p := range s.pipes {
			if p.pendingOut() {
				busy = true
				break
			}
		}
		s.mu.Unlock()
		if !busy {
			return
		}
		select {
		case <-deadline:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// signalIn wakes a receiver (and pollers).
func (s *Socket) signalIn() {
	select {
	case s.inWake <- struct{}{}:
	default:
	}
	if s.nPollers.Load() > 0 {
		s.notifyPollers()
	}
}

// signalOut wakes a sender (and pollers).
func (s *Socket) signalOut() {
	select {
	case s.outWake <- struct{}{}:
	default:
	}
	if s.nPollers.Load() > 0 {
		s.notifyPollers()
	}
}

func (s *Socket) notifyPollers() {
	s.pollMu.Lock()
	defer s.pollMu.Unlock()
	for _, w := range s.pollers {
		w.signal()
	}
}

// addWaiter registers w to be signalled (non-blocking) whenever the
// socket may have become readable or writable, or was closed. Pollers use it.
func (s *Socket) addWaiter(w *pollWait) {
	s.pollMu.Lock()
	s.pollers = append(s.pollers, w)
	s.nPollers.Add(1)
	s.pollMu.Unlock()
}

// removeWaiter undoes addWaiter.
func (s *Socket) removeWaiter(w *pollWait) {
	s.pollMu.Lock()
	for i, x := range s.pollers {
		if x == w {
			s.pollers = append(s.pollers[:i], s.pollers[i+1:]...)
			s.nPollers.Add(-1)
			break
		}
	}
	s.pollMu.Unlock()
}

// Send sends a whole message (zmq_msg_send of every part). The frames are
// copied, so the caller may reuse them at once. It blocks while the pattern
// cannot send (HWM reached, no peer), until ctx is done (the error wraps
// ctx.Err()) or, when ctx has no deadline, until SendTimeout (ErrWouldBlock).
func (s *Socket) Send(ctx context.Context, m Msg) error {
	return s.send(ctx, &m, true)
}

// SendMsg sends m without copying it: the memory of its frames is handed
// to the socket (and, over inproc, to the receiver), and m is reset to an
// empty message whose storage is recycled, ready to be filled again. Do
// not touch the frames' memory after SendMsg returns nil. On error m is
// left as it was. Patterns that add envelope frames (REQ, REP) or send to
// several peers (PUB, XPUB) copy as Send does, and so does inproc for
// messages of up to 256 bytes (m then keeps its storage).
func (s *Socket) SendMsg(ctx context.Context, m *Msg) error {
	if err := s.checkSend(m); err != nil {
		return err
	}
	m.owned = true
	err := s.await(ctx, false, true, func() error { return s.pat.send(m) })
	m.owned = false
	if err != nil {
		return err
	}
	m.reset()
	return nil
}

// TrySend sends without blocking; it fails with ErrWouldBlock where Send
// would block (ZMQ_DONTWAIT).
func (s *Socket) TrySend(m Msg) error {
	return s.send(context.Background(), &m, false)
}

// SendString sends a message of string frames.
func (s *Socket) SendString(ctx context.Context, frames ...string) error {
	return s.Send(ctx, NewMsgString(frames...))
}

// SendFrame sends one frame in ZMQ_SNDMORE style: frames with more=true
// are held until a frame with more=false completes the message, which is
// then sent whole.
func (s *Socket) SendFrame(ctx context.Context, frame []byte, more bool) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return opErr("send", "", ErrClosed)
	}
	// STREAM ignores MORE on the data frame (libzmq stream_t::xsend):
	// the frame after the routing id ends the message.
	if more && s.typ == STREAM && len(s.sendParts.Frames) == 1 {
		more = false
	}
	if more && len(s.sendParts.Frames) == 0 {
		// libzmq's xsend sees each frame: types that send nothing refuse
		// the first one, single-frame types refuse MORE at once
		if !s.typ.canSend() {
			s.mu.Unlock()
			return opErr("send", "", ErrNotSupported)
		}
		if s.typ.ThreadSafe() {
			s.mu.Unlock()
			return opErr("send", "", invalid("%v sockets send single-frame messages", s.typ))
		}
	}
	if more {
		parts := append(s.sendParts.Frames, append([]byte(nil), frame...))
		s.sendParts.Frames = parts
		s.mu.Unlock()
		return nil
	}
	parts := append(s.sendParts.Frames, frame)
	s.sendParts.Frames = nil
	s.mu.Unlock()
	m := Msg{Frames: parts}
	return s.send(ctx, &m, true)
}

// checkSend applies the rules every message must pass before routing.
func (s *Socket) checkSend(m *Msg) error {
	if len(m.Frames) == 0 {
		return opErr("send", "", invalid("empty message"))
	}
	if len(m.Frames) > 1 && s.typ.ThreadSafe() {
		// the draft thread-safe types carry single-frame messages only
		return opErr("send", "", invalid("%v sockets send single-frame messages", s.typ))
	}
	return nil
}

// send routes a copy of m (Send, TrySend, SendFrame). m itself never
// reaches the pattern interface, so a caller's Msg value does not escape
// to the heap: its frame headers are copied into socket-owned storage.
func (s *Socket) send(ctx context.Context, m *Msg, block bool) error {
	if err := s.checkSend(m); err != nil {
		return err
	}
	return s.await(ctx, false, block, func() error {
		s.sendBuf.fr = append(s.sendBuf.fr[:0], m.Frames...)
		s.sendBuf.Frames = s.sendBuf.fr
		s.sendBuf.routingID, s.sendBuf.group = m.routingID, m.group
		err := s.pat.send(&s.sendBuf)
		clear(s.sendBuf.fr)
		s.sendBuf.routingID, s.sendBuf.group = 0, ""
		return err
	})
}

// await runs try with s.mu held until it succeeds or fails for good. While
// it reports ErrWouldBlock and block is set, await waits for the socket to
// become readable (in) or writable, for ctx (the error then wraps
// ErrWouldBlock and ctx.Err()), for RCVTIMEO/SNDTIMEO when ctx has no
// deadline (ErrWouldBlock), or for shutdown or close. A receive first
// yields the processor a few times: messages often follow each other
// closely, and parking costs a futex wake-up on both sides.
func (s *Socket) await(ctx context.Context, in, block bool, try func() error) error {
	op, wake, waiters := "send", s.outWake, &s.sendWaiters
	if in {
		op, wake, waiters = "recv", s.inWake, &s.recvWaiters
	}
	var timer *time.Timer
	var timeout <-chan time.Time
	waiting := false
	spins := 0
	for {
		s.mu.Lock()
		if waiting {
			*waiters--
			waiting = false
		}
		if err := s.checkUsable(); err != nil {
			s.mu.Unlock()
			stopTimer(timer)
			return opErr(op, "", err)
		}
		err := try()
		if err == nil {
			again := *waiters > 0
			s.mu.Unlock()
			stopTimer(timer)
			if again { // let the next waiter try too
				if in {
					s.signalIn()
				} else {
					s.signalOut()
				}
			}
			return nil
		}
		if err != ErrWouldBlock || !block {
			s.mu.Unlock()
			stopTimer(timer)
			return opErr(op, "", err)
		}
		if timer == nil && timeout == nil {
			limit := s.opts.SendTimeout
			if in {
				limit = s.opts.RecvTimeout
			}
			if _, has := ctx.Deadline(); !has && limit >= 0 {
				if limit == 0 {
					s.mu.Unlock()
					return opErr(op, "", ErrWouldBlock)
				}
				timer = time.NewTimer(limit)
				timeout = timer.C
			}
		}
		if in && spins < recvSpins {
			spins++
			s.mu.Unlock()
			runtime.Gosched()
			continue
		}
		*waiters++
		waiting = true
		s.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			s.unwait(waiters)
			stopTimer(timer)
			return opErr(op, "", fmt.Errorf("%w: %w", ErrWouldBlock, ctx.Err()))
		case <-timeout:
			s.unwait(waiters)
			return opErr(op, "", ErrWouldBlock)
		case <-s.ctx.termCh:
		case <-s.done:
		}
	}
}

func (s *Socket) unwait(n *int) {
	s.mu.Lock()
	*n--
	s.mu.Unlock()
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// Recv receives a whole message. It blocks until one arrives, ctx is done,
// or (when ctx has no deadline) RecvTimeout expires with ErrWouldBlock.
func (s *Socket) Recv(ctx context.Context) (Msg, error) {
	var m Msg
	if err := s.recv(ctx, &m, true); err != nil {
		return Msg{}, err
	}
	// hand the caller storage of its own
	m.buf, m.fr = nil, nil
	return m, nil
}

// RecvMsg receives a whole message into m, reusing m's storage: in steady
// state it allocates nothing. Frames from an earlier receive into m are
// recycled and must not be used after this call.
func (s *Socket) RecvMsg(ctx context.Context, m *Msg) error {
	return s.recv(ctx, m, true)
}

// TryRecv receives without blocking, failing with ErrWouldBlock when no
// message is ready (ZMQ_DONTWAIT).
func (s *Socket) TryRecv() (Msg, error) {
	var m Msg
	if err := s.recv(context.Background(), &m, false); err != nil {
		return Msg{}, err
	}
	m.buf, m.fr = nil, nil
	return m, nil
}

// RecvFrame receives one frame in libzmq style; more reports ZMQ_RCVMORE.
func (s *Socket) RecvFrame(ctx context.Context) (frame []byte, more bool, err error) {
	s.mu.Lock()
	if s.recvIdx < len(s.recvParts.Frames) {
		f := s.recvParts.Frames[s.recvIdx]
		s.recvIdx++
		more = s.recvIdx < len(s.recvParts.Frames)
		s.rcvMore = more
		s.mu.Unlock()
		return f, more, nil
	}
	s.mu.Unlock()
	m, err := s.Recv(ctx)
	if err != nil {
		return nil, false, err
	}
	s.mu.Lock()
	s.recvParts = m
	s.recvIdx = 1
	more = len(m.Frames) > 1
	s.rcvMore = more
	s.mu.Unlock()
	return m.Frames[0], more, nil
}

// RecvMore reports whether the last RecvFrame left frames to read (ZMQ_RCVMORE).
func (s *Socket) RecvMore() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rcvMore
}

func (s *Socket) recv(ctx context.Context, m *Msg, block bool) error {
	return s.await(ctx, true, block, func() error {
		err := s.pat.recv(m)
		for err == nil && len(m.Frames) > 1 && s.typ.ThreadSafe() {
			err = s.pat.recv(m) // multipart messages are discarded whole (libzmq)
		}
		return err
	})
}

// recvSpins is how many times a blocking receive yields the processor
// before it parks.
const recvSpins = 4

// PollEvents is a set of poll events (ZMQ_POLLIN, ZMQ_POLLOUT).
type PollEvents int

// Poll events, with libzmq's values.
const (
	PollIn  PollEvents = 1 // ZMQ_POLLIN
	PollOut PollEvents = 2 // ZMQ_POLLOUT
)

// Events reports whether a message can be received and sent now without
// blocking (ZMQ_EVENTS).
func (s *Socket) Events() PollEvents {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0
	}
	var ev PollEvents
	if s.recvIdx < len(s.recvParts.Frames) || s.pat.hasIn() {
		ev |= PollIn
	}
	if s.pat.hasOut() {
		ev |= PollOut
	}
	return ev
}

// attachPipe adds a ready pipe to the socket and its pattern.
func (s *Socket) attachPipe(p *pipe) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.pipes = append(s.pipes, p)
	p.attached = true
	s.pat.attach(p)
	s.mu.Unlock()
	s.signalOut()
	s.signalIn()
	return true
}

// detachPipe removes a pipe whose peer is gone.
func (s *Socket) detachPipe(p *pipe) {
	s.mu.Lock()
	if !p.attached {
		s.mu.Unlock()
		return
	}
	p.attached = false
	for i, x := range s.pipes {
		if x == p {
			s.pipes = append(s.pipes[:i], s.pipes[i+1:]...)
			break
		}
	}
	s.pat.detach(p)
	s.mu.Unlock()
	s.signalOut()
	s.signalIn()
}

// reattached tells the pattern a persistent pipe has a new connection.
func (s *Socket) reattached(p *pipe) {
	s.mu.Lock()
	if r, ok := s.pat.(reattacher); ok && p.attached {
		r.reattached(p)
	}
	s.mu.Unlock()
	s.signalOut()
}

var errStopped = errors.New("zmq: stopped")
