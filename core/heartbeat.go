package core

import (
	"sort"
	"time"
)

// heartbeat runs ZMTP 3.1 PING/PONG timing for an engine's writer:
// a PING every HEARTBEAT_IVL; the connection is dropped when nothing at all
// arrives within HEARTBEAT_TIMEOUT of a PING, or within the TTL the peer
// announced in its own PING. A frame connection with pings of its own
// (transport.Pinger: WebSocket) gets those instead of ZMTP PINGs.
//
// The engine keeps it across writer runs; no goroutine waits for it. Its
// timer only flags the engine (heartbeatDue) and starts a writer, which
// calls fire: an idle connection with heartbeats has its reader and a
// runtime timer, as one without has its reader only.
type heartbeat struct {
	e        *engine
	ivl      time.Duration
	timeout  time.Duration
	timer    *time.Timer // time.AfterFunc(…, e.heartbeatDue)
	nextPing time.Time
	pingDue  time.Time
	pingSeen uint64
	ttlDue   time.Time
	ttlSeen  uint64
}

func newHeartbeat(e *engine) *heartbeat {
	h := &heartbeat{e: e, ivl: e.opts.HeartbeatInterval, timeout: e.opts.HeartbeatTimeout}
	if h.timeout < 0 {
		h.timeout = h.ivl
	}
	if h.ivl > 0 && e.ver >= 30 && !e.noPing {
		h.nextPing = time.Now().Add(h.ivl)
		h.reset()
	} else {
		h.ivl = 0
	}
	return h
}

func (h *heartbeat) stop() {
	if h.timer != nil {
		h.timer.Stop()
	}
}

func (h *heartbeat) armTTL(d time.Duration) {
	if !h.ttlDue.IsZero() {
		return
	}
	h.ttlDue = time.Now().Add(d)
	h.ttlSeen = h.e.seen()
	h.reset()
}

// reset points the timer at the earliest deadline.
func (h *heartbeat) reset() {
	var next time.Time
	for _, t := range []time.Time{h.nextPing, h.pingDue, h.ttlDue} {
		if !t.IsZero() && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if next.IsZero() {
		return
	}
	d := time.Until(next)
	if d < 0 {
		d = 0
	}
	if h.timer == nil {
		h.timer = time.AfterFunc(d, h.e.heartbeatDue)
	} else {
		h.timer.Reset(d)
	}
}

// fire handles an expired timer; false means the connection timed out.
func (h *heartbeat) fire() bool {
	now := time.Now()
	seen := h.e.seen()
	if !h.pingDue.IsZero() && !now.Before(h.pingDue) {
		if seen == h.pingSeen {
			return false
		}
		h.pingDue = time.Time{}
	}
	if !h.ttlDue.IsZero() && !now.Before(h.ttlDue) {
		if seen == h.ttlSeen {
			return false
		}
		h.ttlDue = time.Time{}
	}
	if h.ivl > 0 && !now.Before(h.nextPing) {
		h.e.ping()
		if h.pingDue.IsZero() && h.timeout > 0 {
			h.pingDue = now.Add(h.timeout)
			h.pingSeen = seen
		}
		h.nextPing = now.Add(h.ivl)
	}
	h.reset()
	return true
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
