package core

import (
	"context"
	"sync"
	"time"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// inprocOffer is what a connecting socket hands the inproc transport: the
// binder takes it on Accept and wires its own end to the shared queues.
// No message is ever encoded: both sockets' pipes share two queues.
type inprocOffer struct {
	from     *Socket
	typ      SocketType
	rid      []byte // the connecting socket's ROUTING_ID
	connRID  []byte // CONNECT_ROUTING_ID for the binder's end, if set
	sndHWM   int
	rcvHWM   int
	local    *pipe // connecting side
	deferred bool  // local pipe attaches once the binder is known

	wired     chan struct{} // closed once the binder has wired its end
	wiredOnce sync.Once

	mu       sync.Mutex
	accepted bool
	closed   bool
	remote   *pipe
}

func (o *inprocOffer) isAccepted() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.accepted
}

// inprocConn is a connect-side inproc connection.
type inprocConn struct {
	endpoint string
	conn     transport.Conn
	offer    *inprocOffer
}

func (c *inprocConn) close(drop bool) {
	if lb, ok := c.conn.(transport.PipeListenerBound); ok && !drop {
		// A bound listener takes the offer in a moment: let it, so queued
		// messages reach the peer (libzmq connects synchronously then).
		c.offer.waitWired(lb)
	}
	c.conn.Close() // withdraws the offer if nobody took it yet
	if drop {
		c.offer.mu.Lock()
		c.offer.closed = true // queued messages are not to be delivered
		c.offer.mu.Unlock()
	}
	c.offer.local.terminate(drop)
}

func hwmSum(a, b int) int {
	if a == 0 || b == 0 {
		return 0
	}
	return a + b
}

// connectInproc connects over a pipe transport: queues are made now, so
// messages can be queued before the peer binds. It returns the local pipe.
func (s *Socket) connectInproc(t transport.Transport, scheme, addr, endpoint string) (*pipe, error) {
	s.mu.Lock()
	if err := s.checkUsable(); err != nil {
		s.mu.Unlock()
		return nil, err
	}
	o := s.opts
	cfg := s.transportConfig(endpoint, nil)
	s.mu.Unlock()

	s.mu.Lock()
	qa, qb := s.newQueues() // qa: to binder, qb: from binder
	s.mu.Unlock()
	qa.useArena()
	qb.useArena()
	local := newPipe(s, qa, qb, endpoint)
	offer := &inprocOffer{wired: make(chan struct{}), from: s, typ: s.typ, rid: o.RoutingID, sndHWM: o.SendHWM, rcvHWM: o.RecvHWM,
		local: local, connRID: o.ConnectRoutingID}
	local.inproc = true
	switch s.typ {
	case ROUTER, STREAM: // SERVER and PEER number the pipe at once (ConnectPeer)
		offer.deferred = true
	}
	cfg.Offer = offer
	conn, err := t.Dial(context.Background(), scheme, addr, cfg)
	if err != nil {
		return nil, mapTransportErr(err)
	}
	ic := &inprocConn{endpoint: endpoint, conn: conn, offer: offer}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		conn.Close()
		return nil, ErrClosed
	}
	s.inprocConns = append(s.inprocConns, ic)
	s.lastEndpoint = endpoint
	s.opts.ConnectRoutingID = nil
	s.mu.Unlock()
	if !offer.deferred {
		s.attachPipe(local)
	}
	// libzmq connects to a bound inproc endpoint synchronously: wait for
	// the binder to take the offer, so what follows Connect (a publish
	// after a subscription, a round-robin send) sees the connection.
	if lb, ok := conn.(transport.PipeListenerBound); ok {
		offer.waitWired(lb)
	}
	if offer.deferred {
		return nil, nil
	}
	return local, nil
}

// waitWired waits while a listener has taken or will take the offer, until
// the binder has wired its end.
func (o *inprocOffer) waitWired(lb transport.PipeListenerBound) {
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for lb.ListenerBound() {
		select {
		case <-o.wired:
			return
		case <-t.C:
		}
	}
}

// acceptInproc wires the binder's end of an inproc connection.
func (s *Socket) acceptInproc(pc transport.PipeConn, endpoint string) {
	offer, ok := pc.Value().(*inprocOffer)
	if !ok || offer == nil {
		pc.Close()
		return
	}
	defer offer.wiredOnce.Do(func() { close(offer.wired) })
	s.mu.Lock()
	o := s.opts
	closed := s.closed
	s.mu.Unlock()
	offer.mu.Lock()
	if closed || offer.closed || offer.accepted {
		offer.mu.Unlock()
		return
	}
	offer.accepted = true
	local := offer.local
	qa, qb := local.out, local.in
	qa.setHWM(hwmSum(offer.sndHWM, o.RecvHWM))
	qb.setHWM(hwmSum(o.SendHWM, offer.rcvHWM))
	if o.Conflate {
		switch s.typ {
		case DEALER, PULL, PUSH, PUB, SUB:
			qa.setConflate()
			qb.setConflate()
		}
	}
	remote := newPipe(s, qb, qa, endpoint)
	remote.peer = local
	remote.inproc = true
	remote.props = &Properties{}
	remote.props.set("Socket-Type", offer.typ.String())
	remote.peerType = offer.typ.String()
	if len(offer.rid) > 0 {
		remote.props.set("Identity", string(offer.rid))
		remote.id = append([]byte(nil), offer.rid...)
	}
	offer.remote = remote
	offer.mu.Unlock()

	from := offer.from
	from.mu.Lock()
	local.mu.Lock()
	local.peer = remote
	local.mu.Unlock()
	lp := &Properties{}
	lp.set("Socket-Type", s.typ.String())
	if len(o.RoutingID) > 0 {
		lp.set("Identity", string(o.RoutingID))
	}
	local.props = lp
	local.peerType = s.typ.String()
	if len(offer.connRID) > 0 {
		local.id = append([]byte(nil), offer.connRID...)
	} else if len(o.RoutingID) > 0 {
		local.id = append([]byte(nil), o.RoutingID...)
	}
	from.mu.Unlock()

	if !s.attachPipe(remote) {
		local.peerGone()
		return
	}
	if offer.deferred {
		if !from.attachPipe(local) {
			remote.peerGone()
			return
		}
	}
	if local.term.Load() {
		remote.peerGone()
	}
	s.signalIn()
	from.signalIn()
}
