package core

import (
	"math/rand/v2"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// libzmq's draft socket types: SERVER and CLIENT (RFC 41), RADIO and DISH
// (RFC 48), PEER (RFC 51), and DGRAM. SCATTER and GATHER (RFC 49) and
// CHANNEL (RFC 52) reuse the PUSH, PULL and PAIR patterns
// (pattern_basic.go): they differ only by being single-frame, which
// Socket.send and Socket.recv enforce for every ThreadSafe type.
//
// Every draft type but DGRAM carries single-frame messages; SERVER and
// PEER address them with Msg.RoutingID, RADIO and DISH with Msg.Group.

func init() {
	patterns[SERVER] = func(s *Socket) pattern { return newServer(s) }
	patterns[PEER] = func(s *Socket) pattern { return newServer(s) }
	patterns[CLIENT] = func(s *Socket) pattern { return &clientPattern{} }
	patterns[RADIO] = func(s *Socket) pattern { return newRadio(s) }
	patterns[DISH] = func(s *Socket) pattern { return newDish(s) }
	patterns[DGRAM] = func(s *Socket) pattern { return &dgramPattern{} }
}

// serverID is the userData of a SERVER or PEER pipe: its routing id.
type serverID uint32

// serverPattern (SERVER, PEER) numbers each pipe with a uint32 routing id
// when it is attached (connect time for connected pipes, so ConnectPeer
// can return it), stamps received messages with it, and sends each
// message to the pipe its routing id names.
type serverPattern struct {
	s      *Socket
	in     fq
	byID   map[uint32]*pipe
	nextID uint32
}

func newServer(s *Socket) *serverPattern {
	// ids start at a random value and never are 0, as libzmq's
	return &serverPattern{s: s, byID: map[uint32]*pipe{}, nextID: rand.Uint32()}
}

func (sv *serverPattern) attach(p *pipe) {
	for {
		id := sv.nextID
		sv.nextID++
		if _, taken := sv.byID[id]; id != 0 && !taken {
			p.userData = serverID(id)
			sv.byID[id] = p
			break
		}
	}
	sv.in.add(p)
}

// idOf returns p's routing id (0 if p is not one of ours).
func idOf(p *pipe) uint32 {
	id, _ := p.userData.(serverID)
	return uint32(id)
}

func (sv *serverPattern) detach(p *pipe) {
	if id := idOf(p); sv.byID[id] == p {
		delete(sv.byID, id)
	}
	sv.in.remove(p)
}

// forget drops the routing id of p at once (DisconnectPeer): sends to it
// fail with ErrHostUnreachable from now on.
func (sv *serverPattern) forget(id uint32) (*pipe, bool) {
	p, ok := sv.byID[id]
	if ok {
		delete(sv.byID, id)
	}
	return p, ok
}

func (sv *serverPattern) send(m *Msg) error {
	p, ok := sv.byID[m.routingID]
	if !ok {
		return ErrHostUnreachable
	}
	// the routing id is not delivered (the message may go over inproc)
	id := m.routingID
	m.routingID = 0
	if !p.out.pushMsg(nil, m, 0) {
		m.routingID = id
		return ErrWouldBlock
	}
	return nil
}

func (sv *serverPattern) recv(m *Msg) error {
	p, err := sv.in.recv(m)
	if err != nil {
		return err
	}
	m.routingID = idOf(p)
	m.group = ""
	return nil
}

func (sv *serverPattern) hasIn() bool { return sv.in.hasIn() }

// hasOut is always true: whether a send succeeds depends on the peer its
// routing id names (libzmq's server_t::xhas_out).
func (sv *serverPattern) hasOut() bool { return true }

// clientPattern (CLIENT) load-balances out and fair-queues in.
type clientPattern struct {
	out lb
	in  fq
}

func (c *clientPattern) attach(p *pipe) { c.out.add(p); c.in.add(p) }
func (c *clientPattern) detach(p *pipe) { c.out.remove(p); c.in.remove(p) }
func (c *clientPattern) send(m *Msg) error {
	_, err := c.out.send(nil, m)
	return err
}
func (c *clientPattern) recv(m *Msg) error {
	_, err := c.in.recv(m)
	return err
}
func (c *clientPattern) hasIn() bool  { return c.in.hasIn() }
func (c *clientPattern) hasOut() bool { return c.out.hasOut() }

// isDatagramPipe reports whether p is a connected datagram (udp) pipe:
// such a peer never joins groups, RADIO sends it every message.
func isDatagramPipe(p *pipe) bool {
	return p.cn != nil && p.cn.tr.Kind() == transport.KindDatagram
}

// joinMsg is a JOIN (or LEAVE) of group, as DISH queues it to its peers.
func joinMsg(join bool, group string) Msg {
	m := Msg{kind: kindLeave, group: group}
	if join {
		m.kind = kindJoin
	}
	return m
}

// dishFrames turns a message from a RADIO peer, [group][body] on the
// wire, into the body with its group set. Anything else breaks the
// protocol (libzmq's dish session fails the connection).
func dishFrames(m *Msg) error {
	if len(m.Frames) != 2 {
		return protoErr(invalid("DISH: a message from RADIO must be [group][body], got %d frames", len(m.Frames)))
	}
	if len(m.Frames[0]) > MaxGroupLen {
		return protoErr(invalid("DISH: group longer than %d bytes", MaxGroupLen))
	}
	m.group = string(m.Frames[0])
	m.Frames = m.Frames[1:]
	return nil
}

// radioPattern (RADIO) sends each message to the pipes that joined its
// group, and to every datagram pipe. JOIN and LEAVE arrive as messages on
// the pipes' inbound queues; they are applied before each send.
type radioPattern struct {
	s     *Socket
	pipes []*pipe
	subs  map[string]map[*pipe]struct{} // group → pipes that joined it
	udp   []*pipe
	match []*pipe
	in    Msg // scratch: a JOIN or LEAVE being read
	out   Msg // scratch: the copy being queued
}

func newRadio(s *Socket) *radioPattern {
	return &radioPattern{s: s, subs: map[string]map[*pipe]struct{}{}}
}

func (r *radioPattern) attach(p *pipe) {
	r.pipes = append(r.pipes, p)
	if isDatagramPipe(p) {
		r.udp = append(r.udp, p)
		return
	}
	r.readJoins(p)
}

func removePipe(ps []*pipe, p *pipe) []*pipe {
	for i, x := range ps {
		if x == p {
			return append(ps[:i], ps[i+1:]...)
		}
	}
	return ps
}

func (r *radioPattern) detach(p *pipe) {
	r.pipes = removePipe(r.pipes, p)
	r.udp = removePipe(r.udp, p)
	r.unsubscribe(p)
}

// reattached forgets what a connected pipe's previous connection joined:
// the new peer joins afresh.
func (r *radioPattern) reattached(p *pipe) {
	if !isDatagramPipe(p) {
		r.readJoins(p)
		r.unsubscribe(p)
	}
}

func (r *radioPattern) unsubscribe(p *pipe) {
	for g, ps := range r.subs {
		if _, ok := ps[p]; ok {
			delete(ps, p)
			if len(ps) == 0 {
				delete(r.subs, g)
			}
		}
	}
}

// readJoins applies the JOINs and LEAVEs p has sent.
func (r *radioPattern) readJoins(p *pipe) {
	for p.recvOne(&r.in) {
		g := r.in.group
		switch r.in.kind {
		case kindJoin:
			ps := r.subs[g]
			if ps == nil {
				ps = map[*pipe]struct{}{}
				r.subs[g] = ps
			}
			ps[p] = struct{}{}
		case kindLeave:
			if ps, ok := r.subs[g]; ok {
				delete(ps, p)
				if len(ps) == 0 {
					delete(r.subs, g)
				}
			}
		}
		r.in.group = ""
	}
}

func (r *radioPattern) send(m *Msg) error {
	for _, p := range r.pipes {
		if p.hasIn() {
			r.readJoins(p)
		}
	}
	r.match = r.match[:0]
	for p := range r.subs[m.group] {
		r.match = append(r.match, p)
	}
	r.match = append(r.match, r.udp...)
	if r.s.opts.XPubNoDrop {
		// ZMQ_XPUB_NODROP: wait until every matching peer has room
		for _, p := range r.match {
			if p.out.full() {
				clear(r.match)
				return ErrWouldBlock
			}
		}
	}
	for _, p := range r.match {
		r.out.setFrames(nil, m.Frames)
		r.out.group = m.group
		r.out.kind = kindData
		p.out.pushSwap(&r.out, false) // dropped when full, as libzmq
	}
	r.out.group = ""
	clear(r.match)
	return nil
}

func (r *radioPattern) recv(m *Msg) error { return ErrNotSupported }
func (r *radioPattern) hasIn() bool       { return false }
func (r *radioPattern) hasOut() bool      { return true }

// dishPattern (DISH) fair-queues messages of the groups it joined; it
// tells every peer its groups (JOIN/LEAVE) as they change and when the
// peer connects.
type dishPattern struct {
	s      *Socket
	in     fq
	pipes  []*pipe
	groups map[string]struct{}
	ready  Msg // a message hasIn fetched, for the next recv
	has    bool
}

func newDish(s *Socket) *dishPattern {
	return &dishPattern{s: s, groups: map[string]struct{}{}}
}

func (d *dishPattern) attach(p *pipe) {
	d.in.add(p)
	d.pipes = append(d.pipes, p)
	for g := range d.groups {
		m := joinMsg(true, g)
		p.out.pushSwap(&m, true)
	}
}

func (d *dishPattern) detach(p *pipe) {
	d.in.remove(p)
	d.pipes = removePipe(d.pipes, p)
}

// reattached sends every joined group to the new connection of a
// connected pipe (libzmq's dish_t::xhiccuped).
func (d *dishPattern) reattached(p *pipe) {
	for g := range d.groups {
		m := joinMsg(true, g)
		p.out.pushSwap(&m, true)
	}
}

func (d *dishPattern) join(g string, on bool) error {
	if len(g) > MaxGroupLen {
		return invalid("group longer than %d bytes", MaxGroupLen)
	}
	_, joined := d.groups[g]
	if on == joined {
		if on {
			return invalid("group %q already joined", g)
		}
		return invalid("group %q not joined", g)
	}
	if on {
		d.groups[g] = struct{}{}
	} else {
		delete(d.groups, g)
	}
	for _, p := range d.pipes {
		m := joinMsg(on, g)
		p.out.pushSwap(&m, true) // never lost to the HWM
	}
	return nil
}

func (d *dishPattern) send(m *Msg) error { return ErrNotSupported }

func (d *dishPattern) recv(m *Msg) error {
	if d.has {
		m.swap(&d.ready)
		d.has = false
		return nil
	}
	for {
		if _, err := d.in.recv(m); err != nil {
			return err
		}
		if _, ok := d.groups[m.group]; ok {
			return nil
		}
	}
}

func (d *dishPattern) hasIn() bool {
	if d.has {
		return true
	}
	if d.recv(&d.ready) == nil {
		d.has = true
	}
	return d.has
}

// hasOut is true as in libzmq: groups can be joined and left at any time.
func (d *dishPattern) hasOut() bool { return true }

// dgramPattern (DGRAM) talks through its one pipe, normally the bound udp
// socket, in two-frame messages: [address "ip:port"][body].
type dgramPattern struct {
	peer *pipe
	in   fq
}

func (g *dgramPattern) attach(p *pipe) {
	if g.peer != nil {
		go p.terminate(true) // libzmq: a DGRAM socket has one peer
		return
	}
	g.peer = p
	g.in.add(p)
}

func (g *dgramPattern) detach(p *pipe) {
	if g.peer == p {
		g.peer = nil
	}
	g.in.remove(p)
}

func (g *dgramPattern) send(m *Msg) error {
	if len(m.Frames) != 2 {
		return invalid("DGRAM messages are [address][body], got %d frames", len(m.Frames))
	}
	if g.peer == nil || !g.peer.out.pushMsg(nil, m, 0) {
		return ErrWouldBlock
	}
	return nil
}

func (g *dgramPattern) recv(m *Msg) error {
	_, err := g.in.recv(m)
	return err
}

func (g *dgramPattern) hasIn() bool  { return g.in.hasIn() }
func (g *dgramPattern) hasOut() bool { return g.peer != nil && !g.peer.out.full() }
