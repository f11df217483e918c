package core

import (
	"sync"
	"sync/atomic"
	"unsafe"
)

// queue is one direction of a pipe: a FIFO of whole messages with libzmq's
// high-water-mark semantics, between one producer and one consumer (a
// socket under its lock, or a connection's reader or writer goroutine).
//
// Ring slots hold only the messages in flight. Message storage (frame
// bytes and frame headers) is recycled through a small LIFO free list:
// consumers hand back the storage of the message they are done with, and
// producers take the most recently returned one, which is still in the CPU
// cache. Pushing moves (or, for Send, copies into) storage; popping moves
// it out; the steady state allocates nothing. Wake-ups go through
// callbacks only on the empty→non-empty and full→not-full transitions.
type queue struct {
	mu  sync.Mutex
	n   int // messages queued
	hwm int // 0 = unlimited

	// ring holds the messages whose storage was moved in, in order: all
	// of them without an arena, else those the arena holds an empty
	// record for.
	ring []Msg
	head int
	rn   int

	// arena (inproc queues without CONFLATE, queue_arena.go): one record
	// per queued message. Without it, the ring holds every message.
	arena  bool
	deep   bool          // the arena was switched on by a deep ring (deepenLocked)
	lead   int           // ring messages queued before that: read before the arena
	chunks []*arenaChunk // the reader's first, the writer's last
	rdRec  int           // records of chunks[0] already taken
	wr     int           // bytes written in the last chunk
	spare  []*arenaChunk

	free []Msg // spare storage, most recently returned last

	// count tells readers that do not take mu whether the queue is empty,
	// without touching the lock the producer needs: it is 0 exactly when n
	// is, and otherwise between 1 and n. A single push stores it only on
	// the 0→1 transition: the consumer polls it, so every store would
	// fetch the line back from the consumer's core (with a full fence);
	// batches and pops store n. It has a cache line of its own so that
	// polling it does not slow the lock.
	_     [64]byte
	count atomic.Int64
	_     [56]byte

	conflate bool
	closed   bool // no more pushes will come (producer gone)

	// Read-ahead cap (a connection's inbound queue, readAheadBytes):
	// besides the HWM, the queue is full while the ring's messages hold
	// byteCap payload octets or more, and a refused producer is woken
	// once they drop to half of it (byteWait).
	rbytes   int // payload octets of the ring's messages
	byteCap  int // 0 = none
	byteWait bool

	// onReadable is called (without mu) when the queue becomes non-empty or
	// is closed; onWritable when it drops below its HWM, or to half the
	// read-ahead cap after refusing a push. They must not block.
	onReadable func()
	onWritable func()

	// counters for statistics (PIPES_STATS)
	pushed, popped uint64
}

// maxFreeFor bounds the spare storage a queue keeps: as many messages as
// can be in flight (HWM plus the batches of both ends), so storage is not
// dropped and reallocated when the queue fills and drains.
func maxFreeFor(hwm int) int {
	if hwm <= 0 || hwm > 16384 {
		return 16384
	}
	return hwm + 2*writeBatch
}

func newQueue(hwm int) *queue {
	return &queue{hwm: hwm, ring: make([]Msg, 8)}
}

func (q *queue) setHWM(hwm int) {
	q.mu.Lock()
	old := q.hwm
	q.hwm = hwm
	wake := old > 0 && q.n >= old && (hwm == 0 || q.n < hwm)
	f := q.onWritable
	q.mu.Unlock()
	if wake && f != nil {
		f()
	}
}

// setConflate switches the queue to CONFLATE: only the newest message is
// kept, so of those already queued only the last stays. It is called
// before the queue has a consumer (inproc, while the pipe is wired).
func (q *queue) setConflate() {
	q.mu.Lock()
	if !q.conflate && q.n > 0 {
		var last Msg
		for q.n > 0 {
			q.takeLocked(&last)
		}
		q.arena, q.conflate = false, true
		s := q.slotLocked()
		*s = last
		q.rbytes += s.Len()
		q.addLocked()
	}
	q.arena, q.deep, q.conflate = false, false, true
	q.chunks, q.spare = nil, nil
	q.count.Store(int64(q.n))
	q.mu.Unlock()
}

// fullLocked reports whether a push would be refused; a refusal by the
// read-ahead cap is remembered, so that pops wake the producer.
func (q *queue) fullLocked() bool {
	if q.conflate {
		return false
	}
	if q.hwm > 0 && q.n >= q.hwm {
		return true
	}
	if q.byteCap > 0 && q.rbytes >= q.byteCap {
		q.byteWait = true
		return true
	}
	return false
}

// setByteCap sets (or, with 0, clears) the read-ahead cap in payload
// octets. A producer refused by the old cap is woken.
func (q *queue) setByteCap(n int) {
	q.mu.Lock()
	q.byteCap = n
	wake := q.byteWaitOverLocked()
	q.mu.Unlock()
	if wake != nil {
		wake()
	}
}

// byteWaitOverLocked returns the producer's wake-up when it was refused
// by the read-ahead cap and the ring now holds at most half of it.
func (q *queue) byteWaitOverLocked() func() {
	if q.byteWait && (q.byteCap == 0 || q.rbytes <= q.byteCap/2) {
		q.byteWait = false
		return q.onWritable
	}
	return nil
}

// full reports whether a push would fail.
func (q *queue) full() bool {
	q.mu.Lock()
	f := q.fullLocked()
	q.mu.Unlock()
	return f
}

// takeFree gives m spare storage (or none); m's own storage is forgotten.
func (q *queue) takeFree(m *Msg) {
	if n := len(q.free); n > 0 {
		*m = q.free[n-1]
		q.free[n-1] = Msg{}
		q.free = q.free[:n-1]
		return
	}
	*m = Msg{}
}

// putFree keeps m's storage as spare and empties m.
func (q *queue) putFree(m *Msg) {
	if (cap(m.buf) > 0 || cap(m.fr) > 0) && len(q.free) < maxFreeFor(q.hwm) {
		clear(m.fr[:cap(m.fr)]) // do not keep frames the user may own alive
		q.free = append(q.free, Msg{buf: m.buf[:0], fr: m.fr[:0]})
	}
	*m = Msg{}
}

// slotLocked returns the empty slot for the next push, growing the ring.
// With CONFLATE and a message queued, the queued one is replaced.
func (q *queue) slotLocked() *Msg {
	if q.conflate && q.rn > 0 {
		s := &q.ring[q.head]
		q.rbytes -= s.Len()
		q.putFree(s)
		return s
	}
	if q.rn == len(q.ring) {
		nr := make([]Msg, len(q.ring)*2)
		k := copy(nr, q.ring[q.head:])
		copy(nr[k:], q.ring[:q.head])
		q.ring = nr
		q.head = 0
	}
	i := q.head + q.rn
	if i >= len(q.ring) {
		i -= len(q.ring)
	}
	q.rn++
	return &q.ring[i]
}

func (q *queue) commitLocked() (wake func()) {
	wake = q.addLocked()
	if q.n == 1 {
		q.count.Store(1)
	}
	return wake
}

// addLocked is commitLocked without publishing count.
func (q *queue) addLocked() (wake func()) {
	q.pushed++
	if q.conflate && q.n > 0 {
		return nil // replaced
	}
	q.n++
	if q.n == 1 {
		return q.onReadable
	}
	return nil
}

// push copies prefix and frames into the queue as one message. It returns
// false, without queuing, when the queue is at its HWM.
func (q *queue) push(prefix, frames [][]byte, kind msgKind) bool {
	return q.pushk(prefix, frames, kind, false)
}

// pushk is push; force ignores the HWM (subscriptions must not be lost).
func (q *queue) pushk(prefix, frames [][]byte, kind msgKind, force bool) bool {
	q.mu.Lock()
	if (!force && q.fullLocked()) || q.closed {
		q.mu.Unlock()
		return false
	}
	q.deepenLocked()
	if total, ok := q.inlineSize(prefix, frames); ok {
		q.putInlineLocked(prefix, frames, total, kind)
	} else {
		s := q.putRefLocked()
		q.takeFree(s)
		s.setFrames(prefix, frames)
		s.kind = kind
		q.rbytes += s.Len()
	}
	wake := q.commitLocked()
	q.mu.Unlock()
	if wake != nil {
		wake()
	}
	return true
}

// pushMsg queues m.Frames[skip:]: by taking m's storage when m is owned
// (SendMsg) and there is no prefix, else by copying. An owned m gets spare
// storage back.
func (q *queue) pushMsg(prefix [][]byte, m *Msg, skip int) bool {
	if !m.owned || len(prefix) > 0 {
		return q.pushk(prefix, m.Frames[skip:], kindData, false)
	}
	q.mu.Lock()
	if q.fullLocked() || q.closed {
		q.mu.Unlock()
		return false
	}
	q.deepenLocked()
	if total, ok := q.inlineSize(nil, m.Frames[skip:]); ok && m.routingID == 0 && m.group == "" {
		q.putInlineLocked(nil, m.Frames[skip:], total, kindData)
	} else {
		s := q.putRefLocked()
		*s = *m
		s.Frames = s.Frames[skip:]
		s.owned = false
		s.kind = kindData
		s.props = nil
		q.rbytes += s.Len()
		q.takeFree(m)
	}
	wake := q.commitLocked()
	q.mu.Unlock()
	if wake != nil {
		wake()
	}
	return true
}

// pushSwap queues m, moving its storage into the queue (or copying a
// small m): m is left empty, with spare storage. force ignores the HWM
// (used for messages that must not be lost, e.g. subscriptions and
// notifications).
func (q *queue) pushSwap(m *Msg, force bool) bool {
	q.mu.Lock()
	if (!force && q.fullLocked()) || q.closed {
		q.mu.Unlock()
		return false
	}
	q.putLocked(m)
	wake := q.commitLocked()
	q.mu.Unlock()
	if wake != nil {
		wake()
	}
	return true
}

// putLocked queues m by copy (small) or move, leaving m empty.
func (q *queue) putLocked(m *Msg) {
	q.deepenLocked()
	if total, ok := q.inlineSize(nil, m.Frames); ok && m.routingID == 0 && m.group == "" {
		q.putInlineLocked(nil, m.Frames, total, m.kind)
		keepStorage(m)
		return
	}
	s := q.putRefLocked()
	*s = *m
	q.rbytes += s.Len()
	q.takeFree(m)
}

// pushBatch queues as many of msgs as the HWM allows (all when force),
// leaving each taken one empty with spare storage, and returns how many
// it took.
func (q *queue) pushBatch(msgs []Msg, force bool) int {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return 0
	}
	k := 0
	var wake func()
	for k < len(msgs) && (force || !q.fullLocked()) {
		q.putLocked(&msgs[k])
		if w := q.addLocked(); w != nil {
			wake = w
		}
		k++
	}
	q.count.Store(int64(q.n))
	q.mu.Unlock()
	if wake != nil {
		wake()
	}
	return k
}

// pop moves the oldest message into m; m's previous storage is recycled
// (or, for a message copied through the arena, reused). ok is false when
// the queue is empty.
func (q *queue) pop(m *Msg) bool {
	return q.popBatch(unsafe.Slice(m, 1)) == 1
}

// takeLocked moves the oldest message into m (q.n > 0) without updating
// count or waking anyone (setConflate).
func (q *queue) takeLocked(m *Msg) {
	if q.arena {
		dst := unsafe.Slice(m, 1)
		q.claimLocked(dst).copyOut(dst)
		return
	}
	q.takeRingLocked(m)
	q.n--
	q.popped++
}

// takeRingLocked moves the oldest ring message into m, recycling m's
// storage.
func (q *queue) takeRingLocked(m *Msg) {
	s := &q.ring[q.head]
	q.putFree(m)
	*m = *s
	*s = Msg{}
	q.rbytes -= m.Len()
	q.head++
	if q.head == len(q.ring) {
		q.head = 0
	}
	q.rn--
}

// popBatch moves up to len(dst) messages into dst and returns how many.
// An arena's records are claimed under the lock and copied out after it
// is released.
func (q *queue) popBatch(dst []Msg) int {
	if q.count.Load() == 0 || len(dst) == 0 {
		return 0
	}
	q.mu.Lock()
	if q.n == 0 {
		q.mu.Unlock()
		return 0
	}
	wasFull := q.hwm > 0 && q.n >= q.hwm
	var k int
	var cl arenaClaim
	if q.arena {
		cl = q.claimLocked(dst)
		k = cl.to - cl.from
	} else {
		for k < len(dst) && q.n > 0 {
			q.takeRingLocked(&dst[k])
			q.n--
			k++
		}
		q.popped += uint64(k)
	}
	if q.deep && q.n == 0 {
		q.arena, q.deep = false, false // moving is cheaper again
	}
	q.count.Store(int64(q.n))
	var wake func()
	if wasFull && q.n < q.hwm {
		wake = q.onWritable
	}
	if q.byteWait {
		if w := q.byteWaitOverLocked(); w != nil {
			wake = w
		}
	}
	q.mu.Unlock()
	if cl.c != nil {
		cl.copyOut(dst)
	}
	if wake != nil {
		wake()
	}
	return k
}

// recycle keeps the storage of msgs (a consumer's batch it is done with)
// as spare, and empties them.
func (q *queue) recycle(msgs []Msg) {
	q.mu.Lock()
	for i := range msgs {
		q.putFree(&msgs[i])
	}
	q.mu.Unlock()
}

// size returns the number of queued messages.
func (q *queue) size() int {
	q.mu.Lock()
	n := q.n
	q.mu.Unlock()
	return n
}

// empty reports whether nothing is queued.
func (q *queue) empty() bool { return q.count.Load() == 0 }

// close marks the producer side gone and wakes the consumer.
func (q *queue) close() {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return
	}
	q.closed = true
	f := q.onReadable
	q.mu.Unlock()
	if f != nil {
		f()
	}
}

// drain drops everything queued.
func (q *queue) drain() {
	q.mu.Lock()
	wasFull := q.hwm > 0 && q.n >= q.hwm
	for q.rn > 0 {
		q.putFree(&q.ring[q.head])
		q.head = (q.head + 1) % len(q.ring)
		q.rn--
	}
	q.n = 0
	q.rbytes = 0
	q.drainArenaLocked()
	q.lead = 0
	if q.deep {
		q.arena, q.deep = false, false
	}
	q.count.Store(0)
	f := q.onWritable
	if q.byteWait {
		q.byteWait, wasFull = false, true
	}
	q.mu.Unlock()
	if wasFull && f != nil {
		f()
	}
}

// setOnReadable sets (or, with nil, clears) the readable callback.
func (q *queue) setOnReadable(f func()) {
	q.mu.Lock()
	q.onReadable = f
	q.mu.Unlock()
}

// setOnWritable sets (or, with nil, clears) the writable callback.
func (q *queue) setOnWritable(f func()) {
	q.mu.Lock()
	q.onWritable = f
	q.mu.Unlock()
}
