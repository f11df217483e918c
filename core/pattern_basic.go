package core

// PAIR, PUSH, PULL and DEALER (RFC 31, RFC 30, RFC 28).

func init() {
	patterns[PAIR] = func(s *Socket) pattern { return &pairPattern{s: s} }
	patterns[CHANNEL] = func(s *Socket) pattern { return &pairPattern{s: s} }
	patterns[PUSH] = func(s *Socket) pattern { return &pushPattern{} }
	patterns[SCATTER] = func(s *Socket) pattern { return &pushPattern{} }
	patterns[PULL] = func(s *Socket) pattern { return &pullPattern{} }
	patterns[GATHER] = func(s *Socket) pattern { return &pullPattern{} }
	patterns[DEALER] = func(s *Socket) pattern { return newDealer(s) }
}

// pairPattern talks to exactly one peer; a second connection is refused.
type pairPattern struct {
	s    *Socket
	peer *pipe
	in   fq
}

func (p *pairPattern) attach(pp *pipe) {
	if p.peer != nil {
		go pp.terminate(true) // PAIR keeps its first peer only
		return
	}
	p.peer = pp
	p.in.add(pp)
}

func (p *pairPattern) detach(pp *pipe) {
	if p.peer == pp {
		p.peer = nil
	}
	p.in.remove(pp)
}

func (p *pairPattern) send(m *Msg) error {
	if p.peer == nil || !p.peer.out.pushMsg(nil, m, 0) {
		return ErrWouldBlock
	}
	return nil
}

func (p *pairPattern) recv(m *Msg) error {
	_, err := p.in.recv(m)
	return err
}

func (p *pairPattern) hasIn() bool  { return p.in.hasIn() }
func (p *pairPattern) hasOut() bool { return p.peer != nil && !p.peer.out.full() }

// pushPattern load-balances to its peers and never receives.
type pushPattern struct{ out lb }

func (p *pushPattern) attach(pp *pipe)   { p.out.add(pp) }
func (p *pushPattern) detach(pp *pipe)   { p.out.remove(pp) }
func (p *pushPattern) recv(m *Msg) error { return ErrNotSupported }
func (p *pushPattern) hasIn() bool       { return false }
func (p *pushPattern) hasOut() bool      { return p.out.hasOut() }
func (p *pushPattern) send(m *Msg) error {
	_, err := p.out.send(nil, m)
	return err
}

// pullPattern fair-queues from its peers and never sends.
type pullPattern struct{ in fq }

func (p *pullPattern) attach(pp *pipe)   { p.in.add(pp) }
func (p *pullPattern) detach(pp *pipe)   { p.in.remove(pp) }
func (p *pullPattern) send(m *Msg) error { return ErrNotSupported }
func (p *pullPattern) hasIn() bool       { return p.in.hasIn() }
func (p *pullPattern) hasOut() bool      { return false }
func (p *pullPattern) recv(m *Msg) error {
	_, err := p.in.recv(m)
	return err
}

// dealerPattern load-balances out and fair-queues in.
type dealerPattern struct {
	s   *Socket
	out lb
	in  fq
}

func newDealer(s *Socket) *dealerPattern { return &dealerPattern{s: s} }

func (d *dealerPattern) attach(pp *pipe) {
	if d.s.opts.ProbeRouter {
		pp.out.push(nil, [][]byte{{}}, kindData)
	}
	d.out.add(pp)
	d.in.add(pp)
}

func (d *dealerPattern) detach(pp *pipe) {
	d.out.remove(pp)
	d.in.remove(pp)
}

func (d *dealerPattern) send(m *Msg) error {
	_, err := d.out.send(nil, m)
	return err
}

func (d *dealerPattern) recv(m *Msg) error {
	_, err := d.in.recv(m)
	return err
}

func (d *dealerPattern) hasIn() bool  { return d.in.hasIn() }
func (d *dealerPattern) hasOut() bool { return d.out.hasOut() }
