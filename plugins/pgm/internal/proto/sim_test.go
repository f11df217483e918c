package proto

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
)

// A discrete-event simulation of a LAN segment: nodes exchange PGM packets
// through a multicast group and unicast, with loss, duplication, delay
// (hence reordering) and arbitrary per-packet rules, on a virtual clock.

type event struct {
	at  Time
	seq uint64
	fn  func()
}

type simNode struct {
	name   string
	addr   netip.Addr
	handle func(now Time, p *wire.Packet, from netip.Addr)
	tick   func(now Time) Time
	member bool // receives the group's traffic
	wakeAt Time
	gen    uint64
	parsed uint64
	bad    uint64
}

type sim struct {
	t      *testing.T
	now    Time
	events []event
	seq    uint64
	rng    *rand.Rand
	nodes  map[netip.Addr]*simNode
	order  []*simNode

	loss     float64       // probability a packet copy is dropped
	dup      float64       // probability a packet copy is duplicated
	delayMin time.Duration // one-way delay range (reordering when wide)
	delayMax time.Duration
	// drop, if set, drops a copy from -> to when it returns true.
	drop func(from, to *simNode, p *wire.Packet) bool

	sent, delivered uint64
}

func newSim(t *testing.T, seed uint64) *sim {
	return &sim{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), nodes: map[netip.Addr]*simNode{},
		delayMin: 200 * time.Microsecond, delayMax: 400 * time.Microsecond, now: 1}
}

func (s *sim) push(at Time, fn func()) {
	s.seq++
	e := event{at, s.seq, fn}
	s.events = append(s.events, e)
	i := len(s.events) - 1
	for i > 0 {
		p := (i - 1) / 2
		if less(s.events[p], s.events[i]) {
			break
		}
		s.events[p], s.events[i] = s.events[i], s.events[p]
		i = p
	}
}

func less(a, b event) bool { return a.at < b.at || (a.at == b.at && a.seq < b.seq) }

func (s *sim) pop() event {
	h := s.events
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l, m := 2*i+1, i
		if l < n && less(h[l], h[m]) {
			m = l
		}
		if l+1 < n && less(h[l+1], h[m]) {
			m = l + 1
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	s.events = h
	return top
}

func (s *sim) addNode(name string, addr string, member bool) *simNode {
	n := &simNode{name: name, addr: netip.MustParseAddr(addr), member: member, wakeAt: Never}
	s.nodes[n.addr] = n
	s.order = append(s.order, n)
	return n
}

// wake runs a node's timers now and schedules its next wake-up.
func (s *sim) wake(n *simNode) {
	if n.tick == nil {
		return
	}
	next := n.tick(s.now)
	n.gen++
	if next == Never {
		return
	}
	if next <= s.now {
		next = s.now + 1
	}
	g := n.gen
	s.push(next, func() {
		if n.gen == g {
			s.wake(n)
		}
	})
}

// net returns the Net of node n.
func (s *sim) net(n *simNode) Net { return simNet{s, n} }

type simNet struct {
	s *sim
	n *simNode
}

func (sn simNet) SendGroup(pkt []byte) {
	for _, to := range sn.s.order {
		if to != sn.n && to.member {
			sn.s.transmit(sn.n, to, pkt)
		}
	}
}

func (sn simNet) SendTo(pkt []byte, to netip.Addr) {
	if n := sn.s.nodes[to]; n != nil {
		sn.s.transmit(sn.n, n, pkt)
	}
}

func (s *sim) transmit(from, to *simNode, pkt []byte) {
	s.sent++
	if s.drop != nil {
		var p wire.Packet
		if wire.Parse(pkt, &p) == nil && s.drop(from, to, &p) {
			return
		}
	}
	copies := 1
	if s.rng.Float64() < s.dup {
		copies = 2
	}
	for range copies {
		if s.rng.Float64() < s.loss {
			continue
		}
		b := slices.Clone(pkt)
		d := s.delayMin
		if s.delayMax > s.delayMin {
			d += time.Duration(s.rng.Int64N(int64(s.delayMax - s.delayMin)))
		}
		s.push(s.now.Add(d), func() {
			var p wire.Packet
			if err := wire.Parse(b, &p); err != nil {
				to.bad++
				return
			}
			to.parsed++
			s.delivered++
			to.handle(s.now, &p, from.addr)
			s.wake(to)
		})
	}
}

// run processes events until the clock passes until or nothing is left.
func (s *sim) run(until Time) {
	for len(s.events) > 0 && s.events[0].at <= until {
		e := s.pop()
		s.now = e.at
		e.fn()
	}
	if s.now < until {
		s.now = until
	}
}

// --- nodes -----------------------------------------------------------------

type simSender struct {
	*Sender
	node *simNode
	msgs [][][]byte
	next int // next message to write
}

var testGroup = netip.MustParseAddr("239.192.7.7")

const testPort = 5555

func (s *sim) newSender(name, addr string, cfg SenderConfig, msgs [][][]byte) *simSender {
	n := s.addNode(name, addr, false)
	if cfg.TSI == (wire.TSI{}) {
		cfg.TSI = wire.TSI{GSI: wire.GSI{byte(len(s.order)), 2, 3, 4, 5, 6}, SPort: uint16(1000 + len(s.order))}
	}
	cfg.DPort = testPort
	cfg.Group = testGroup
	cfg.NLA = n.addr
	if cfg.MaxTPDU == 0 {
		cfg.MaxTPDU = 1500
	}
	if cfg.IPHeaderLen == 0 {
		cfg.IPHeaderLen = 28
	}
	if cfg.Timers.NAKBackoff == 0 {
		cfg.Timers = DefaultTimers()
	}
	ss := &simSender{Sender: NewSender(cfg, s.net(n), s.now), node: n, msgs: msgs}
	n.handle = ss.Handle
	n.tick = ss.Tick
	return ss
}

// start announces the sender and feeds it its messages as fast as its
// queue allows, every interval.
func (s *sim) start(ss *simSender, interval time.Duration) {
	ss.Start(s.now)
	var produce func()
	produce = func() {
		for ss.next < len(ss.msgs) && !ss.QueueFull() {
			m := ss.msgs[ss.next]
			for i, f := range m {
				ss.WriteFrame(f, i < len(m)-1)
			}
			ss.next++
			ss.Flush()
		}
		s.wake(ss.node)
		if ss.next < len(ss.msgs) {
			s.push(s.now.Add(interval), produce)
		}
	}
	// data after the opening SPMs have reached the receivers: a receiver
	// starts with the first data packet it sees (RFC 3208 §6.1)
	s.push(s.now.Add(5*time.Millisecond), produce)
	s.wake(ss.node)
}

type simReceiver struct {
	*Receiver
	node  *simNode
	got   map[wire.TSI][][][]byte
	lost  map[wire.TSI]uint64
	ready bool
}

func (s *sim) newReceiver(name, addr string, cfg ReceiverConfig) *simReceiver {
	n := s.addNode(name, addr, true)
	sr := &simReceiver{node: n, got: map[wire.TSI][][][]byte{}, lost: map[wire.TSI]uint64{}, ready: true}
	cfg.DPort = testPort
	cfg.Group = testGroup
	if cfg.Timers.NAKBackoff == 0 {
		cfg.Timers = DefaultTimers()
	}
	if cfg.RxwSqns == 0 {
		cfg.RxwSqns = 1000
	}
	if cfg.MaxMsgSize == 0 {
		cfg.MaxMsgSize = -1
	}
	cfg.Rand = rand.New(rand.NewPCG(uint64(len(s.order)), 7))
	cfg.Deliver = func(tsi wire.TSI, frames [][]byte) { sr.got[tsi] = append(sr.got[tsi], frames) }
	cfg.Loss = func(tsi wire.TSI, k uint64) { sr.lost[tsi] += k }
	cfg.Ready = func() bool { return sr.ready }
	sr.Receiver = NewReceiver(cfg, s.net(n))
	n.handle = sr.Handle
	n.tick = sr.Tick
	return sr
}

// --- messages --------------------------------------------------------------

// makeMsgs builds n messages: frame 0 is the 8-octet index, then 0-2 more
// frames, some larger than a packet.
func makeMsgs(r *rand.Rand, n, big int) [][][]byte {
	msgs := make([][][]byte, n)
	for i := range msgs {
		m := [][]byte{binary.BigEndian.AppendUint64(nil, uint64(i))}
		for range r.IntN(3) {
			size := r.IntN(100)
			if big > 0 && r.IntN(10) == 0 {
				size = r.IntN(big)
			}
			f := make([]byte, size)
			for k := range f {
				f[k] = byte(i + k)
			}
			m = append(m, f)
		}
		msgs[i] = m
	}
	return msgs
}

// checkOrdered checks that got holds sent messages, intact, in order, each
// at most once, and returns their indices.
func checkOrdered(t *testing.T, who string, got, sent [][][]byte) []int {
	t.Helper()
	idx := make([]int, 0, len(got))
	last := -1
	for _, m := range got {
		if len(m) == 0 || len(m[0]) != 8 {
			t.Fatalf("%s: malformed message %q", who, m)
		}
		i := int(binary.BigEndian.Uint64(m[0]))
		if i <= last || i >= len(sent) {
			t.Fatalf("%s: message %d after %d", who, i, last)
		}
		if !slices.EqualFunc(m, sent[i], bytes.Equal) {
			t.Fatalf("%s: message %d corrupted", who, i)
		}
		idx = append(idx, i)
		last = i
	}
	return idx
}

func checkAll(t *testing.T, who string, got, sent [][][]byte) {
	t.Helper()
	idx := checkOrdered(t, who, got, sent)
	if len(idx) != len(sent) {
		t.Fatalf("%s: %d of %d messages", who, len(idx), len(sent))
	}
}

func (sr *simReceiver) String() string {
	return fmt.Sprintf("%s %+v", sr.node.name, sr.Stats())
}
