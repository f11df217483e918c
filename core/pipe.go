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

	mu       sync.Mutex
	eng      *engine     // current engine (stream transports)
	peer     *pipe       // the other end (inproc), once connected
	inproc   bool
	onClose  func(*pipe) // called once when terminated
	term     atomic.Bool
	userData any // pattern-specific state (subscriptions, ...)
}

func newPipe(s *Socket, out, in *queue, endpoint string) *pipe {
	p := &pipe{sock: s, out: out, in: in, endpoint: endpoint}
	out.mu.Lock()
	out.onWritable = s.signalOut
	out.mu.Unlock()
	in.mu.Lock()
	in.onReadable = s.signalIn
	in.mu.Unlock()
	return p
}

// newEnginePipe makes a pipe whose queues are served by an engine.
func newEnginePipe(s *Socket, endpoint string) *pipe {
	s.mu.Lock()
	snd, rcv, conflate := s.opts.SendHWM, s.opts.RecvHWM, s.opts.Conflate
	s.mu.Unlock()
	out, in := newQueue(snd), newQueue(rcv)
	if conflate {
		switch s.typ {
		case DEALER, PULL, PUSH, PUB, SUB:
			out.conflate, in.conflate = true, true
		}
	}
	return newPipe(s, out, in, endpoint)
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

// pendingOut reports whether outbound messages wait for a live connection.
func (p *pipe) pendingOut() bool {
	p.mu.Lock()
	e := p.eng
	p.mu.Unlock()
	if p.inproc {
		return false // inproc messages stay readable by the peer
	}
	if e == nil {
		return false // nobody can take them
	}
	return !p.out.empty() || !e.idle.Load()
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
