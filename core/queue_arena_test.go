package core

import (
	"bytes"
	"fmt"
	"math/rand"
	"sync"
	"sync/atomic"
	"testing"
)

// Every shape of message comes out of an arena queue as it went in, by
// every way of pushing and popping; small ones are copied inline and the
// others moved through the ring.
func TestArenaMessageShapes(t *testing.T) {
	frames := func(sizes ...int) [][]byte {
		out := make([][]byte, len(sizes))
		for i, n := range sizes {
			out[i] = bytes.Repeat([]byte{byte(i + n)}, n)
		}
		return out
	}
	many := func(n, size int) [][]byte {
		sizes := make([]int, n)
		for i := range sizes {
			sizes[i] = size
		}
		return frames(sizes...)
	}
	tests := []struct {
		name   string
		prefix [][]byte
		frames [][]byte
		kind   msgKind
		rid    uint32
		group  string
		inline bool
	}{
		{name: "one empty frame", frames: frames(0), inline: true},
		{name: "no frames", kind: kindStreamClose, inline: true},
		{name: "64 B", frames: frames(64), inline: true},
		{name: "largest inline", frames: frames(inlineMax), inline: true},
		{name: "one byte too large", frames: frames(inlineMax + 1)},
		{name: "64 KiB", frames: frames(64 << 10)},
		{name: "multipart", frames: frames(5, 0, 17, 3), inline: true},
		{name: "most inline frames", frames: many(inlineMaxFrames, 1), inline: true},
		{name: "one frame too many", frames: many(inlineMaxFrames+1, 0)},
		{name: "with prefix", prefix: frames(5, 0), frames: frames(10), inline: true},
		{name: "subscription", frames: [][]byte{[]byte("\x01topic")}, kind: kindSubscribe, inline: true},
		{name: "routing id", frames: frames(8), rid: 42},
		{name: "group", frames: frames(8), group: "weather"},
	}
	type way struct {
		name string
		push func(q *queue, prefix, frames [][]byte, kind msgKind, rid uint32, group string) bool
		// carries says whether this way of pushing can carry the shape
		carries func(prefix [][]byte, kind msgKind, rid uint32, group string) bool
	}
	always := func([][]byte, msgKind, uint32, string) bool { return true }
	build := func(prefix, frames [][]byte, kind msgKind, rid uint32, group string) Msg {
		var m Msg
		m.setFrames(prefix, frames)
		m.kind, m.routingID, m.group = kind, rid, group
		return m
	}
	ways := []way{
		{"pushk", func(q *queue, prefix, frames [][]byte, kind msgKind, rid uint32, group string) bool {
			return q.pushk(prefix, frames, kind, false)
		}, func(_ [][]byte, _ msgKind, rid uint32, group string) bool { return rid == 0 && group == "" }},
		{"pushMsg owned", func(q *queue, prefix, frames [][]byte, kind msgKind, rid uint32, group string) bool {
			m := build(nil, frames, kind, rid, group)
			m.owned = true
			return q.pushMsg(nil, &m, 0)
		}, func(prefix [][]byte, kind msgKind, _ uint32, _ string) bool { return prefix == nil && kind == kindData }},
		{"pushSwap", func(q *queue, prefix, frames [][]byte, kind msgKind, rid uint32, group string) bool {
			m := build(prefix, frames, kind, rid, group)
			if !q.pushSwap(&m, false) {
				panic("pushSwap refused")
			}
			if len(m.Frames) != 0 {
				panic("pushSwap left the message in place")
			}
			return true
		}, always},
		{"pushBatch", func(q *queue, prefix, frames [][]byte, kind msgKind, rid uint32, group string) bool {
			b := []Msg{build(prefix, frames, kind, rid, group)}
			return q.pushBatch(b, false) == 1
		}, always},
	}
	for _, tt := range tests {
		for _, w := range ways {
			if !w.carries(tt.prefix, tt.kind, tt.rid, tt.group) {
				continue
			}
			for _, batch := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/batch=%v", tt.name, w.name, batch), func(t *testing.T) {
					q := newTestQueue(0, true)
					q.pushk(nil, frames(3), kindData, false) // something before
					if !w.push(q, tt.prefix, tt.frames, tt.kind, tt.rid, tt.group) {
						t.Fatal("push refused")
					}
					q.pushk(nil, frames(4), kindData, false) // and after
					if inRing := q.rn == 1; inRing == tt.inline {
						t.Fatalf("inline %v, want %v", !inRing, tt.inline)
					}
					var got [3]Msg
					if batch {
						if n := q.popBatch(got[:]); n != 3 {
							t.Fatalf("popBatch gave %d, want 3", n)
						}
					} else {
						for i := range got {
							if !q.pop(&got[i]) {
								t.Fatalf("pop %d failed", i)
							}
						}
					}
					want := append(append([][]byte{}, tt.prefix...), tt.frames...)
					m := got[1]
					if len(m.Frames) != len(want) {
						t.Fatalf("%d frames, want %d", len(m.Frames), len(want))
					}
					for i := range want {
						if !bytes.Equal(m.Frames[i], want[i]) {
							t.Fatalf("frame %d = %q, want %q", i, m.Frames[i], want[i])
						}
					}
					if m.kind != tt.kind || m.routingID != tt.rid || m.group != tt.group {
						t.Fatalf("kind %d rid %d group %q, want %d %d %q", m.kind, m.routingID, m.group, tt.kind, tt.rid, tt.group)
					}
					if len(got[0].Frames[0]) != 3 || len(got[2].Frames[0]) != 4 || !q.empty() {
						t.Fatal("neighbours out of order or queue not empty")
					}
				})
			}
		}
	}
}

// An arena queue against a plain FIFO model: random sizes across the
// inline limit, random batch sizes, records crossing chunk boundaries by
// bytes and by count, the HWM.
func TestArenaModel(t *testing.T) {
	for _, hwm := range []int{0, 1, 10, 1000} {
		t.Run(fmt.Sprint("hwm=", hwm), func(t *testing.T) {
			rng := rand.New(rand.NewSource(int64(hwm) + 1))
			q := newTestQueue(hwm, true)
			var model [][][]byte
			seq := 0
			dst := make([]Msg, 80)
			for step := 0; step < 20000; step++ {
				if rng.Intn(2) == 0 {
					nf := 1 + rng.Intn(3)
					fr := make([][]byte, nf)
					for i := range fr {
						n := rng.Intn(200)
						if rng.Intn(8) == 0 {
							n = rng.Intn(2000)
						}
						fr[i] = make([]byte, n)
						for j := range fr[i] {
							fr[i][j] = byte(seq + i + j)
						}
					}
					seq++
					ok := q.push(nil, fr, kindData)
					if full := hwm > 0 && len(model) >= hwm; ok == full {
						t.Fatalf("step %d: push ok=%v with %d queued (hwm %d)", step, ok, len(model), hwm)
					}
					if ok {
						model = append(model, fr)
					}
				} else {
					n := q.popBatch(dst[:1+rng.Intn(len(dst))])
					if n > len(model) {
						t.Fatalf("step %d: popped %d of %d", step, n, len(model))
					}
					for i := 0; i < n; i++ {
						want := model[i]
						if len(dst[i].Frames) != len(want) {
							t.Fatalf("step %d: %d frames, want %d", step, len(dst[i].Frames), len(want))
						}
						for j := range want {
							if !bytes.Equal(dst[i].Frames[j], want[j]) {
								t.Fatalf("step %d: message %d frame %d differs", step, i, j)
							}
						}
					}
					model = model[n:]
					if n == 0 && len(model) > 0 {
						t.Fatalf("step %d: nothing popped with %d queued", step, len(model))
					}
				}
				if q.size() != len(model) {
					t.Fatalf("step %d: size %d, model %d", step, q.size(), len(model))
				}
			}
		})
	}
}

// Messages claimed by the consumer are copied out after the lock is
// released; neither the producer appending nor a drain from a third
// goroutine may change them meanwhile. Every message carries its sequence
// number in every byte, so a torn copy shows (run with -race).
func TestArenaClaimsUnderProducerAndDrain(t *testing.T) {
	q := newTestQueue(500, true)
	writable := make(chan struct{}, 1)
	q.setOnWritable(func() {
		select {
		case writable <- struct{}{}:
		default:
		}
	})
	const n = 100000
	var stop, produced atomic.Bool
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // producer
		defer wg.Done()
		defer produced.Store(true)
		for i := 0; i < n && !stop.Load(); {
			size := 4 + i%300 // both inline and moved
			f := bytes.Repeat([]byte{byte(i)}, size)
			f[0], f[1], f[2] = byte(i), byte(i>>8), byte(i>>16)
			if q.push(nil, [][]byte{f}, kindData) {
				i++
				continue
			}
			select {
			case <-writable:
			default:
			}
		}
	}()
	go func() { // drainer
		defer wg.Done()
		for !stop.Load() {
			for i := 0; i < 1000; i++ {
				_ = q.empty()
			}
			q.drain()
		}
	}()
	dst := make([]Msg, 32)
	last := -1
	for got := 0; got < 20000 && last < n-1; {
		done := produced.Load()
		k := q.popBatch(dst)
		if k == 0 && done {
			break // the rest was drained
		}
		for i := 0; i < k; i++ {
			f := dst[i].Frames[0]
			seq := int(f[0]) | int(f[1])<<8 | int(f[2])<<16
			if len(f) != 4+seq%300 || bytes.Count(f[3:], []byte{byte(seq)}) != len(f)-3 {
				t.Fatalf("message %d torn: %d bytes %v", seq, len(f), f[:8])
			}
			if seq <= last {
				t.Fatalf("message %d after %d", seq, last)
			}
			last = seq
			got++
		}
	}
	stop.Store(true)
	select {
	case writable <- struct{}{}:
	default:
	}
	wg.Wait()
}

// Switching an arena queue to CONFLATE keeps only the newest message,
// whichever way it was held.
func TestArenaSetConflate(t *testing.T) {
	for _, last := range []int{8, 4000} {
		q := newTestQueue(0, true)
		q.push(nil, [][]byte{make([]byte, 4000)}, kindData)
		q.push(nil, [][]byte{make([]byte, 8)}, kindData)
		q.push(nil, [][]byte{bytes.Repeat([]byte{7}, last)}, kindData)
		q.setConflate()
		if q.size() != 1 || q.arena {
			t.Fatalf("size %d arena %v after setConflate", q.size(), q.arena)
		}
		q.push(nil, [][]byte{{1}}, kindData)
		q.push(nil, [][]byte{bytes.Repeat([]byte{7}, last)}, kindData)
		var m Msg
		if !q.pop(&m) || len(m.Frames[0]) != last || m.Frames[0][0] != 7 || q.pop(&m) {
			t.Fatalf("last %d: conflated queue gave %d bytes", last, len(m.Frames[0]))
		}
	}
}

// A drain between a claim and its copy-out (the consumer is copying while
// another goroutine drains and the producer pushes on) must leave the
// claimed bytes alone: drained chunks are not reused.
func TestArenaDrainDuringCopyOut(t *testing.T) {
	q := newTestQueue(0, true)
	msg := func(i, fill int) [][]byte {
		f := bytes.Repeat([]byte{byte(fill)}, 100)
		f[0] = byte(i)
		return [][]byte{f}
	}
	for i := 0; i < 4*chunkRecs; i++ {
		q.push(nil, msg(i, 0xAA), kindData)
	}
	dst := make([]Msg, chunkRecs)
	q.mu.Lock()
	cl := q.claimLocked(dst)
	q.mu.Unlock()
	q.drain()
	for i := 0; i < 8*chunkRecs; i++ { // would reuse any chunk drain recycled
		q.push(nil, msg(i, 0x55), kindData)
	}
	cl.copyOut(dst)
	for i := range dst {
		f := dst[i].Frames[0]
		if len(f) != 100 || f[0] != byte(i) || bytes.Count(f[1:], []byte{0xAA}) != 99 {
			t.Fatalf("claimed message %d overwritten: %v", i, f[:8])
		}
	}
}

// A ring queue whose consumer falls behind turns to its arena once deep
// (deepRing messages, no spare storage) and back once empty; every message
// comes out as it went in, in order, across the switches.
func TestDeepQueueTurnsToArena(t *testing.T) {
	rng := rand.New(rand.NewSource(7))
	q := newTestQueue(0, false)
	var model [][][]byte
	seq := 0
	push := func() {
		nf := 1 + rng.Intn(2)
		fr := make([][]byte, nf)
		for i := range fr {
			n := rng.Intn(100)
			if rng.Intn(8) == 0 {
				n = 300 + rng.Intn(1000) // moved through the ring
			}
			fr[i] = make([]byte, n)
			for j := range fr[i] {
				fr[i][j] = byte(seq + i + j)
			}
		}
		seq++
		if !q.push(nil, fr, kindData) {
			t.Fatal("push refused")
		}
		model = append(model, fr)
	}
	dst := make([]Msg, 64)
	pop := func() {
		n := q.popBatch(dst[:1+rng.Intn(len(dst))])
		if n == 0 && len(model) > 0 {
			t.Fatalf("nothing popped with %d queued", len(model))
		}
		for i := 0; i < n; i++ {
			want := model[i]
			if len(dst[i].Frames) != len(want) {
				t.Fatalf("%d frames, want %d", len(dst[i].Frames), len(want))
			}
			for j := range want {
				if !bytes.Equal(dst[i].Frames[j], want[j]) {
					t.Fatalf("message %d frame %d differs", i, j)
				}
			}
		}
		model = model[n:]
	}
	for cycle := 0; cycle < 4; cycle++ {
		for range 3 * deepRing {
			push()
			if rng.Intn(64) == 0 {
				pop()
			}
		}
		if !q.arena || !q.deep {
			t.Fatalf("cycle %d: %d queued, not in the arena", cycle, len(model))
		}
		for len(model) > 0 {
			if rng.Intn(3) == 0 {
				push()
			}
			pop()
		}
		if q.arena || q.deep || q.lead != 0 || q.size() != 0 {
			t.Fatalf("cycle %d: empty queue: arena %v deep %v lead %d size %d", cycle, q.arena, q.deep, q.lead, q.size())
		}
	}
	// drained while deep: back to the ring
	for range 2 * deepRing {
		push()
	}
	q.drain()
	model = nil
	if q.arena || q.deep || q.lead != 0 {
		t.Fatalf("drained: arena %v deep %v lead %d", q.arena, q.deep, q.lead)
	}
	push()
	pop()
}

// An unbounded queue filled faster than it is read, across the switches,
// with the consumer copying out concurrently (run with -race).
func TestDeepQueueConcurrent(t *testing.T) {
	q := newTestQueue(0, false)
	readable := make(chan struct{}, 1)
	q.setOnReadable(func() {
		select {
		case readable <- struct{}{}:
		default:
		}
	})
	const n = 200000
	go func() {
		for i := range n {
			size := 4 + i%300
			f := bytes.Repeat([]byte{byte(i)}, size)
			f[0], f[1], f[2] = byte(i), byte(i>>8), byte(i>>16)
			q.push(nil, [][]byte{f}, kindData)
		}
	}()
	dst := make([]Msg, 32)
	for next := 0; next < n; {
		k := q.popBatch(dst[:1+next%len(dst)])
		if k == 0 {
			<-readable
			continue
		}
		for i := 0; i < k; i++ {
			f := dst[i].Frames[0]
			seq := int(f[0]) | int(f[1])<<8 | int(f[2])<<16
			if seq != next || len(f) != 4+seq%300 || bytes.Count(f[3:], []byte{byte(seq)}) != len(f)-3 {
				t.Fatalf("message %d (%d bytes) where %d was due", seq, len(f), next)
			}
			next++
		}
	}
}
