package proto

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"time"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
)

// ReceiverConfig configures the receiving side of a PGM socket.
type ReceiverConfig struct {
	DPort uint16     // data-destination port (the endpoint's port)
	Group netip.Addr // the multicast group
	// RxwSqns bounds each source's receive window in packets (libzmq sizes
	// it from ZMQ_RATE and ZMQ_RECOVERY_IVL, like the transmit window).
	RxwSqns int
	// MaxMsgSize is ZMQ_MAXMSGSIZE: the largest frame accepted; <0 none.
	MaxMsgSize int64
	// MaxPeers bounds the sources followed at once; packets of further
	// sources are dropped (and counted) until one expires.
	MaxPeers int
	Timers   Timers
	Rand     *rand.Rand
	// Deliver receives each complete message of source tsi; the frames
	// belong to the callee, unless Borrow is set.
	Deliver func(tsi wire.TSI, frames [][]byte)
	// Borrow lends the frames to Deliver for the call only (see
	// wire.Decoder's Borrow): no allocation per message.
	Borrow bool
	// Ready reports whether the consumer takes more messages. While it
	// does not, data stays in the windows (what does not fit is dropped
	// and repaired later, or lost) until Resume.
	Ready func() bool
	// Loss reports that n packets of source tsi were lost for good: the
	// source's stream resumes at its next message start.
	Loss func(tsi wire.TSI, n uint64)
}

// ReceiverStats counts what a Receiver did.
type ReceiverStats struct {
	Peers        int    // sources followed now
	PeersAdded   uint64 // sources seen
	PeersExpired uint64 // sources forgotten (silent, or finished)
	PeersRefused uint64 // packets of new sources beyond MaxPeers
	Data         uint64 // ODATA and RDATA packets accepted
	Repairs      uint64 // packets that filled a gap (repaired or reordered)
	Duplicates   uint64 // data packets already received (or already delivered)
	Dropped      uint64 // data packets that did not fit a window held up by a slow consumer
	Lost         uint64 // packets lost for good
	LossEvents   uint64 // times loss was reported
	Jumps        uint64 // sequence jumps beyond the window: the stream restarted there
	NAKs         uint64 // NAK packets sent
	NAKSqns      uint64 // sequence numbers they asked for
	SPMs         uint64 // SPMs accepted
	SPMRs        uint64 // SPM requests sent
	NCFs         uint64 // NCFs (and other receivers' NAKs) that confirmed a repair
	Ignored      uint64 // packets for another port or group, stale SPMs, out-of-window NCFs
	BadFragments uint64 // OPT_FRAGMENT sequences that did not add up
	wire.DecoderStats
}

// maxAPDU is the largest fragmented APDU reassembled (OpenPGM's
// PGM_MAX_APDU).
const maxAPDU = 65535

// staleRestart is how many data packets in a row from more than a window
// behind make a receiver follow the source from there.
const staleRestart = 64

// finLinger is how long a source that ended its session (OPT_FIN) is kept,
// for its repeated FIN SPMs and late repairs.
const finLinger = 2 * time.Second

type timer struct {
	at  Time
	sqn uint32
}

type peer struct {
	tsi      wire.TSI
	src      netip.Addr // where its packets come from (SPMR target)
	nla      netip.Addr // from its SPMs (NAK target)
	haveSPM  bool
	spmSqn   uint32
	spmrAt   Time // 0: no SPMR pending
	spmrIvl  time.Duration
	lastSeen Time
	finAt    Time   // 0: not finished
	srcLead  uint32 // the highest sequence number the source has sent, as far as we know
	stale    int    // data packets in a row from far behind the window
	w        window
	dec      wire.Decoder
	timers   []timer // min-heap on at; stale entries are skipped
	lost     uint64  // packets lost, not yet reported
	frag     []byte  // APDU being reassembled from OPT_FRAGMENT packets
	fragOn   bool
	fragSqn  uint32
}

// Receiver is the receiving side of a PGM socket: it follows every source
// of its group and port. It is not safe for concurrent use.
type Receiver struct {
	cfg     ReceiverConfig
	net     Net
	peers   map[wire.TSI]*peer
	st      ReceiverStats
	dead    wire.DecoderStats // decoder counts of expired peers
	scratch []byte
	naks    []uint32
	pool    [][]byte
	due     Time // the earliest deadline set since Due last ran
}

// NewReceiver makes a receiver.
func NewReceiver(cfg ReceiverConfig, net Net) *Receiver {
	if cfg.RxwSqns < 64 {
		cfg.RxwSqns = 64 // room for reordering whatever the rate
	}
	if cfg.MaxPeers <= 0 {
		cfg.MaxPeers = 1024
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	if cfg.Ready == nil {
		cfg.Ready = func() bool { return true }
	}
	return &Receiver{cfg: cfg, net: net, peers: map[wire.TSI]*peer{}, due: Never}
}

// Due returns the earliest deadline Handle has set since the last call
// (Never if none): Tick must run by then. The timers Tick itself sets are
// in what it returns.
func (r *Receiver) Due() Time {
	d := r.due
	r.due = Never
	return d
}

func (r *Receiver) setDue(at Time) { r.due = min(r.due, at) }

// Stats returns the counters.
func (r *Receiver) Stats() ReceiverStats {
	st := r.st
	st.Peers = len(r.peers)
	st.DecoderStats = r.dead
	for _, p := range r.peers {
		addDec(&st.DecoderStats, p.dec.Stats)
	}
	return st
}

func addDec(a *wire.DecoderStats, b wire.DecoderStats) {
	a.Messages += b.Messages
	a.Resyncs += b.Resyncs
	a.Errors += b.Errors
	a.Dropped += b.Dropped
	a.Skipped += b.Skipped
}

func (r *Receiver) backoff(now Time) Time {
	bo := int64(r.cfg.Timers.NAKBackoff)
	if bo <= 1000 {
		return now + Time(bo)
	}
	return now + 1000 + Time(r.cfg.Rand.Int64N(bo-1000))
}

func (r *Receiver) getBuf(b []byte) []byte {
	var buf []byte
	if n := len(r.pool); n > 0 && cap(r.pool[n-1]) >= len(b) {
		buf = r.pool[n-1][:0]
		r.pool = r.pool[:n-1]
	} else {
		buf = make([]byte, 0, max(len(b), 1536))
	}
	return append(buf, b...)
}

func (r *Receiver) putBuf(b []byte) {
	if b != nil && len(r.pool) < 256 {
		r.pool = append(r.pool, b)
	}
}

// Handle processes one packet from address from.
func (r *Receiver) Handle(now Time, p *wire.Packet, from netip.Addr) {
	switch p.Type {
	case wire.TypeODATA, wire.TypeRDATA, wire.TypeSPM, wire.TypeNCF:
		if p.DPort != r.cfg.DPort {
			r.st.Ignored++
			return
		}
		pr := r.peers[p.TSI()]
		if pr == nil {
			if p.Type == wire.TypeNCF || (p.Type == wire.TypeSPM && p.Fin) {
				r.st.Ignored++
				return
			}
			if pr = r.addPeer(now, p.TSI()); pr == nil {
				return
			}
		}
		pr.lastSeen = now
		pr.src = from
		switch p.Type {
		case wire.TypeSPM:
			r.onSPM(now, pr, p)
		case wire.TypeNCF:
			if p.Group != r.cfg.Group {
				r.st.Ignored++
				return
			}
			r.confirmAll(now, pr, p)
		default:
			r.onData(now, pr, p)
		}
		r.deliver(now, pr)
		r.report(pr)
	case wire.TypeNAK:
		// another receiver's multicast NAK: a repair is on its way
		pr := r.peers[p.UpstreamTSI()]
		if pr == nil || p.SPort != r.cfg.DPort || p.Group != r.cfg.Group {
			r.st.Ignored++
			return
		}
		r.confirmAll(now, pr, p)
		r.report(pr)
	case wire.TypeSPMR:
		// another receiver asked: its SPM will answer ours too
		if pr := r.peers[p.UpstreamTSI()]; pr != nil && pr.spmrAt != 0 {
			pr.spmrAt = now.Add(pr.spmrIvl)
		}
	}
}

func (r *Receiver) addPeer(now Time, tsi wire.TSI) *peer {
	if len(r.peers) >= r.cfg.MaxPeers {
		r.st.PeersRefused++
		return nil
	}
	pr := &peer{tsi: tsi, spmrIvl: r.cfg.Timers.SPMRExpiry}
	pr.spmrAt = now.Add(pr.spmrIvl)
	r.setDue(pr.spmrAt)
	pr.w.capacity = r.cfg.RxwSqns
	pr.dec.MaxMsgSize = r.cfg.MaxMsgSize
	pr.dec.Borrow = r.cfg.Borrow
	pr.dec.Deliver = func(frames [][]byte) { r.cfg.Deliver(tsi, frames) }
	r.peers[tsi] = pr
	r.st.PeersAdded++
	return pr
}

func (r *Receiver) removePeer(pr *peer) {
	w := &pr.w
	if w.defined {
		for !w.empty() {
			sl := w.at(w.trail)
			if sl.state != stHave && sl.state != stLost && sl.state != stEmpty {
				pr.lost++ // still missing: never to come
			}
			r.putBuf(sl.data)
			*sl = rxSlot{}
			w.trail++
		}
	}
	pr.dec.Lost()
	addDec(&r.dead, pr.dec.Stats)
	r.report(pr)
	delete(r.peers, pr.tsi)
	r.st.PeersExpired++
}

// report passes a peer's new losses to the Loss callback.
func (r *Receiver) report(pr *peer) {
	if pr.lost == 0 {
		return
	}
	n := pr.lost
	pr.lost = 0
	r.st.Lost += n
	r.st.LossEvents++
	if r.cfg.Loss != nil {
		r.cfg.Loss(pr.tsi, n)
	}
}

func (r *Receiver) onSPM(now Time, pr *peer, p *wire.Packet) {
	if pr.haveSPM && wire.SqnLess(p.SPMSqn, pr.spmSqn) {
		r.st.Ignored++ // out of sequence (RFC 3208 §6.2)
		return
	}
	r.st.SPMs++
	pr.spmSqn = p.SPMSqn
	pr.nla = p.NLA
	pr.haveSPM = true
	pr.spmrAt = 0
	if p.Fin || p.Rst {
		if pr.finAt == 0 {
			pr.finAt = now
			r.setDue(now.Add(finLinger))
		}
	}
	if p.Trail == 0 && p.Lead == 0x80000000 {
		return // no window information
	}
	if p.Lead-p.Trail >= 1<<31-1 && p.Lead+1 != p.Trail {
		r.st.Ignored++ // a window of more than half the sequence space
		return
	}
	w := &pr.w
	if !w.defined {
		w.define(p.Lead + 1)
		pr.srcLead = p.Lead
		return
	}
	r.updateTrail(now, pr, p.Trail)
	if wire.SqnLess(pr.srcLead, p.Lead) {
		pr.srcLead = p.Lead
	}
	r.extend(now, pr)
}

// extend adds the sequence numbers the source has sent (by its SPMs) and
// we have not seen to the window as missing, as far as the window
// reaches: they get NAKed. As the window moves on, more follow.
func (r *Receiver) extend(now Time, pr *peer) {
	w := &pr.w
	if !w.defined || !wire.SqnLess(w.lead, pr.srcLead) {
		return
	}
	target := pr.srcLead
	if target-w.trail >= uint32(w.capacity) {
		target = w.trail + uint32(w.capacity) - 1
	}
	if wire.SqnLess(w.lead, target) {
		r.addMissing(now, pr, target)
	}
}

// updateTrail applies the source's trailing edge t (RFC 3208 §3.4): what
// lies before it can no longer be repaired.
func (r *Receiver) updateTrail(now Time, pr *peer, t uint32) {
	w := &pr.w
	if !wire.SqnLess(w.rxwTrail, t) || t-w.rxwTrail >= 1<<31-1 {
		return
	}
	if w.constrained {
		// OpenPGM and RFC 3208 §6.1: no repairs before the first packet
		// until the source's trail has passed it
		if !wire.SqnLess(w.trailInit, t) {
			return
		}
		w.constrained = false
	}
	from := w.rxwTrail
	if wire.SqnLess(from, w.trail) {
		from = w.trail
	}
	w.rxwTrail = t
	if w.empty() {
		if wire.SqnLess(w.trail, t) {
			// everything up to t was sent and is gone: we never saw it
			pr.lost += uint64(t - w.trail)
			w.trail = t
			w.lead = t - 1
			pr.dec.Lost()
		}
		return
	}
	for q := from; wire.SqnLess(q, t) && wire.SqnLessEq(q, w.lead); q++ {
		if sl := w.at(q); sl.missing() {
			sl.state = stLost
			w.missing--
		}
	}
}

// addMissing extends the window with missing sequence numbers up to and
// including last (last > lead, room made).
func (r *Receiver) addMissing(now Time, pr *peer, last uint32) {
	w := &pr.w
	w.ensure(last - w.trail + 1)
	exp := r.backoff(now)
	for q := w.lead + 1; ; q++ {
		sl := w.at(q)
		*sl = rxSlot{arrived: now}
		if wire.SqnLess(q, w.rxwTrail) {
			sl.state = stLost
		} else {
			sl.state = stBackoff
			sl.expiry = exp
			w.missing++
			pr.push(timer{exp, q})
			r.setDue(exp)
		}
		if q == last {
			break
		}
	}
	w.lead = last
}

// makeRoom advances the trail until sqn fits in the window.
func (r *Receiver) makeRoom(now Time, pr *peer, sqn uint32) bool {
	if sqn-pr.w.trail < uint32(pr.w.capacity) {
		return true
	}
	return r.advanceTo(pr, sqn-uint32(pr.w.capacity)+1)
}

// advanceTo moves the trail up to newTrail: held data goes to the decoder
// (false if the consumer cannot take it now), missing packets are given
// up, and sequence numbers never seen count as lost.
func (r *Receiver) advanceTo(pr *peer, newTrail uint32) bool {
	w := &pr.w
	for wire.SqnLess(w.trail, newTrail) {
		if w.empty() {
			pr.lost += uint64(newTrail - w.trail)
			pr.fragOn = false
			pr.dec.Lost()
			w.trail = newTrail
			w.lead = newTrail - 1
			break
		}
		sl := w.at(w.trail)
		switch {
		case sl.state == stHave:
			if !r.cfg.Ready() {
				return false
			}
			r.feed(pr, w.trail, sl)
		case sl.missing() || sl.state == stLost:
			if sl.missing() {
				w.missing--
			}
			pr.lost++
			pr.fragOn = false
			pr.dec.Lost()
		}
		*sl = rxSlot{}
		w.trail++
	}
	if wire.SqnLess(w.rxwTrail, w.trail) {
		w.rxwTrail = w.trail
	}
	return true
}

func (r *Receiver) onData(now Time, pr *peer, p *wire.Packet) {
	if p.Sqn-p.Trail >= 1<<31-1 {
		r.st.Ignored++
		return
	}
	w := &pr.w
	if !w.defined {
		w.define(p.Sqn)
		pr.srcLead = p.Sqn - 1
	} else {
		r.updateTrail(now, pr, p.Trail)
	}
	sqn := p.Sqn
	if wire.SqnLess(sqn, w.trail) {
		r.st.Duplicates++
		if w.trail-sqn > uint32(w.capacity) {
			// far behind the window: the source went back (or our state
			// was forged ahead); after enough of these, follow it again
			if pr.stale++; pr.stale >= staleRestart {
				r.st.Jumps++
				r.advanceTo(pr, w.lead+1) // what is held is given up below
				pr.dec.Lost()
				w.define(sqn)
				pr.srcLead = sqn - 1
				pr.stale = 0
				r.onData(now, pr, p)
			}
		}
		return
	}
	pr.stale = 0
	if wire.SqnLess(pr.srcLead, sqn) {
		pr.srcLead = sqn
	}
	if w.contains(sqn) {
		sl := w.at(sqn)
		if sl.state == stHave {
			r.st.Duplicates++
			return
		}
		if sl.missing() {
			w.missing--
		}
		r.st.Data++
		r.st.Repairs++
		r.store(sl, p)
		return
	}
	// beyond the lead
	if sqn-w.lead > uint32(w.capacity) {
		// a jump of more than a window: deliver or give up what is held
		// and restart the stream at sqn
		if !r.advanceTo(pr, w.lead+1) {
			r.st.Dropped++
			return
		}
		r.st.Jumps++
		r.advanceTo(pr, sqn)
	} else if !r.makeRoom(now, pr, sqn) {
		r.st.Dropped++
		return
	}
	r.st.Data++
	// fast path: next in order, nothing held, consumer ready
	if sqn == w.trail && w.empty() && !p.HasFrag && !pr.fragOn && r.cfg.Ready() {
		w.lead = sqn
		w.trail = sqn + 1
		_ = pr.dec.Feed(p.Payload)
		return
	}
	if sqn != w.lead+1 {
		r.addMissing(now, pr, sqn-1)
	}
	w.ensure(sqn - w.trail + 1)
	w.lead = sqn
	sl := w.at(sqn)
	*sl = rxSlot{}
	r.store(sl, p)
}

func (r *Receiver) store(sl *rxSlot, p *wire.Packet) {
	sl.state = stHave
	sl.data = r.getBuf(p.Payload)
	sl.hasFrag = p.HasFrag
	sl.frag = p.Frag
}

// feed hands a received slot to the decoder, reassembling fragments.
func (r *Receiver) feed(pr *peer, sqn uint32, sl *rxSlot) {
	defer func() { r.putBuf(sl.data); sl.data = nil }()
	if !sl.hasFrag {
		if pr.fragOn {
			r.st.BadFragments++
			pr.fragOn = false
			pr.dec.Lost()
		}
		_ = pr.dec.Feed(sl.data)
		return
	}
	f := sl.frag
	if f.Length > maxAPDU {
		r.st.BadFragments++
		pr.fragOn = false
		pr.dec.Lost()
		return
	}
	if f.Offset == 0 {
		if pr.fragOn {
			r.st.BadFragments++
			pr.dec.Lost()
		}
		pr.frag = append(pr.frag[:0], sl.data...)
		pr.fragOn = true
		pr.fragSqn = sqn
	} else if pr.fragOn && f.First == pr.fragSqn && int(f.Offset) == len(pr.frag) {
		pr.frag = append(pr.frag, sl.data...)
	} else {
		if pr.fragOn {
			pr.fragOn = false
			pr.dec.Lost()
		}
		r.st.BadFragments++
		return
	}
	if len(pr.frag) >= int(f.Length) {
		pr.fragOn = false
		if len(pr.frag) != int(f.Length) {
			r.st.BadFragments++
			pr.dec.Lost()
			return
		}
		_ = pr.dec.Feed(pr.frag)
	}
}

// deliver hands the window's contiguous data (and losses) to the decoder.
func (r *Receiver) deliver(now Time, pr *peer) {
	w := &pr.w
	moved := false
loop:
	for w.defined && !w.empty() {
		sl := w.at(w.trail)
		switch sl.state {
		case stHave:
			if !r.cfg.Ready() {
				break loop
			}
			r.feed(pr, w.trail, sl)
		case stLost:
			pr.lost++
			pr.fragOn = false
			pr.dec.Lost()
		default:
			break loop
		}
		*sl = rxSlot{}
		w.trail++
		moved = true
	}
	if moved {
		r.extend(now, pr)
	}
}

// confirmAll handles an NCF or another receiver's NAK: the repairs of its
// sequence numbers are under way.
func (r *Receiver) confirmAll(now Time, pr *peer, p *wire.Packet) {
	r.confirm(now, pr, p.Sqn)
	for i := range p.ListLen {
		r.confirm(now, pr, p.List[i])
	}
}

func (r *Receiver) confirm(now Time, pr *peer, sqn uint32) {
	w := &pr.w
	if !w.defined {
		return
	}
	if w.contains(sqn) {
		if sl := w.at(sqn); sl.missing() {
			r.st.NCFs++
			sl.state = stWaitData
			sl.expiry = now.Add(r.cfg.Timers.NAKRdata)
			pr.push(timer{sl.expiry, sqn})
			r.setDue(sl.expiry)
		}
		return
	}
	if wire.SqnLess(w.lead, sqn) && wire.SqnLessEq(w.trail, sqn) && sqn-w.lead <= uint32(w.capacity) {
		// a repair for data we have not even seen yet
		if !r.makeRoom(now, pr, sqn) {
			return
		}
		r.addMissing(now, pr, sqn)
		r.confirm(now, pr, sqn)
		return
	}
	r.st.Ignored++
}

// Resume delivers what the windows hold once the consumer is ready again.
func (r *Receiver) Resume(now Time) {
	for _, pr := range r.peers {
		r.deliver(now, pr)
		r.report(pr)
	}
}

// Tick runs the timers: SPM requests, NAKs and their retries, peer expiry.
// It returns when it wants to run next.
func (r *Receiver) Tick(now Time) Time {
	t := &r.cfg.Timers
	next := Never
	for _, pr := range r.peers {
		if now >= pr.lastSeen.Add(t.PeerExpiry) || (pr.finAt != 0 && now >= pr.finAt.Add(finLinger)) {
			r.removePeer(pr)
			continue
		}
		if pr.spmrAt != 0 && now >= pr.spmrAt {
			if !pr.haveSPM {
				r.sendSPMR(pr)
				pr.spmrIvl = min(2*pr.spmrIvl, time.Second)
				pr.spmrAt = now.Add(pr.spmrIvl)
			} else {
				pr.spmrAt = 0
			}
		}
		r.runTimers(now, pr)
		r.deliver(now, pr)
		r.report(pr)
		next = min(next, pr.lastSeen.Add(t.PeerExpiry))
		if pr.finAt != 0 {
			next = min(next, pr.finAt.Add(finLinger))
		}
		if pr.spmrAt != 0 {
			next = min(next, pr.spmrAt)
		}
		if len(pr.timers) > 0 {
			next = min(next, pr.timers[0].at)
		}
	}
	return next
}

func (r *Receiver) sendSPMR(pr *peer) {
	r.st.SPMRs++
	h := wire.Hdr{SPort: r.cfg.DPort, DPort: pr.tsi.SPort, GSI: pr.tsi.GSI}
	r.scratch = wire.AppendSPMR(r.scratch[:0], h)
	if pr.src.IsValid() {
		r.net.SendTo(r.scratch, pr.src)
	}
	r.net.SendGroup(r.scratch)
}

// runTimers moves the expired NAK state machines on (RFC 3208 §6.3).
func (r *Receiver) runTimers(now Time, pr *peer) {
	t := &r.cfg.Timers
	w := &pr.w
	r.naks = r.naks[:0]
	for len(pr.timers) > 0 && pr.timers[0].at <= now {
		e := pr.pop()
		if !w.contains(e.sqn) {
			continue
		}
		sl := w.at(e.sqn)
		if !sl.missing() || sl.expiry != e.at {
			continue // stale
		}
		switch sl.state {
		case stBackoff:
			if !pr.haveSPM || pr.finAt != 0 {
				// no NLA to NAK yet (RFC 3208 §6.2), or the source is gone
				if sl.ncfTries++; int(sl.ncfTries) >= t.NAKNCFRetries || pr.finAt != 0 {
					r.giveUp(pr, sl)
					continue
				}
				sl.expiry = r.backoff(now)
			} else {
				r.naks = append(r.naks, e.sqn)
				sl.state = stWaitNCF
				sl.expiry = now.Add(t.NAKRepeat)
			}
		case stWaitNCF:
			if sl.ncfTries++; int(sl.ncfTries) >= t.NAKNCFRetries {
				r.giveUp(pr, sl)
				continue
			}
			sl.state = stBackoff
			sl.expiry = r.backoff(now)
		case stWaitData:
			if sl.dataTry++; int(sl.dataTry) >= t.NAKDataRetries {
				r.giveUp(pr, sl)
				continue
			}
			sl.state = stBackoff
			sl.expiry = r.backoff(now)
		}
		pr.push(timer{sl.expiry, e.sqn})
	}
	if len(r.naks) == 0 {
		return
	}
	// oldest first (RFC 3208 §6.3), up to 63 per packet
	slices.SortFunc(r.naks, func(a, b uint32) int { return int(int32(a - b)) })
	h := wire.Hdr{SPort: r.cfg.DPort, DPort: pr.tsi.SPort, GSI: pr.tsi.GSI}
	for len(r.naks) > 0 {
		n := min(len(r.naks), 1+wire.MaxNAKList)
		r.scratch = wire.AppendNAK(r.scratch[:0], h, wire.TypeNAK, r.naks[:n], pr.nla, r.cfg.Group)
		r.net.SendTo(r.scratch, pr.nla)
		r.st.NAKs++
		r.st.NAKSqns += uint64(n)
		r.naks = r.naks[n:]
	}
	// the heap may hold many stale entries after NCF storms: rebuild it
	if len(pr.timers) > 4*w.missing+64 {
		pr.rebuildTimers()
	}
}

func (r *Receiver) giveUp(pr *peer, sl *rxSlot) {
	sl.state = stLost
	pr.w.missing--
}

func (pr *peer) push(e timer) {
	h := append(pr.timers, e)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].at <= h[i].at {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	pr.timers = h
}

func (pr *peer) pop() timer {
	h := pr.timers
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	h = h[:n]
	i := 0
	for {
		l, m := 2*i+1, i
		if l < n && h[l].at < h[m].at {
			m = l
		}
		if l+1 < n && h[l+1].at < h[m].at {
			m = l + 1
		}
		if m == i {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	pr.timers = h
	return top
}

func (pr *peer) rebuildTimers() {
	w := &pr.w
	pr.timers = pr.timers[:0]
	if w.empty() {
		return
	}
	for q := w.trail; ; q++ {
		if sl := w.at(q); sl.missing() {
			pr.push(timer{sl.expiry, q})
		}
		if q == w.lead {
			break
		}
	}
}
