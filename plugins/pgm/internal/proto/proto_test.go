package proto

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
)

const sec = Time(time.Second)

func TestLossless(t *testing.T) {
	s := newSim(t, 1)
	msgs := makeMsgs(rand.New(rand.NewPCG(1, 1)), 2000, 5000)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 10e6, TxwSqns: 5000}, msgs)
	rs := []*simReceiver{s.newReceiver("a", "192.0.2.2", ReceiverConfig{}), s.newReceiver("b", "192.0.2.3", ReceiverConfig{})}
	s.start(snd, time.Millisecond)
	s.run(10 * sec)
	for _, r := range rs {
		checkAll(t, r.node.name, r.got[snd.cfg.TSI], msgs)
		if st := r.Stats(); st.NAKs != 0 || st.Lost != 0 {
			t.Errorf("%v", r)
		}
	}
	if snd.Stats.RDATA != 0 {
		t.Errorf("sender repaired without loss: %+v", snd.Stats)
	}
}

// Drops, duplicates and reordering in both directions: every message
// arrives exactly once and in order when the window covers the repairs.
func TestLossyNetwork(t *testing.T) {
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run("", func(t *testing.T) {
			s := newSim(t, seed)
			s.loss, s.dup = 0.1, 0.05
			s.delayMin, s.delayMax = 100*time.Microsecond, 3*time.Millisecond // reorders
			msgs := makeMsgs(rand.New(rand.NewPCG(seed, 2)), 3000, 4000)
			snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 2e6, TxwSqns: 100000}, msgs)
			rs := []*simReceiver{
				s.newReceiver("a", "192.0.2.2", ReceiverConfig{RxwSqns: 100000}),
				s.newReceiver("b", "192.0.2.3", ReceiverConfig{RxwSqns: 100000}),
				s.newReceiver("c", "192.0.2.4", ReceiverConfig{RxwSqns: 100000}),
			}
			s.start(snd, time.Millisecond)
			s.run(60 * sec)
			for _, r := range rs {
				checkAll(t, r.node.name, r.got[snd.cfg.TSI], msgs)
				st := r.Stats()
				if st.Lost != 0 || st.NAKs == 0 || st.Repairs == 0 {
					t.Errorf("%v", r)
				}
			}
			if snd.Stats.RDATA == 0 || snd.Stats.NCFs == 0 {
				t.Errorf("sender: %+v", snd.Stats)
			}
			t.Logf("sender %+v", snd.Stats)
			t.Logf("%v", rs[0])
		})
	}
}

// A receiver cut off for longer than the transmit window covers loses
// data: the loss is reported, and the stream resumes at a message
// boundary with every later message.
func TestLossBeyondWindow(t *testing.T) {
	s := newSim(t, 3)
	msgs := makeMsgs(rand.New(rand.NewPCG(3, 3)), 3000, 3000)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 100e3, TxwSqns: 50}, msgs)
	ok := s.newReceiver("ok", "192.0.2.2", ReceiverConfig{})
	cut := s.newReceiver("cut", "192.0.2.3", ReceiverConfig{})
	outage := [2]Time{2 * sec, 3 * sec}
	s.drop = func(from, to *simNode, p *wire.Packet) bool {
		return (to == cut.node || from == cut.node) && s.now >= outage[0] && s.now < outage[1]
	}
	s.start(snd, time.Millisecond)
	s.run(60 * sec)
	checkAll(t, "ok", ok.got[snd.cfg.TSI], msgs)
	idx := checkOrdered(t, "cut", cut.got[snd.cfg.TSI], msgs)
	st := cut.Stats()
	if cut.lost[snd.cfg.TSI] == 0 || st.Lost == 0 || st.LossEvents == 0 {
		t.Fatalf("no loss reported: %v", cut)
	}
	if len(idx) == len(msgs) {
		t.Fatal("nothing was lost")
	}
	// after the gap, every message to the end
	gap := 0
	for i := 1; i < len(idx); i++ {
		if idx[i] != idx[i-1]+1 {
			gap++
		}
	}
	if gap != 1 || idx[len(idx)-1] != len(msgs)-1 || idx[0] != 0 {
		t.Fatalf("%d gaps in %d messages (first %d, last %d)", gap, len(idx), idx[0], idx[len(idx)-1])
	}
	t.Logf("lost %d packets, %d of %d messages delivered; %v", cut.lost[snd.cfg.TSI], len(idx), len(msgs), cut)
}

// A receiver that joins mid-stream starts at a message boundary and gets
// everything after it.
func TestLateJoin(t *testing.T) {
	s := newSim(t, 4)
	msgs := makeMsgs(rand.New(rand.NewPCG(4, 4)), 2000, 3000)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 100e3, TxwSqns: 1000}, msgs)
	early := s.newReceiver("early", "192.0.2.2", ReceiverConfig{})
	s.start(snd, time.Millisecond)
	s.run(2 * sec)
	late := s.newReceiver("late", "192.0.2.3", ReceiverConfig{})
	s.loss = 0.05
	s.run(60 * sec)
	checkAll(t, "early", early.got[snd.cfg.TSI], msgs)
	idx := checkOrdered(t, "late", late.got[snd.cfg.TSI], msgs)
	if len(idx) == 0 || idx[0] == 0 || idx[len(idx)-1] != len(msgs)-1 || len(idx) != len(msgs)-idx[0] {
		t.Fatalf("late joiner got %d messages from %v", len(idx), idx[:min(3, len(idx))])
	}
	if st := late.Stats(); st.Lost != 0 {
		t.Errorf("late joiner reported loss: %v", late)
	}
}

// Sequence numbers wrap around 2^32 without a hiccup.
func TestWraparound(t *testing.T) {
	s := newSim(t, 5)
	s.loss = 0.05
	msgs := makeMsgs(rand.New(rand.NewPCG(5, 5)), 1500, 3000)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 1e6, TxwSqns: 10000, FirstSqn: 0xFFFFFFFF - 300}, msgs)
	r := s.newReceiver("r", "192.0.2.2", ReceiverConfig{RxwSqns: 10000})
	s.start(snd, time.Millisecond)
	s.run(30 * sec)
	checkAll(t, "r", r.got[snd.cfg.TSI], msgs)
	if snd.Lead() > 10000 {
		t.Fatalf("lead %d: no wraparound", snd.Lead())
	}
}

// Two sources on one group and port: each is followed on its own.
func TestTwoSources(t *testing.T) {
	s := newSim(t, 6)
	s.loss = 0.03
	m1 := makeMsgs(rand.New(rand.NewPCG(6, 1)), 800, 2000)
	m2 := makeMsgs(rand.New(rand.NewPCG(6, 2)), 800, 2000)
	a := s.newSender("a", "192.0.2.1", SenderConfig{Rate: 1e6, TxwSqns: 5000}, m1)
	b := s.newSender("b", "192.0.2.9", SenderConfig{Rate: 1e6, TxwSqns: 5000}, m2)
	r := s.newReceiver("r", "192.0.2.2", ReceiverConfig{})
	s.start(a, time.Millisecond)
	s.start(b, time.Millisecond)
	s.run(20 * sec)
	checkAll(t, "from a", r.got[a.cfg.TSI], m1)
	checkAll(t, "from b", r.got[b.cfg.TSI], m2)
}

// The rate limit holds: ODATA and RDATA together stay within RATE.
func TestRateLimit(t *testing.T) {
	s := newSim(t, 7)
	s.loss = 0.1
	msgs := makeMsgs(rand.New(rand.NewPCG(7, 7)), 3000, 4000)
	const rate = 200e3 // octets/s
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: rate, TxwSqns: 100000}, msgs)
	s.newReceiver("r", "192.0.2.2", ReceiverConfig{RxwSqns: 100000})
	s.start(snd, time.Millisecond)
	var bytesAt []uint64
	for i := range 8 {
		s.run(Time(i+1) * sec / 2)
		bytesAt = append(bytesAt, snd.Stats.Bytes+28*(snd.Stats.ODATA+snd.Stats.RDATA+snd.Stats.SPMs))
	}
	for i := 1; i < len(bytesAt); i++ {
		got := float64(bytesAt[i]-bytesAt[i-1]) * 2 // per second
		if got > rate*1.05 || got < rate*0.8 {
			t.Errorf("interval %d: %.0f octets/s, rate %.0f (%+v)", i, got, rate, snd.Stats)
		}
	}
}

// A slow consumer: data waits in the window, then flows on.
func TestSlowConsumer(t *testing.T) {
	s := newSim(t, 8)
	msgs := makeMsgs(rand.New(rand.NewPCG(8, 8)), 2000, 2000)
	snd := s.newSender("pub", "192.0.2.1", SenderConfig{Rate: 1e6, TxwSqns: 100000}, msgs)
	r := s.newReceiver("r", "192.0.2.2", ReceiverConfig{RxwSqns: 100})
	s.start(snd, time.Millisecond)
	for i := range 40 {
		r.ready = i%4 == 0 // ready a quarter of the time
		s.run(Time(i+1) * sec / 20)
		if r.ready {
			r.Resume(s.now)
		}
	}
	r.ready = true
	r.Resume(s.now)
	s.run(40 * sec)
	checkAll(t, "r", r.got[snd.cfg.TSI], msgs)
	if st := r.Stats(); st.Dropped == 0 {
		t.Logf("nothing dropped: %v", r)
	}
}
