package proto

import "github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"

// Slot states of a receive window.
const (
	stEmpty    uint8 = iota // not yet in the window
	stHave                  // data received
	stBackoff               // missing: NAK after a random back-off
	stWaitNCF               // missing: NAK sent, waiting for the NCF
	stWaitData              // missing: confirmed, waiting for the repair
	stLost                  // unrecoverable
)

type rxSlot struct {
	state    uint8
	ncfTries uint8
	dataTry  uint8
	expiry   Time
	data     []byte // payload (APDU or fragment) when stHave
	frag     wire.Fragment
	hasFrag  bool
	arrived  Time // when it was first missed (for stats)
}

func (s *rxSlot) missing() bool {
	return s.state == stBackoff || s.state == stWaitNCF || s.state == stWaitData
}

// window is a receive window (RFC 3208 §3.4): slots for trail..lead, trail
// being the next sequence number to hand to the decoder. It holds at most
// capacity sequence numbers; the slot ring grows as needed.
type window struct {
	defined     bool
	trail       uint32 // next to deliver
	lead        uint32 // highest known (trail-1 when empty)
	rxwTrail    uint32 // the source's advertised trailing edge
	trailInit   uint32
	constrained bool // repairs limited to what follows the first packet
	capacity    int
	slots       []rxSlot
	missing     int // slots in a missing state
}

func (w *window) span() uint32 { return w.lead - w.trail + 1 }

func (w *window) empty() bool { return w.lead+1 == w.trail }

func (w *window) at(sqn uint32) *rxSlot { return &w.slots[sqn&uint32(len(w.slots)-1)] }

// contains reports trail <= sqn <= lead.
func (w *window) contains(sqn uint32) bool {
	return !w.empty() && wire.SqnLessEq(w.trail, sqn) && wire.SqnLessEq(sqn, w.lead)
}

// define starts the window just before sqn.
func (w *window) define(sqn uint32) {
	w.defined = true
	w.trail = sqn
	w.lead = sqn - 1
	w.rxwTrail = sqn
	w.trailInit = sqn
	w.constrained = true
	if w.slots == nil {
		w.slots = make([]rxSlot, 64)
	}
}

// ensure makes the ring large enough for a span of n sequence numbers.
func (w *window) ensure(n uint32) {
	if int(n) <= len(w.slots) {
		return
	}
	size := len(w.slots)
	for size < int(n) {
		size *= 2
	}
	ns := make([]rxSlot, size)
	if !w.empty() {
		for q := w.trail; ; q++ {
			ns[q&uint32(size-1)] = *w.at(q)
			if q == w.lead {
				break
			}
		}
	}
	w.slots = ns
}
