package core

import (
	"sync"
	"sync/atomic"
)

// pipe is a socket's end of one connection: an outbound queue the
// connection drains and an inbound queue it fills. For inproc the two
// sockets' pipes share their queues crosswise; for stream transports an
// engine sits at the other end.
type pipe struct {
	sock *Socket
	out  *queue
	in   *queue

	id       []byte      // routing id (ROUTER, STREAM), set before attach
	props    *Properties // the peer's metadata
	endpoint string      // the endpoint this connection came from
	peerType string      // the peer's Socket-Type, if known

	attached bool // in sock.pipes (guarded by sock.mu)
	dead     bool // the connection is gone; only queued input remains (sock.mu)
	// subAll: the pipe was subscribed to everything (one-way peers of a
	// PUB or XPUB), once for its life
	subAll atomic.Bool

	mu       sync.Mutex
	eng      *engine    // current engine (stream transports)
	cn       *connecter // the connecter that owns this pipe, if persistent
	peer     *pipe      // the other end (inproc), once connected
	inproc   bool
	onClose  func(*pipe) // called once when terminated
	term     atomic.Bool
	userData any // pattern-specific state (subscriptions, ...)

	// receive cache, owned by the socket (sock.mu)
	rc     []Msg
	rcAt   int
	rcN    int
	rcGrow bool // the last batch filled rc with small messages
}

// recvOne moves the pipe's next inbound message into m (sock.mu held).
func (p *pipe) recvOne(m *Msg) bool {
	if p.rcAt == p.rcN {
		if p.rc == nil {
			p.rc = make([]Msg, fqBatch)
		} else if p.rcGrow {
			p.rc = append(p.rc, make([]Msg, len(p.rc))...)
		}
		p.rcAt, p.rcN = 0, p.in.popBatch(p.rc)
		if p.rcN == 0 {
			return false
		}
		// a full batch of small messages: take more next time (large
		// ones would only push more buffers out of the CPU cache)
		p.rcGrow = p.rcN == len(p.rc) && len(p.rc) < fqBatchMax && p.rc[p.rcN-1].Len() <= rcGrowBytes
	}
	m.swap(&p.rc[p.rcAt])
	p.rcAt++
	m.props = p.props
	return true
}

// hasIn reports whether a message can be received from p (sock.mu held).
func (p *pipe) hasIn() bool { return p.rcAt < p.rcN || !p.in.empty() }

func newPipe(s *Socket, out, in *queue, endpoint string) *pipe {
	p := &pipe{sock: s, out: out, in: in, endpoint: endpoint}
	out.setOnWritable(s.signalOut)
	in.setOnReadable(s.signalIn)
	return p
}

// newEnginePipe makes a pipe whose queues are served by an engine.
func newEnginePipe(s *Socket, endpoint string) *pipe {
	s.mu.Lock()
	out, in := s.newQueues()
	s.mu.Unlock()
	return newPipe(s, out, in, endpoint)
}

// newQueues makes a pipe's two queues with the socket's HWMs (s.mu held).
func (s *Socket) newQueues() (out, in *queue) {
	o := &s.opts
	out, in = newQueue(o.SendHWM), newQueue(o.RecvHWM)
	if o.Conflate {
		switch s.typ {
		case DEALER, PULL, PUSH, PUB, SUB:
			out.conflate, in.conflate = true, true
		}
	}
	return out, in
}

func (p *pipe) applyHWM(snd, rcv int) {
	p.mu.Lock()
	peer := p.peer
	p.mu.Unlock()
	if peer != nil || p.inproc { // inproc: HWM = sender's SNDHWM + receiver's RCVHWM
		return
	}
	p.out.setHWM(snd)
	p.in.setHWM(rcv)
}

// pendingOut reports whether outbound messages still wait for a
// connection that can take them: a connection that is up, or a connecter
// that keeps trying (libzmq's zmq_ctx_term waits for those too, forever
// under the default linger). A connecter that gave up (RECONNECT_IVL -1,
// RECONNECT_STOP) leaves nothing pending.
func (p *pipe) pendingOut() bool {
	p.mu.Lock()
	e, cn := p.eng, p.cn
	p.mu.Unlock()
	if p.inproc {
		return false // inproc messages stay readable by the peer
	}
	if e != nil {
		return !p.out.empty() || !e.idle.Load()
	}
	if cn == nil || p.out.empty() {
		return false
	}
	return !cn.isGivenUp()
}

// terminate closes the connection behind the pipe and detaches it.
// drop discards queued outbound messages (inproc: also those the peer has
// not read).
func (p *pipe) terminate(drop bool) {
	if p.term.Swap(true) {
		p.sock.detachPipe(p)
		return
	}
	p.mu.Lock()
	e, peer, onClose := p.eng, p.peer, p.onClose
	p.mu.Unlock()
	if e != nil {
		e.stop()
	}
	if p.inproc {
		p.out.close()
		if drop {
			p.out.drain()
		}
		if peer != nil {
			peer.peerGone()
		}
	}
	p.in.drain()
	p.sock.detachPipe(p)
	if onClose != nil {
		onClose(p)
	}
}

// peerGone is called on an inproc pipe whose peer closed: what it sent can
// still be read, then the pipe goes away.
func (p *pipe) peerGone() {
	if p.term.Swap(true) {
		return
	}
	p.out.drain()
	p.sock.detachPipe(p)
}

// subscribeAll subscribes a PUB's or XPUB's pipe to everything, once: for
// peers that never subscribe (ZMTP/1.0, one-way frame connections, and
// the multicast transports, whose pipe libzmq subscribes at connect).
func (p *pipe) subscribeAll() {
	if p.subAll.Swap(true) {
		return
	}
	var m Msg
	m.setFrames(nil, [][]byte{{1}})
	m.kind = kindSubscribe
	p.in.pushSwap(&m, true)
}
