package core

// PUB, XPUB, SUB and XSUB (RFC 29).

func init() {
	patterns[PUB] = func(s *Socket) pattern { return &xpub{s: s, global: map[string]int{}} }
	patterns[XPUB] = func(s *Socket) pattern { return &xpub{s: s, global: map[string]int{}, isX: true} }
	patterns[SUB] = func(s *Socket) pattern { return &xsub{s: s, isSub: true} }
	patterns[XSUB] = func(s *Socket) pattern { return &xsub{s: s} }
}

// xpub distributes messages to the peers whose subscriptions match the
// first frame; XPUB also hands subscriptions to the application.
type xpub struct {
	s        *Socket
	isX      bool
	pipes    []*pipe
	global   map[string]int // topic → number of pipes subscribed
	pending  []Msg          // XPUB: messages for the application
	lastPipe *pipe          // XPUB_MANUAL: where the last subscription came from
	scratch  Msg
}

func subsOf(p *pipe) *trie {
	t, _ := p.userData.(*trie)
	if t == nil {
		t = &trie{}
		p.userData = t
	}
	return t
}

func (x *xpub) attach(p *pipe) {
	subsOf(p)
	x.pipes = append(x.pipes, p)
	if x.isX && len(x.s.opts.XPubWelcomeMsg) > 0 {
		p.out.push(nil, [][]byte{x.s.opts.XPubWelcomeMsg}, kindData)
	}
}

func (x *xpub) detach(p *pipe) {
	x.process()
	for i, q := range x.pipes {
		if q == p {
			x.pipes = append(x.pipes[:i], x.pipes[i+1:]...)
			break
		}
	}
	if x.lastPipe == p {
		x.lastPipe = nil
	}
	t := subsOf(p)
	var gone []string
	t.topics(func(topic string) { gone = append(gone, topic) })
	for _, topic := range gone {
		if x.unref(topic) && x.isX && !x.s.opts.XPubManual {
			x.queue(0, topic) // the last subscriber went away
		}
	}
	p.userData = nil
}

func (x *xpub) unref(topic string) bool {
	x.global[topic]--
	if x.global[topic] <= 0 {
		delete(x.global, topic)
		return true
	}
	return false
}

// queue hands a subscription message to the XPUB application.
func (x *xpub) queue(first byte, topic string) {
	var m Msg
	m.buf = append(make([]byte, 0, len(topic)+1), first)
	m.buf = append(m.buf, topic...)
	m.fr = [][]byte{m.buf}
	m.Frames = m.fr
	x.pending = append(x.pending, m)
}

func isSubFrame(f []byte) bool { return len(f) > 0 && (f[0] == 0 || f[0] == 1) }

// process consumes what subscribers sent: subscriptions update the
// matching state, anything else waits for an XPUB application.
func (x *xpub) process() {
	for _, p := range x.pipes {
		for p.in.pop(&x.scratch) {
			m := &x.scratch
			var data [][]byte
			for i, f := range m.Frames {
				if isSubFrame(f) && (i == 0 || !x.s.opts.OnlyFirstSubscribe) {
					x.subscription(p, f[0] == 1, string(f[1:]))
				} else {
					data = append(data, f)
				}
			}
			if x.isX && len(data) > 0 {
				var d Msg
				d.setFrames(nil, data)
				d.props = p.props
				x.pending = append(x.pending, d)
			}
		}
	}
}

func (x *xpub) subscription(p *pipe, on bool, topic string) {
	o := &x.s.opts
	if x.isX && o.XPubManual {
		x.lastPipe = p
		if on {
			x.queue(1, topic)
		} else {
			x.queue(0, topic)
		}
		return
	}
	t := subsOf(p)
	if on {
		first := false
		if t.add(topic) {
			x.global[topic]++
			first = x.global[topic] == 1
		} else {
			t.rm(topic) // per pipe a subscription is a set member
			t.add(topic)
		}
		if x.isX && (first || o.XPubVerbose || o.XPubVerboser) {
			x.queue(1, topic)
		}
		return
	}
	if !t.rm(topic) {
		if x.isX && o.XPubVerboser {
			x.queue(0, topic)
		}
		return
	}
	last := x.unref(topic)
	if x.isX && (last || o.XPubVerboser) {
		x.queue(0, topic)
	}
}

// subscribe is XPUB_MANUAL's ZMQ_SUBSCRIBE: it applies to the last pipe a
// subscription came from.
func (x *xpub) subscribe(topic string, on bool) error {
	if !x.isX {
		return invalid("subscribe on PUB")
	}
	p := x.lastPipe
	if p == nil {
		return nil
	}
	t := subsOf(p)
	if on {
		if t.add(topic) {
			x.global[topic]++
		} else {
			t.rm(topic)
			t.add(topic)
		}
	} else if t.rm(topic) {
		x.unref(topic)
	}
	return nil
}

func (x *xpub) matches(p *pipe, topic []byte) bool {
	return subsOf(p).match(topic) != x.s.opts.InvertMatching
}

func (x *xpub) send(m *Msg) error {
	x.process()
	topic := m.Frames[0]
	o := &x.s.opts
	targets := x.pipes
	if o.XPubManualLastValue && x.lastPipe != nil {
		targets = []*pipe{x.lastPipe}
		x.lastPipe = nil
	}
	if o.XPubNoDrop {
		for _, p := range targets {
			if x.matches(p, topic) && p.out.full() {
				return ErrWouldBlock
			}
		}
	}
	for _, p := range targets {
		if x.matches(p, topic) {
			p.out.push(nil, m.Frames, kindData) // full: dropped for that peer
		}
	}
	return nil
}

func (x *xpub) recv(m *Msg) error {
	if !x.isX {
		return ErrNotSupported
	}
	x.process()
	if len(x.pending) == 0 {
		return ErrWouldBlock
	}
	m.swap(&x.pending[0])
	x.pending[0] = Msg{}
	x.pending = x.pending[1:]
	return nil
}

func (x *xpub) hasIn() bool {
	if !x.isX {
		return false
	}
	x.process()
	return len(x.pending) > 0
}

func (x *xpub) hasOut() bool {
	if !x.s.opts.XPubNoDrop {
		return true
	}
	for _, p := range x.pipes {
		if p.out.full() {
			return false
		}
	}
	return true
}

// xsub sends subscriptions upstream and fair-queues what publishers send;
// SUB also filters by its own subscriptions.
type xsub struct {
	s        *Socket
	isSub    bool
	pipes    []*pipe
	in       fq
	subs     trie
	prefetch Msg
	hasPre   bool
}

// subFrame builds a "\x01topic" / "\x00topic" subscription frame.
func subFrame(first byte, topic []byte) []byte {
	f := make([]byte, 1+len(topic))
	f[0] = first
	copy(f[1:], topic)
	return f
}

func (x *xsub) sendSubs(p *pipe) {
	x.subs.topics(func(topic string) {
		p.out.pushk(nil, [][]byte{subFrame(1, []byte(topic))}, kindSubscribe, true)
	})
}

func (x *xsub) attach(p *pipe) {
	x.pipes = append(x.pipes, p)
	x.in.add(p)
	x.sendSubs(p)
}

func (x *xsub) reattached(p *pipe) { x.sendSubs(p) }

func (x *xsub) detach(p *pipe) {
	for i, q := range x.pipes {
		if q == p {
			x.pipes = append(x.pipes[:i], x.pipes[i+1:]...)
			break
		}
	}
	x.in.remove(p)
}

func (x *xsub) toAll(first byte, topic []byte, kind msgKind) {
	for _, p := range x.pipes {
		p.out.pushk(nil, [][]byte{subFrame(first, topic)}, kind, true)
	}
}

func (x *xsub) subscribe(topic string, on bool) error {
	if on {
		x.subs.add(topic)
		x.toAll(1, []byte(topic), kindSubscribe)
		return nil
	}
	if x.subs.rm(topic) || x.s.opts.XSubVerboseUnsubscribe {
		x.toAll(0, []byte(topic), kindCancel)
	}
	return nil
}

func (x *xsub) send(m *Msg) error {
	if x.isSub {
		return ErrNotSupported
	}
	f := m.Frames[0]
	if len(m.Frames) == 1 && len(f) > 0 && f[0] == 1 {
		x.subs.add(string(f[1:]))
	} else if len(m.Frames) == 1 && len(f) > 0 && f[0] == 0 {
		if !x.subs.rm(string(f[1:])) && !x.s.opts.XSubVerboseUnsubscribe {
			return nil
		}
	}
	for _, p := range x.pipes {
		p.out.push(nil, m.Frames, kindData)
	}
	return nil
}

func (x *xsub) recv(m *Msg) error {
	if x.hasPre {
		m.swap(&x.prefetch)
		x.hasPre = false
		return nil
	}
	for {
		if _, err := x.in.recv(m); err != nil {
			return err
		}
		if !x.isSub || x.subs.match(m.Frames[0]) != x.s.opts.InvertMatching {
			return nil
		}
	}
}

func (x *xsub) hasIn() bool {
	if x.hasPre {
		return true
	}
	if x.recv(&x.prefetch) == nil {
		x.hasPre = true
	}
	return x.hasPre
}
func (x *xsub) hasOut() bool { return !x.isSub }
