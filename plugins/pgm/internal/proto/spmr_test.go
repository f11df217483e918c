package proto

import (
	"net/netip"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
)

// recNet records what a Sender sends.
type recNet struct{ group [][]byte }

func (n *recNet) SendGroup(pkt []byte) { n.group = append(n.group, append([]byte(nil), pkt...)) }
func (n *recNet) SendTo(pkt []byte, _ netip.Addr) {
	n.group = append(n.group, append([]byte(nil), pkt...))
}

// An SPM request is answered with an SPM at once, from Handle, ahead of
// data waiting for the rate limit, and every request is answered: OpenPGM's
// source does both (source.c pgm_on_spmr), and its receivers send each
// request twice, to the group and to the source, and never again. A
// receiver that has no SPM cannot NAK: OpenPGM's declares lost whatever it
// misses until one arrives (issue 15: libzmq subscribers joining a zmqkit
// publisher under 5 % loss merged the frames of two messages in about one
// run in five; the SPM went out after the queued data, 1 to 10 ms late, and
// once, so a lost SPM left the subscriber without one for the whole burst).
func TestSPMRAnsweredAtOnce(t *testing.T) {
	tsi := wire.TSI{GSI: wire.GSI{1, 2, 3, 4, 5, 6}, SPort: 4000}
	nla := netip.MustParseAddr("192.0.2.1")
	grp := netip.MustParseAddr("239.192.0.1")
	net := &recNet{}
	now := Time(time.Second)
	s := NewSender(SenderConfig{TSI: tsi, DPort: 5555, Group: grp, NLA: nla, MaxTPDU: 1500, IPHeaderLen: 28,
		Rate: 10e3, TxwSqns: 1000, MaxQueue: 64, Timers: DefaultTimers()}, net, now)
	// data packed and partly sent, the rest held back by the rate limit
	for range 20 {
		s.WriteFrame(make([]byte, 1400), false)
	}
	s.Flush()
	s.Tick(now)
	if s.queued() == 0 {
		t.Fatal("no data waits for the rate limit")
	}
	lead := s.Lead()
	net.group = nil

	spmr := wire.AppendSPMR(nil, wire.Hdr{SPort: 5555, DPort: tsi.SPort, GSI: tsi.GSI})
	var p wire.Packet
	if err := wire.Parse(spmr, &p); err != nil {
		t.Fatal(err)
	}
	from := netip.MustParseAddr("192.0.2.2")
	now += Time(time.Microsecond)
	s.Handle(now, &p, from) // the copy sent to the group
	s.Handle(now, &p, from) // and the one sent to the source
	var spms []wire.Packet
	for _, b := range net.group {
		var q wire.Packet
		if err := wire.Parse(b, &q); err != nil {
			t.Fatal(err)
		}
		if q.Type != wire.TypeSPM {
			t.Errorf("sent %v in answer to an SPMR", q.Type)
			continue
		}
		spms = append(spms, q)
	}
	if len(spms) != 2 {
		t.Fatalf("two SPMRs answered with %d SPMs at once, want 2 (OpenPGM answers each)", len(spms))
	}
	for _, q := range spms {
		if q.NLA != nla || q.Trail != s.Trail() || q.Lead != lead {
			t.Errorf("SPM: NLA %v trail %d lead %d, want %v %d %d", q.NLA, q.Trail, q.Lead, nla, s.Trail(), lead)
		}
	}
	if spms[0].SPMSqn+1 != spms[1].SPMSqn {
		t.Errorf("SPM sequence numbers %d, %d", spms[0].SPMSqn, spms[1].SPMSqn)
	}
	if s.Stats.SPMRs != 2 {
		t.Errorf("SPMRs counted: %d", s.Stats.SPMRs)
	}
}
