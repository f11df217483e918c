package core

import (
	"encoding/binary"
	"math/rand/v2"
)

// REQ, REP and ROUTER (RFC 28).

func init() {
	patterns[REQ] = func(s *Socket) pattern { return &reqPattern{dealerPattern: dealerPattern{s: s}, reqID: rand.Uint32()} }
	patterns[REP] = func(s *Socket) pattern { return &repPattern{router: newRouter(s)} }
	patterns[ROUTER] = func(s *Socket) pattern { return newRouter(s) }
}

// reqPattern: strict send/receive alternation, an empty delimiter before
// the body, replies only from the peer the request went to.
type reqPattern struct {
	dealerPattern
	expecting bool
	replyPipe *pipe
	reqID     uint32
	idBuf     [4]byte
	drop      Msg
}

var emptyFrame = []byte{}

func (r *reqPattern) send(m *Msg) error {
	if r.expecting && !r.s.opts.ReqRelaxed {
		return ErrFSM
	}
	prefix := [][]byte{emptyFrame}
	if r.s.opts.ReqCorrelate {
		r.reqID++
		binary.NativeEndian.PutUint32(r.idBuf[:], r.reqID)
		prefix = [][]byte{r.idBuf[:], emptyFrame}
	}
	if !r.out.hasOut() {
		return ErrWouldBlock
	}
	// Eat every message already queued, as libzmq does, so an old reply
	// from any peer can never pass for the answer to this request. This
	// must happen before the request leaves: once it has, the real reply
	// may arrive at any moment.
	for {
		if _, err := r.in.recv(&r.drop); err != nil {
			break
		}
	}
	p, err := r.out.send(prefix, m)
	if err != nil {
		return err
	}
	r.replyPipe = p
	r.expecting = true
	return nil
}

func (r *reqPattern) recv(m *Msg) error {
	if !r.expecting {
		return ErrFSM
	}
	for {
		p, err := r.in.recv(m)
		if err != nil {
			return err
		}
		if p != r.replyPipe {
			continue // stale reply from another peer
		}
		f := m.Frames
		if r.s.opts.ReqCorrelate {
			if len(f) < 1 || len(f[0]) != 4 || binary.NativeEndian.Uint32(f[0]) != r.reqID {
				continue
			}
			f = f[1:]
		}
		if len(f) < 2 || len(f[0]) != 0 {
			continue // malformed reply: no delimiter
		}
		m.Frames = f[1:]
		r.expecting = false
		r.replyPipe = nil
		return nil
	}
}

func (r *reqPattern) detach(pp *pipe) {
	r.dealerPattern.detach(pp)
	if r.replyPipe == pp && !r.s.opts.ReqRelaxed {
		// the request is lost; a relaxed REQ may send again, a strict one
		// keeps waiting as libzmq does.
		r.replyPipe = pp
	}
}

func (r *reqPattern) hasIn() bool  { return r.expecting && r.in.hasIn() }
func (r *reqPattern) hasOut() bool { return (!r.expecting || r.s.opts.ReqRelaxed) && r.out.hasOut() }

// repPattern: receive a request, keep its envelope, send one reply.
type repPattern struct {
	*router
	replying bool
	envelope Msg
	envPipe  *pipe
}

func (r *repPattern) recv(m *Msg) error {
	if r.replying {
		return ErrFSM
	}
	for {
		p, err := r.in.recv(m)
		if err != nil {
			return err
		}
		k := -1
		for i, f := range m.Frames {
			if len(f) == 0 {
				k = i
				break
			}
		}
		if k < 0 {
			continue // no delimiter: malformed, discarded
		}
		r.envelope.setFrames(nil, m.Frames[:k+1])
		r.envPipe = p
		m.Frames = m.Frames[k+1:]
		r.replying = true
		return nil
	}
}

func (r *repPattern) send(m *Msg) error {
	if !r.replying {
		return ErrFSM
	}
	r.replying = false
	p := r.envPipe
	r.envPipe = nil
	if p != nil && !p.dead {
		p.out.push(r.envelope.Frames, m.Frames, kindData) // dropped if full, as libzmq
	}
	return nil
}

func (r *repPattern) hasIn() bool  { return !r.replying && r.in.hasIn() }
func (r *repPattern) hasOut() bool { return r.replying }

// router addresses peers by routing id: the first frame of each message.
type router struct {
	s       *Socket
	in      fq
	byID    map[string]*pipe
	nextID  uint32
	pending []Msg // ROUTER_NOTIFY messages waiting for recv
}

func newRouter(s *Socket) *router {
	return &router{s: s, byID: map[string]*pipe{}, nextID: rand.Uint32()}
}

func (r *router) genID() []byte {
	for {
		r.nextID++
		id := make([]byte, 5)
		binary.BigEndian.PutUint32(id[1:], r.nextID)
		if _, taken := r.byID[string(id)]; !taken {
			return id
		}
	}
}

func (r *router) attach(p *pipe) {
	if len(p.id) == 0 {
		p.id = r.genID()
	}
	if old, dup := r.byID[string(p.id)]; dup {
		if !r.s.opts.RouterHandover {
			p.userData = parkedPipe{} // libzmq ignores the newcomer
			return
		}
		delete(r.byID, string(old.id))
		r.in.remove(old)
		old.dead = true
		go old.terminate(true)
	}
	r.byID[string(p.id)] = p
	r.in.add(p)
	if r.s.opts.ProbeRouter {
		p.out.push(nil, [][]byte{{}}, kindData)
	}
	if r.s.opts.RouterNotify&NotifyConnect != 0 {
		r.notify(p.id)
	}
}

type parkedPipe struct{}

func (r *router) notify(id []byte) {
	var m Msg
	m.setFrames(nil, [][]byte{id, {}})
	r.pending = append(r.pending, m)
}

func (r *router) detach(p *pipe) {
	if _, parked := p.userData.(parkedPipe); parked {
		return
	}
	if r.byID[string(p.id)] == p {
		delete(r.byID, string(p.id))
		if r.s.opts.RouterNotify&NotifyDisconnect != 0 {
			r.notify(p.id)
		}
	}
	p.dead = true
	r.in.remove(p)
}

func (r *router) send(m *Msg) error {
	if len(m.Frames) < 2 {
		return nil // a routing id without a message is ignored
	}
	p, ok := r.byID[string(m.Frames[0])]
	if !ok || p.dead {
		if r.s.opts.RouterMandatory {
			return ErrHostUnreachable
		}
		return nil
	}
	if !p.out.pushMsg(nil, m, 1) {
		if r.s.opts.RouterMandatory {
			return ErrWouldBlock
		}
	}
	return nil
}

func (r *router) recv(m *Msg) error {
	if len(r.pending) > 0 {
		m.swap(&r.pending[0])
		r.pending = r.pending[1:]
		return nil
	}
	p, err := r.in.recv(m)
	if err != nil {
		return err
	}
	prependFrame(m, p.id)
	return nil
}

// prependFrame puts f before m's frames, reusing m's frame storage.
func prependFrame(m *Msg, f []byte) {
	n := len(m.Frames)
	if n > 0 && len(m.fr) >= n && &m.Frames[0] == &m.fr[0] && cap(m.fr) > n {
		m.fr = m.fr[:n+1]
		copy(m.fr[1:], m.fr[:n])
	} else {
		nf := make([][]byte, n+1, n+2)
		copy(nf[1:], m.Frames)
		m.fr = nf
	}
	m.fr[0] = f
	m.Frames = m.fr
}

func (r *router) hasIn() bool { return len(r.pending) > 0 || r.in.hasIn() }
func (r *router) hasOut() bool {
	if !r.s.opts.RouterMandatory {
		return true
	}
	for _, p := range r.byID {
		if !p.out.full() {
			return true
		}
	}
	return false
}
