package proto

import (
	"net/netip"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
)

// SenderConfig configures a PGM source.
type SenderConfig struct {
	TSI   wire.TSI   // GSI and data-source port
	DPort uint16     // data-destination port (the endpoint's port)
	Group netip.Addr // multicast group
	NLA   netip.Addr // the source's unicast address, advertised in SPMs
	// MaxTPDU is the largest packet, IPHeaderLen octets of IP (and UDP)
	// headers included (ZMQ_MULTICAST_MAXTPDU).
	MaxTPDU     int
	IPHeaderLen int
	// Rate limits ODATA, RDATA and SPMs together, in octets per second
	// with IP headers counted (ZMQ_RATE*1000/8); 0 means no limit.
	Rate int64
	// TxwSqns is the transmit window in packets (ZMQ_RECOVERY_IVL).
	TxwSqns int
	// MaxQueue is how many packed TPDUs may wait for the rate limit before
	// QueueFull reports true.
	MaxQueue int
	// FirstSqn is the first data sequence number (0 unless testing
	// wraparound).
	FirstSqn uint32
	Timers   Timers
}

// SenderStats counts what a Sender did.
type SenderStats struct {
	ODATA, RDATA, SPMs, NCFs uint64 // packets sent
	Bytes                    uint64 // octets sent, PGM headers included
	NAKs                     uint64 // NAK packets accepted
	NAKSqns                  uint64 // sequence numbers they asked for
	NAKsOutside              uint64 // asked for sequence numbers no longer (or not yet) in the window
	NAKsSuppressed           uint64 // repeats within the hold-off, answered by the repair under way
	BadUpstream              uint64 // NAKs/SPMRs for another session, group or address, or malformed
	SPMRs                    uint64
	Evicted                  uint64 // packets that left the transmit window
}

// repairHoldoff is how long a sequence number just confirmed or repaired
// ignores more NAKs: other receivers' NAKs of the same loss, in flight
// before our NCF reached them, need no second repair (RFC 3208 §5.2's NAK
// storm countermeasure). A receiver that lost the repair asks again after
// NAK_RDATA_IVL, which is longer.
const repairHoldoff = 20 * time.Millisecond

// spmMinGap bounds the SPMs that NAKs outside the window ask for.
const spmMinGap = time.Millisecond

type txSlot struct {
	tpdu       []byte // the sealed ODATA packet
	queued     bool   // in the repair queue
	lastNCF    Time
	lastRepair Time
}

// Sender is a PGM source. It is not safe for concurrent use.
type Sender struct {
	cfg   SenderConfig
	net   Net
	hdr   wire.Hdr
	maxDU int // largest APDU: MaxTPDU - IP/UDP headers - PGM data header

	// transmit window: slots[sqn % len] for trail <= sqn <= lead
	slots []txSlot
	trail uint32
	lead  uint32
	empty bool

	packer  wire.Packer
	queue   [][]byte // packed TPDUs waiting for the rate limit, from qhead on
	qhead   int
	free    [][]byte // spare TPDU buffers
	repairs []uint32 // sequence numbers to repair, oldest request first
	scratch []byte

	rate    bucket
	spmSqn  uint32
	nextAmb Time
	hbIdx   int // -1: no heartbeat pending
	nextHB  Time
	spmWant bool // an SPM was asked for
	lastSPM Time
	closed  bool
	Stats   SenderStats
}

// NewSender makes a source; Start announces it.
func NewSender(cfg SenderConfig, net Net, now Time) *Sender {
	if cfg.TxwSqns < 1 {
		cfg.TxwSqns = 1
	}
	if cfg.MaxQueue < 1 {
		cfg.MaxQueue = 16
	}
	s := &Sender{cfg: cfg, net: net, hbIdx: -1, empty: true}
	s.hdr = wire.Hdr{SPort: cfg.TSI.SPort, DPort: cfg.DPort, GSI: cfg.TSI.GSI}
	s.maxDU = cfg.MaxTPDU - cfg.IPHeaderLen - wire.DataHeaderLen
	if s.maxDU < wire.OffsetLen+1 {
		s.maxDU = wire.OffsetLen + 1
	}
	s.slots = make([]txSlot, min(cfg.TxwSqns, 1024))
	s.trail = cfg.FirstSqn
	s.lead = cfg.FirstSqn - 1
	s.rate = newBucket(cfg.Rate, cfg.MaxTPDU, now)
	s.packer = wire.Packer{Max: s.maxDU, Headroom: wire.DataHeaderLen, Alloc: s.alloc, Emit: s.enqueue}
	s.nextAmb = now.Add(cfg.Timers.AmbientSPM)
	return s
}

// TSI is the source's transport session id.
func (s *Sender) TSI() wire.TSI { return s.cfg.TSI }

// MaxAPDU is the largest APDU payload one packet carries.
func (s *Sender) MaxAPDU() int { return s.maxDU }

// Trail is the transmit window's trailing edge; Lead+1 == Trail when the
// window is empty.
func (s *Sender) Trail() uint32 { return s.trail }

// Lead is the transmit window's leading edge (see Trail).
func (s *Sender) Lead() uint32 { return s.lead }

func (s *Sender) alloc() []byte {
	if n := len(s.free); n > 0 {
		b := s.free[n-1]
		s.free = s.free[:n-1]
		return b[:0]
	}
	return make([]byte, 0, wire.DataHeaderLen+s.maxDU)
}

func (s *Sender) enqueue(tpdu []byte) {
	if s.qhead > 0 && len(s.queue) == cap(s.queue) {
		n := copy(s.queue, s.queue[s.qhead:])
		clear(s.queue[n:])
		s.queue, s.qhead = s.queue[:n], 0
	}
	s.queue = append(s.queue, tpdu)
}

// queued is the number of packed TPDUs waiting.
func (s *Sender) queued() int { return len(s.queue) - s.qhead }

// Start sends the three SPMs OpenPGM opens a session with.
func (s *Sender) Start(now Time) {
	for range 3 {
		s.sendSPM(now, false)
	}
}

// WriteFrame packs a frame (more: another frame of the message follows).
// Packets go out in Tick.
func (s *Sender) WriteFrame(body []byte, more bool) { s.packer.WriteFrame(body, more) }

// Flush closes the partly filled packet, as libzmq sends what it has once
// its pipe is empty.
func (s *Sender) Flush() { s.packer.Flush() }

// Due reports when Tick must run for what Handle asked for (repairs, an
// SPM): 0 (at once) or Never.
func (s *Sender) Due() Time {
	if len(s.repairs) > 0 || s.spmWant {
		return 0
	}
	return Never
}

// QueueFull reports whether packed packets are waiting for the rate limit
// beyond MaxQueue: the writer should wait for Tick to send some.
func (s *Sender) QueueFull() bool { return s.queued() >= s.cfg.MaxQueue }

// Idle reports whether nothing waits to be sent (data or repairs).
func (s *Sender) Idle() bool { return s.queued() == 0 && len(s.repairs) == 0 && !s.packer.Pending() }

func (s *Sender) inWindow(sqn uint32) bool {
	return !s.empty && wire.SqnLessEq(s.trail, sqn) && wire.SqnLessEq(sqn, s.lead)
}

func (s *Sender) slot(sqn uint32) *txSlot { return &s.slots[sqn%uint32(len(s.slots))] }

// growSlots doubles the ring (up to TxwSqns) while keeping each slot at
// sqn % len.
func (s *Sender) growSlots() {
	n := min(2*len(s.slots), s.cfg.TxwSqns)
	ns := make([]txSlot, n)
	if !s.empty {
		for q := s.trail; ; q++ {
			ns[q%uint32(n)] = *s.slot(q)
			if q == s.lead {
				break
			}
		}
	}
	s.slots = ns
}

func (s *Sender) send(b []byte, group bool, to netip.Addr) {
	s.Stats.Bytes += uint64(len(b))
	if group {
		s.net.SendGroup(b)
	} else {
		s.net.SendTo(b, to)
	}
}

func (s *Sender) sendSPM(now Time, fin bool) {
	trail, lead := s.trail, s.lead
	s.scratch = wire.AppendSPM(s.scratch[:0], s.hdr, s.spmSqn, trail, lead, s.cfg.NLA, fin)
	s.spmSqn++
	s.Stats.SPMs++
	s.rate.take(len(s.scratch) + s.cfg.IPHeaderLen)
	s.lastSPM = now
	s.send(s.scratch, true, netip.Addr{})
}

// sendODATA sends the next queued TPDU with the next sequence number.
func (s *Sender) sendODATA(now Time) {
	tpdu := s.queue[s.qhead]
	s.queue[s.qhead] = nil
	if s.qhead++; s.qhead == len(s.queue) {
		s.queue, s.qhead = s.queue[:0], 0
	}

	sqn := s.lead + 1
	if !s.empty && s.lead-s.trail+1 >= uint32(s.cfg.TxwSqns) {
		// the window is full: the oldest packet leaves it
		old := s.slot(s.trail)
		if old.tpdu != nil {
			s.free = append(s.free, old.tpdu)
		}
		*old = txSlot{}
		s.trail++
		s.Stats.Evicted++
	} else if !s.empty && int(s.lead-s.trail+1) >= len(s.slots) {
		s.growSlots()
	}
	s.lead = sqn
	s.empty = false
	wire.PutData(tpdu, s.hdr, wire.TypeODATA, sqn, s.trail)
	*s.slot(sqn) = txSlot{tpdu: tpdu}
	s.Stats.ODATA++
	s.rate.take(len(tpdu) + s.cfg.IPHeaderLen)
	s.send(tpdu, true, netip.Addr{})
	// heartbeat SPMs restart after every data packet
	s.hbIdx = 0
	s.nextHB = now.Add(s.cfg.Timers.HeartbeatSPM[0])
}

// sendRDATA repairs the oldest requested sequence number still in the
// window; it reports whether it sent one.
func (s *Sender) sendRDATA(now Time) bool {
	for len(s.repairs) > 0 {
		sqn := s.repairs[0]
		s.repairs = s.repairs[1:]
		if !s.inWindow(sqn) {
			continue
		}
		sl := s.slot(sqn)
		if !sl.queued {
			continue
		}
		sl.queued = false
		sl.lastRepair = now
		s.scratch = append(s.scratch[:0], sl.tpdu...)
		wire.Resend(s.scratch, s.trail)
		s.Stats.RDATA++
		s.rate.take(len(s.scratch) + s.cfg.IPHeaderLen)
		s.send(s.scratch, true, netip.Addr{})
		return true
	}
	s.repairs = s.repairs[:0]
	return false
}

// Handle processes a packet that arrived from a receiver.
func (s *Sender) Handle(now Time, p *wire.Packet, from netip.Addr) {
	if !p.Type.Upstream() {
		return // downstream traffic (our own, or another source's) is not ours
	}
	if p.UpstreamTSI() != s.cfg.TSI || p.SPort != s.cfg.DPort {
		s.Stats.BadUpstream++
		return
	}
	switch p.Type {
	case wire.TypeSPMR:
		// answered at once, ahead of the data waiting for the rate
		// limit, as OpenPGM's source does (pgm_on_spmr): a receiver that
		// has not heard an SPM yet does not know where to send its NAKs
		// (OpenPGM's declares everything it misses until then lost), and
		// OpenPGM's receivers ask only once
		s.Stats.SPMRs++
		s.sendSPM(now, false)
	case wire.TypeNAK:
		s.onNAK(now, p)
	}
}

func (s *Sender) onNAK(now Time, p *wire.Packet) {
	if p.NLA != s.cfg.NLA || p.Group != s.cfg.Group || p.Options&wire.OptParity != 0 {
		s.Stats.BadUpstream++
		return
	}
	s.Stats.NAKs++
	var ncf [1 + wire.MaxNAKList]uint32
	n := 0
	s.Stats.NAKSqns += uint64(1 + p.ListLen)
	for i := -1; i < p.ListLen; i++ {
		sqn := p.Sqn
		if i >= 0 {
			sqn = p.List[i]
		}
		if !s.inWindow(sqn) {
			s.Stats.NAKsOutside++
			s.spmWant = true // tell the receivers where the window is
			continue
		}
		sl := s.slot(sqn)
		if sl.lastNCF == 0 || now-sl.lastNCF >= Time(repairHoldoff) {
			sl.lastNCF = now
			ncf[n] = sqn
			n++
		}
		if sl.queued || (sl.lastRepair != 0 && now-sl.lastRepair < Time(repairHoldoff)) {
			s.Stats.NAKsSuppressed++
			continue
		}
		sl.queued = true
		s.repairs = append(s.repairs, sqn)
	}
	if n > 0 {
		// RFC 3208 §5.2: confirm at once, to the group
		s.scratch = wire.AppendNAK(s.scratch[:0], s.hdr, wire.TypeNCF, ncf[:n], s.cfg.NLA, s.cfg.Group)
		s.Stats.NCFs++
		s.send(s.scratch, true, netip.Addr{})
	}
}

// Tick sends what is due and what the rate limit allows: SPMs first, then
// repairs, then new data (RFC 3208 §5.1.3). It returns when it wants to
// run next.
func (s *Sender) Tick(now Time) Time {
	t := s.cfg.Timers
	if s.spmWant && now-s.lastSPM >= Time(spmMinGap) {
		s.spmWant = false
		s.sendSPM(now, false)
		s.nextAmb = now.Add(t.AmbientSPM)
	}
	if now >= s.nextAmb {
		s.sendSPM(now, false)
		s.nextAmb = now.Add(t.AmbientSPM)
	}
	if s.hbIdx >= 0 && now >= s.nextHB {
		s.sendSPM(now, false)
		s.hbIdx++
		if s.hbIdx < len(t.HeartbeatSPM) {
			s.nextHB = now.Add(t.HeartbeatSPM[s.hbIdx])
		} else {
			s.hbIdx = -1
		}
	}
	for s.rate.ready(now) {
		if len(s.repairs) > 0 && s.sendRDATA(now) {
			continue
		}
		if s.queued() == 0 {
			break
		}
		s.sendODATA(now)
	}
	next := s.nextAmb
	if s.hbIdx >= 0 {
		next = min(next, s.nextHB)
	}
	if s.spmWant {
		next = min(next, s.lastSPM.Add(spmMinGap))
	}
	if s.queued() > 0 || len(s.repairs) > 0 {
		next = min(next, s.rate.next(now))
	}
	return next
}

// Close ends the session with three SPMs bearing OPT_FIN, as OpenPGM does.
// Data not yet sent is dropped; drain it with Tick first.
func (s *Sender) Close(now Time) {
	if s.closed {
		return
	}
	s.closed = true
	for range 3 {
		s.sendSPM(now, true)
	}
}
