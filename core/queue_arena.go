package core

import "encoding/binary"

// The arena of an inproc queue.
//
// Small messages are copied through the arena rather than moved. A record
// of a few bytes plus the payload, written and read in sequence, crosses
// between the producer's and the consumer's cores in fewer cache lines
// than a Msg header, a free-list entry and a frame table would, and each
// end keeps its own storage, which stays in its own cache. Larger
// messages, and those with a routing id or a group, are moved through the
// ring; the arena holds an empty record in their place, so that one
// sequence keeps the order.
//
// The consumer holds the lock only to claim a run of records (and move
// the ring messages among them), then copies the claimed records out after
// releasing it: the producer, which takes the lock for every message,
// finds it free instead of parking behind a batch copy. Claimed bytes stay
// untouched until the consumer's next claim: the producer only appends,
// and a chunk read whole is recycled only by the consumer's own next claim.
//
// The arena is for inproc pipes, where both ends are sockets. A
// connection's reader and writer already copy each message once between
// the wire buffers and message storage; for them moving is cheaper than a
// second copy (measured: tcp and ipc 64 B were 12-19% slower with an
// arena, inproc 21% faster) while the queue stays short. A queue whose
// consumer falls behind (no HWM, or a high one, and a connection slower
// than the sender: pgm's packer and rate limit) grows instead, and then
// moving costs more than copying: every push finds no spare storage and
// allocates, and the ring of message headers, full of pointers, is
// copied as it doubles and scanned by the GC (a third of the CPU of a
// 64 B epgm publisher). Such a queue switches to its arena once the ring
// holds deepRing messages and no spare storage is left (deepenLocked),
// and back once it is empty; the messages already in the ring are read
// first (lead).
//
// An inline record is a uint32 header, payload | frames<<16 | kind<<24
// (little endian), one uint16 length per frame, then the frames' bytes.
// A chunk also keeps each record's end offset and a running count of ring
// messages, so a claim of k records is found without reading them.

const (
	deepRing        = 1024    // ring messages before a queue turns to its arena
	inlineMax       = 256     // largest payload (sum of frames) copied inline
	inlineMaxFrames = 255     // most frames of an inline message
	chunkSize       = 8 << 10 // arena chunk bytes
	chunkRecs       = 64      // records per chunk at most
)

// arenaChunk is a run of records.
type arenaChunk struct {
	buf  [chunkSize]byte
	ends [chunkRecs]uint16    // ends[i]: end offset of record i
	refs [chunkRecs + 1]uint8 // refs[i]: ring messages among records 0..i-1
	nrec int                  // records written
}

// useArena makes the queue copy small messages through its arena; it is
// called before the first push.
func (q *queue) useArena() {
	q.mu.Lock()
	q.arena = !q.conflate && q.n == 0
	q.mu.Unlock()
}

// deepenLocked switches a deep queue to its arena (see above).
func (q *queue) deepenLocked() {
	if !q.arena && !q.conflate && q.rn >= deepRing && len(q.free) == 0 {
		q.arena, q.deep, q.lead = true, true, q.rn
	}
}

// inlineSize returns the payload size of prefix+frames, and whether the
// message is copied through the arena.
func (q *queue) inlineSize(prefix, frames [][]byte) (int, bool) {
	if !q.arena || len(prefix)+len(frames) > inlineMaxFrames {
		return 0, false
	}
	total := 0
	for _, f := range prefix {
		total += len(f)
	}
	for _, f := range frames {
		total += len(f)
	}
	return total, total <= inlineMax
}

// recordLocked appends a record of size bytes and returns them; ref marks
// a ring message.
func (q *queue) recordLocked(size int, ref bool) []byte {
	var c *arenaChunk
	if n := len(q.chunks); n > 0 {
		c = q.chunks[n-1]
	}
	if c == nil || c.nrec == chunkRecs || q.wr+size > chunkSize {
		c = q.newChunk()
		q.chunks = append(q.chunks, c)
		q.wr = 0
	}
	b := c.buf[q.wr : q.wr+size : q.wr+size]
	q.wr += size
	c.ends[c.nrec] = uint16(q.wr)
	r := c.refs[c.nrec]
	if ref {
		r++
	}
	c.refs[c.nrec+1] = r
	c.nrec++
	return b
}

func (q *queue) newChunk() *arenaChunk {
	if n := len(q.spare); n > 0 {
		c := q.spare[n-1]
		q.spare[n-1] = nil
		q.spare = q.spare[:n-1]
		c.nrec = 0
		return c
	}
	return new(arenaChunk)
}

// dropChunkLocked retires the reader's chunk; spare marks it reusable
// (only the consumer may, once it is done with what it claimed).
func (q *queue) dropChunkLocked(spare bool) {
	c := q.chunks[0]
	if n := len(q.chunks); n <= 16 {
		// copied down, so that the array is reused
		copy(q.chunks, q.chunks[1:])
		q.chunks[n-1] = nil
		q.chunks = q.chunks[:n-1]
	} else {
		// a deep queue's many: dropped from the front (appends move
		// them to a new array now and then)
		q.chunks[0] = nil
		q.chunks = q.chunks[1:]
	}
	q.rdRec = 0
	// keep as many as the HWM can fill, as the ring's free list does, so
	// that a queue that fills and drains does not allocate
	if spare && len(q.spare) <= maxFreeFor(q.hwm)/chunkRecs {
		q.spare = append(q.spare, c)
	}
}

// putInlineLocked appends a record holding a copy of prefix+frames.
func (q *queue) putInlineLocked(prefix, frames [][]byte, total int, kind msgKind) {
	nf := len(prefix) + len(frames)
	b := q.recordLocked(4+2*nf+total, false)
	binary.LittleEndian.PutUint32(b, uint32(total)|uint32(nf)<<16|uint32(kind)<<24)
	p := 4
	for _, f := range prefix {
		binary.LittleEndian.PutUint16(b[p:], uint16(len(f)))
		p += 2
	}
	for _, f := range frames {
		binary.LittleEndian.PutUint16(b[p:], uint16(len(f)))
		p += 2
	}
	for _, f := range prefix {
		p += copy(b[p:], f)
	}
	for _, f := range frames {
		p += copy(b[p:], f)
	}
}

// putRefLocked returns the ring slot for a moved message, recording it
// in the arena if there is one.
func (q *queue) putRefLocked() *Msg {
	if q.arena {
		q.recordLocked(0, true)
	}
	return q.slotLocked()
}

// keepStorage empties m after its contents were copied, keeping its
// storage for the caller.
func keepStorage(m *Msg) {
	clear(m.fr)
	*m = Msg{buf: m.buf[:0], fr: m.fr[:0]}
}

// arenaClaim is a run of records taken by the consumer: records from..to
// of chunk c, whose ring messages were already moved into dst.
type arenaClaim struct {
	c        *arenaChunk
	from, to int
}

// claimLocked takes up to len(dst) records (q.n > 0) and moves the ring
// messages among them into their places in dst; the inline ones are left
// for copyOut.
func (q *queue) claimLocked(dst []Msg) arenaClaim {
	if q.lead > 0 { // queued in the ring before the arena was switched on
		k := min(q.lead, len(dst))
		for i := range k {
			q.takeRingLocked(&dst[i])
		}
		q.lead -= k
		q.n -= k
		q.popped += uint64(k)
		return arenaClaim{to: k}
	}
	c := q.chunks[0]
	if q.rdRec == c.nrec { // the writer has moved on: c was read whole
		q.dropChunkLocked(true)
		c = q.chunks[0]
	}
	from := q.rdRec
	to := min(c.nrec, from+len(dst))
	if c.refs[to] != c.refs[from] {
		for i := from; i < to; i++ {
			if c.refs[i+1] != c.refs[i] {
				q.takeRingLocked(&dst[i-from])
			}
		}
	}
	q.rdRec = to
	q.n -= to - from
	q.popped += uint64(to - from)
	return arenaClaim{c, from, to}
}

// copyOut copies the claim's inline records into dst, each into the
// storage dst already has.
func (a arenaClaim) copyOut(dst []Msg) {
	c := a.c
	if c == nil {
		return // ring messages only, moved already
	}
	start := 0
	if a.from > 0 {
		start = int(c.ends[a.from-1])
	}
	for i := a.from; i < a.to; i++ {
		end := int(c.ends[i])
		if c.refs[i+1] == c.refs[i] {
			decodeRecord(c.buf[start:end], &dst[i-a.from])
		}
		start = end
	}
}

// decodeRecord copies the inline record r into m's own storage.
func decodeRecord(r []byte, m *Msg) {
	h := binary.LittleEndian.Uint32(r)
	total, nf := int(h&0xFFFF), int(h>>16&0xFF)
	if cap(m.buf) < total {
		m.buf = make([]byte, total, max(total, 64))
	}
	if cap(m.fr) < nf {
		m.fr = make([][]byte, nf, nf+2)
	}
	m.buf, m.fr = m.buf[:total], m.fr[:nf]
	lens := r[4 : 4+2*nf]
	off := 0
	for i := range nf {
		l := int(binary.LittleEndian.Uint16(lens[2*i:]))
		m.fr[i] = m.buf[off : off+l : off+l]
		off += l
	}
	copy(m.buf, r[4+2*nf:])
	m.Frames = m.fr
	m.kind = msgKind(h >> 24)
	m.props, m.owned, m.routingID, m.group = nil, false, 0, ""
}

// drainArenaLocked drops all unclaimed records. Chunks are not reused and
// nothing is rewritten: the consumer may still be copying out a claim.
func (q *queue) drainArenaLocked() {
	for len(q.chunks) > 1 {
		q.dropChunkLocked(false)
	}
	if len(q.chunks) == 1 {
		q.rdRec = q.chunks[0].nrec
	}
}
