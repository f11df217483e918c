package proto

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
)

// chaos injects packets from node n every ivl until stop, built by gen.
func (s *sim) chaos(n *simNode, ivl time.Duration, stop Time, gen func(r *rand.Rand) ([]byte, netip.Addr)) {
	var tick func()
	tick = func() {
		if s.now >= stop {
			return
		}
		b, to := gen(s.rng)
		sn := simNet{s, n}
		if to.IsValid() {
			sn.SendTo(b, to)
		} else {
			sn.SendGroup(b)
		}
		s.push(s.now.Add(ivl), tick)
	}
	s.push(s.now.Add(ivl), tick)
}

func mutate(r *rand.Rand, b []byte) []byte {
	b = append([]byte(nil), b...)
	switch r.IntN(4) {
	case 0: // flip bits (mostly caught by the checksum)
		for range 1 + r.IntN(4) {
			b[r.IntN(len(b))] ^= byte(1 << r.IntN(8))
		}
	case 1: // truncate
		b = b[:r.IntN(len(b))]
	case 2: // oversize
		b = append(b, make([]byte, r.IntN(70000))...)
	case 3: // flip bits and fix the checksum: passes Parse's integrity check
		for range 1 + r.IntN(4) {
			b[r.IntN(len(b))] ^= byte(1 << r.IntN(8))
		}
		if len(b) >= wire.HeaderLen {
			b[6], b[7] = 0, 0
			binary.BigEndian.PutUint16(b[6:], wire.Checksum(b))
		}
	}
	return b
}

// Garbage from a third host (mutated copies of real packets, forged
// sessions, random TSIs, NAK storms) never disturbs the real stream, and
// everything stays bounded.
func TestForeignGarbage(t *testing.T) {
	s := newSim(t, 11)
	s.loss = 0.02
	msgs := makeMsgs(rand.New(rand.NewPCG(11, 1)), 2000, 3000)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 500e3, TxwSqns: 5000}, msgs)
	tm := DefaultTimers()
	tm.PeerExpiry = 2 * time.Second
	r := s.newReceiver("r", "192.0.2.2", ReceiverConfig{RxwSqns: 5000, MaxPeers: 16, Timers: tm})
	evil := s.addNode("evil", "192.0.2.66", true)
	var seen [][]byte
	evil.handle = func(now Time, p *wire.Packet, from netip.Addr) {}
	s.drop = func(from, to *simNode, p *wire.Packet) bool {
		if from == snd.node && len(seen) < 200 {
			seen = append(seen, wire.AppendData(nil, wire.Hdr{SPort: p.SPort, DPort: p.DPort, GSI: p.GSI}, p.Type, p.Sqn, p.Trail, p.Payload, nil))
		}
		return false
	}
	s.start(snd, time.Millisecond)
	s.run(sec / 2)
	other := func(r *rand.Rand) wire.Hdr {
		return wire.Hdr{SPort: uint16(r.Uint32()), DPort: testPort, GSI: wire.GSI{9, 9, byte(r.Uint32()), byte(r.Uint32()), 1, 1}}
	}
	stop := 2 * sec
	// garbage every ivl(d): d, or four times sparser under -race
	ivl := func(d time.Duration) time.Duration {
		if raceOn {
			return 4 * d
		}
		return d
	}
	// mutated copies of the real source's packets, reaching everyone
	s.chaos(evil, ivl(300*time.Microsecond), stop, func(r *rand.Rand) ([]byte, netip.Addr) {
		b := seen[r.IntN(len(seen))]
		b = mutate(r, b)
		// a mutation that keeps the real TSI would forge the real stream:
		// this test is about foreign garbage
		if len(b) >= 14 && b[8] == snd.cfg.TSI.GSI[0] {
			b[8] ^= 0x80
			if len(b) >= wire.HeaderLen {
				b[6], b[7] = 0, 0
				binary.BigEndian.PutUint16(b[6:], wire.Checksum(b))
			}
		}
		if r.IntN(2) == 0 {
			return b, snd.node.addr
		}
		return b, netip.Addr{}
	})
	// forged sessions: SPMs with wild windows, data with wild sequence numbers
	s.chaos(evil, ivl(500*time.Microsecond), stop, func(r *rand.Rand) ([]byte, netip.Addr) {
		h := other(r)
		if r.IntN(2) == 0 {
			return wire.AppendSPM(nil, h, r.Uint32(), r.Uint32(), r.Uint32(), evil.addr, r.IntN(10) == 0), netip.Addr{}
		}
		return wire.AppendData(nil, h, wire.TypeODATA, r.Uint32(), r.Uint32(), []byte{0, 0, 3, 0, 'x', 'y'}, nil), netip.Addr{}
	})
	// a NAK storm at the real source: valid NAKs for random sequence
	// numbers, and NAKs for the wrong NLA or group
	s.chaos(evil, ivl(100*time.Microsecond), stop, func(r *rand.Rand) ([]byte, netip.Addr) {
		h := wire.Hdr{SPort: testPort, DPort: snd.cfg.TSI.SPort, GSI: snd.cfg.TSI.GSI}
		sqns := make([]uint32, 1+r.IntN(63))
		for i := range sqns {
			sqns[i] = snd.Lead() - uint32(r.IntN(3000))
		}
		nla, grp := snd.node.addr, testGroup
		switch r.IntN(4) {
		case 0:
			nla = evil.addr
		case 1:
			grp = netip.MustParseAddr("239.1.1.1")
		}
		return wire.AppendNAK(nil, h, wire.TypeNAK, sqns, nla, grp), snd.node.addr
	})
	s.run(60 * sec)
	checkAll(t, "r", r.got[snd.cfg.TSI], msgs)
	st := r.Stats()
	if st.PeersRefused == 0 || st.Peers > 16 {
		t.Errorf("peers not bounded: %v", r)
	}
	if st.Peers > 1 || st.PeersExpired == 0 {
		t.Errorf("forged peers did not expire: %v", r)
	}
	if snd.Stats.BadUpstream == 0 || snd.Stats.NAKsSuppressed == 0 {
		t.Errorf("sender: %+v", snd.Stats)
	}
	if r.node.bad == 0 || snd.node.bad == 0 {
		t.Errorf("no packet failed to parse: %d %d", r.node.bad, snd.node.bad)
	}
	// the storm asked for about 64 per 100us, all within the window: the
	// hold-off bounds the repairs to one per sequence number per 20ms
	if limit := uint64(3000 * (stop / Time(repairHoldoff))); snd.Stats.RDATA > limit {
		t.Errorf("RDATA %d over %d", snd.Stats.RDATA, limit)
	}
	t.Logf("sender %+v", snd.Stats)
	t.Logf("%v", r)
}

// Forgeries of the real session (same TSI): the receiver may lose data
// but stays bounded, keeps running, and delivers only intact messages.
func TestForgedSession(t *testing.T) {
	s := newSim(t, 12)
	msgs := makeMsgs(rand.New(rand.NewPCG(12, 1)), 6000, 3000)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 200e3, TxwSqns: 2000}, msgs)
	r := s.newReceiver("r", "192.0.2.2", ReceiverConfig{RxwSqns: 500, MaxMsgSize: 100000})
	evil := s.addNode("evil", "192.0.2.66", false)
	evil.handle = func(Time, *wire.Packet, netip.Addr) {}
	h := wire.Hdr{SPort: snd.cfg.TSI.SPort, DPort: testPort, GSI: snd.cfg.TSI.GSI}
	s.start(snd, time.Millisecond)
	s.run(sec)
	s.chaos(evil, 2*time.Millisecond, 3*sec, func(rg *rand.Rand) ([]byte, netip.Addr) {
		lead := snd.Lead()
		switch rg.IntN(5) {
		case 0: // an SPM claiming a window far ahead
			return wire.AppendSPM(nil, h, snd.spmSqn+uint32(rg.IntN(100)), lead+uint32(rg.IntN(1<<20)), lead+uint32(rg.IntN(1<<30)), evil.addr, false), netip.Addr{}
		case 1: // data far ahead (a jump)
			q := lead + uint32(rg.IntN(1<<24))
			return wire.AppendData(nil, h, wire.TypeODATA, q, q-10, []byte{0, 0, 2, 0, 'j'}, nil), netip.Addr{}
		case 2: // garbage ZMTP/1.0 inside the window
			q := lead + uint32(rg.IntN(50))
			return wire.AppendData(nil, h, wire.TypeODATA, q, snd.Trail(), []byte{0, 0, 0, 0xFF, 0xFF}, nil), netip.Addr{}
		case 3: // a huge declared size
			q := lead + uint32(rg.IntN(50))
			return wire.AppendData(nil, h, wire.TypeRDATA, q, snd.Trail(), []byte{0, 0, 0xFF, 0x7F, 0, 0, 0, 0, 0, 0, 0, 0}, nil), netip.Addr{}
		default: // bogus fragments
			q := lead + uint32(rg.IntN(50))
			return wire.AppendData(nil, h, wire.TypeODATA, q, snd.Trail(), []byte("frag"), &wire.Fragment{First: q - uint32(rg.IntN(3)), Offset: uint32(rg.IntN(8)), Length: 60000}), netip.Addr{}
		}
	})
	maxSpan, maxTimers := uint32(0), 0
	for i := range 60 {
		s.run(Time(i+1) * sec)
		for _, pr := range r.peers {
			if pr.w.defined && !pr.w.empty() {
				maxSpan = max(maxSpan, pr.w.span())
			}
			maxTimers = max(maxTimers, len(pr.timers))
		}
	}
	// forged data may deliver forged messages: keep the real ones
	var real [][][]byte
	for _, m := range r.got[snd.cfg.TSI] {
		if len(m) > 0 && len(m[0]) == 8 {
			if i := binary.BigEndian.Uint64(m[0]); i < uint64(len(msgs)) && len(m) == len(msgs[i]) {
				real = append(real, m)
			}
		}
	}
	if maxSpan > 500 || maxTimers > 4*500+64+64 {
		t.Errorf("window span %d, timers %d", maxSpan, maxTimers)
	}
	st := r.Stats()
	if st.Errors == 0 || st.Lost == 0 {
		t.Errorf("%v", r)
	}
	// after the forger stops, the real stream is followed again
	idx := checkOrdered(t, "r", real, msgs)
	if len(idx) == 0 || idx[len(idx)-1] != len(msgs)-1 {
		t.Errorf("the stream did not resume: %d messages", len(idx))
	}
	t.Logf("%v", r)
}

// A source that jumps its sequence numbers by more than a window: the
// receiver reports the loss and resumes at the next message.
func TestSequenceJump(t *testing.T) {
	s := newSim(t, 13)
	msgs := makeMsgs(rand.New(rand.NewPCG(13, 1)), 3000, 0)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 100e3, TxwSqns: 1000}, msgs)
	r := s.newReceiver("r", "192.0.2.2", ReceiverConfig{RxwSqns: 1000})
	s.start(snd, time.Millisecond)
	s.run(sec)
	before := len(r.got[snd.cfg.TSI])
	// the source skips a million sequence numbers
	snd.lead += 1 << 20
	snd.trail = snd.lead + 1
	snd.empty = true
	s.run(30 * sec)
	idx := checkOrdered(t, "r", r.got[snd.cfg.TSI], msgs)
	st := r.Stats()
	if st.Lost < 1<<20 || r.lost[snd.cfg.TSI] < 1<<20 || idx[len(idx)-1] != len(msgs)-1 || len(idx) <= before {
		t.Fatalf("jump: %d messages (%d before), lost %d; %v", len(idx), before, r.lost[snd.cfg.TSI], r)
	}
}

// Framing errors in the source's stream (zero lengths, sizes over
// MAXMSGSIZE) cost the messages they hit; the decoder resynchronises at
// the next message start and the rest arrives.
func TestGarbageFrames(t *testing.T) {
	s := newSim(t, 14)
	s.loss = 0.03
	msgs := makeMsgs(rand.New(rand.NewPCG(14, 1)), 600, 0)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 500e3, TxwSqns: 5000}, nil)
	r := s.newReceiver("r", "192.0.2.2", ReceiverConfig{RxwSqns: 5000, MaxMsgSize: 1000})
	snd.Start(s.now)
	bad := [][]byte{
		{0, 0, 0, 1, 2},                         // zero length
		{0, 0, 0xFF, 0, 0, 1, 0, 0, 0, 0, 0, 0}, // a frame of 2^40 octets
		{0, 9, 1, 2},                            // offset beyond the APDU
		{0},                                     // shorter than the offset
		{0xFF, 0xFF, 7, 7, 7},                   // a middle with no start
		{0, 0, 200, 0, 1, 2, 3},                 // a message cut short by the next start
	}
	for i, m := range msgs {
		for j, f := range m {
			snd.WriteFrame(f, j < len(m)-1)
		}
		snd.Flush()
		if i%10 == 5 {
			b := append(make([]byte, wire.DataHeaderLen), bad[(i/10)%len(bad)]...)
			snd.queue = append(snd.queue, b)
		}
		for snd.QueueFull() {
			s.wake(snd.node)
			s.run(s.now + Time(time.Millisecond))
		}
	}
	s.wake(snd.node)
	s.run(20 * sec)
	idx := checkOrdered(t, "r", r.got[snd.cfg.TSI], msgs)
	st := r.Stats()
	if st.Errors == 0 || st.Resyncs == 0 || st.Lost != 0 {
		t.Errorf("%v", r)
	}
	// at most the message cut by each bad APDU is missing
	if len(idx) < len(msgs)-len(msgs)/10-1 {
		t.Errorf("%d of %d messages", len(idx), len(msgs))
	}
	t.Logf("%d of %d messages; %v", len(idx), len(msgs), r)
}
