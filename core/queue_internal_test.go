package core

import (
	"sync"
	"testing"
	"time"
)

// queueModes are the two ways a queue holds messages: moved through its
// ring (connections), or small ones copied through its arena (inproc).
var queueModes = []struct {
	name  string
	arena bool
}{{"ring", false}, {"arena", true}}

func newTestQueue(hwm int, arena bool) *queue {
	q := newQueue(hwm)
	if arena {
		q.useArena()
	}
	return q
}

// The queue under a producer and a consumer that both batch, with
// the wake-up hooks the sockets use: nothing is lost, nothing hangs.
func TestQueueBatchesAndWakeups(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) { testQueueBatchesAndWakeups(t, mode.arena) })
	}
}

func testQueueBatchesAndWakeups(t *testing.T, arena bool) {
	for _, hwm := range []int{0, 1, 7, 100} {
		q := newTestQueue(hwm, arena)
		readable := make(chan struct{}, 1)
		writable := make(chan struct{}, 1)
		q.setOnReadable(func() {
			select {
			case readable <- struct{}{}:
			default:
			}
		})
		q.setOnWritable(func() {
			select {
			case writable <- struct{}{}:
			default:
			}
		})
		const n = 200000
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // producer
			defer wg.Done()
			batch := make([]Msg, 5)
			sent := 0
			for sent < n {
				k := len(batch)
				if n-sent < k {
					k = n - sent
				}
				for i := 0; i < k; i++ {
					batch[i].InitSize(8)
					batch[i].Frames[0][0] = byte(sent + i)
				}
				done := 0
				for done < k {
					done += q.pushBatch(batch[done:k], false)
					if done < k {
						select {
						case <-writable:
						case <-time.After(5 * time.Second):
							t.Errorf("hwm %d: producer stuck at %d (count %d)", hwm, sent+done, q.size())
							return
						}
					}
				}
				sent += k
			}
		}()
		dst := make([]Msg, 3)
		got := 0
		for got < n {
			k := q.popBatch(dst)
			for i := 0; i < k; i++ {
				if dst[i].Frames[0][0] != byte(got+i) {
					t.Fatalf("hwm %d: message %d out of order", hwm, got+i)
				}
			}
			got += k
			if k == 0 {
				select {
				case <-readable:
				case <-time.After(5 * time.Second):
					t.Fatalf("hwm %d: consumer stuck at %d (count %d)", hwm, got, q.size())
				}
			}
		}
		wg.Wait()
	}
}

// Single-threaded behaviour of the queue: order across chunk boundaries,
// HWM and forced pushes, CONFLATE, drain, close, and the callbacks.
func TestQueueSemantics(t *testing.T) {
	frame := func(i int) [][]byte { return [][]byte{{byte(i), byte(i >> 8)}} }
	num := func(m *Msg) int { return int(m.Frames[0][0]) | int(m.Frames[0][1])<<8 }
	tests := []struct {
		name string
		run  func(t *testing.T, q *queue)
		hwm  int
	}{
		{"order across chunks", func(t *testing.T, q *queue) {
			for i := 0; i < 3000; i++ {
				if !q.push(nil, frame(i), kindData) {
					t.Fatalf("push %d refused with no HWM", i)
				}
			}
			if q.size() != 3000 {
				t.Fatalf("size %d, want 3000", q.size())
			}
			var m Msg
			for i := 0; i < 3000; i++ {
				if !q.pop(&m) || num(&m) != i {
					t.Fatalf("pop %d: got %v", i, m.Frames)
				}
			}
			if q.pop(&m) || !q.empty() {
				t.Fatal("queue not empty after popping everything")
			}
		}, 0},
		{"hwm refuses, force does not", func(t *testing.T, q *queue) {
			for i := 0; i < 5; i++ {
				if !q.push(nil, frame(i), kindData) {
					t.Fatalf("push %d refused below the HWM", i)
				}
			}
			if !q.full() || q.push(nil, frame(5), kindData) {
				t.Fatal("push at the HWM accepted")
			}
			if !q.pushk(nil, frame(5), kindSubscribe, true) {
				t.Fatal("forced push refused")
			}
			var m Msg
			q.pop(&m)
			if q.size() != 5 || !q.full() {
				t.Fatalf("size %d full %v after one pop, want 5 and full", q.size(), q.full())
			}
			q.pop(&m)
			if q.full() || !q.push(nil, frame(6), kindData) {
				t.Fatal("push refused below the HWM")
			}
		}, 5},
		{"batch stops at hwm", func(t *testing.T, q *queue) {
			batch := make([]Msg, 10)
			for i := range batch {
				batch[i].setFrames(nil, frame(i))
			}
			if k := q.pushBatch(batch, false); k != 3 {
				t.Fatalf("pushBatch took %d, want 3", k)
			}
			if k := q.pushBatch(batch[3:], true); k != 7 {
				t.Fatalf("forced pushBatch took %d, want 7", k)
			}
			dst := make([]Msg, 4)
			got := 0
			for n := q.popBatch(dst); n > 0; n = q.popBatch(dst) {
				for i := 0; i < n; i++ {
					if num(&dst[i]) != got {
						t.Fatalf("message %d out of order", got)
					}
					got++
				}
			}
			if got != 10 {
				t.Fatalf("popped %d, want 10", got)
			}
		}, 3},
		{"conflate keeps the last", func(t *testing.T, q *queue) {
			q.setConflate()
			for i := 0; i < 10; i++ {
				if !q.push(nil, frame(i), kindData) {
					t.Fatal("conflate push refused")
				}
			}
			m := Msg{}
			m.setFrames(nil, frame(10))
			m.owned = true
			if !q.pushMsg(nil, &m, 0) {
				t.Fatal("conflate pushMsg refused")
			}
			s := Msg{}
			s.setFrames(nil, frame(11))
			if !q.pushSwap(&s, false) {
				t.Fatal("conflate pushSwap refused")
			}
			if q.size() != 1 {
				t.Fatalf("size %d, want 1", q.size())
			}
			var out Msg
			if !q.pop(&out) || num(&out) != 11 {
				t.Fatalf("popped %v, want the last message", out.Frames)
			}
			if q.pop(&out) {
				t.Fatal("second message in a conflating queue")
			}
		}, 1},
		{"drain wakes a full producer", func(t *testing.T, q *queue) {
			woke := 0
			q.setOnWritable(func() { woke++ })
			q.push(nil, frame(1), kindData)
			q.push(nil, frame(2), kindData)
			q.drain()
			if !q.empty() || woke != 1 {
				t.Fatalf("after drain: size %d, writable called %d times", q.size(), woke)
			}
		}, 2},
		{"readable only on empty to non-empty", func(t *testing.T, q *queue) {
			woke := 0
			q.setOnReadable(func() { woke++ })
			q.push(nil, frame(1), kindData)
			q.push(nil, frame(2), kindData)
			if woke != 1 {
				t.Fatalf("readable called %d times for two pushes, want 1", woke)
			}
			var m Msg
			q.pop(&m)
			q.pop(&m)
			q.push(nil, frame(3), kindData)
			if woke != 2 {
				t.Fatalf("readable called %d times, want 2", woke)
			}
		}, 0},
		{"close refuses pushes and wakes", func(t *testing.T, q *queue) {
			woke := 0
			q.setOnReadable(func() { woke++ })
			q.push(nil, frame(1), kindData)
			q.close()
			if q.push(nil, frame(2), kindData) || woke != 2 {
				t.Fatalf("push after close accepted or no wake (%d)", woke)
			}
			var m Msg
			if !q.pop(&m) || num(&m) != 1 {
				t.Fatal("message queued before close lost")
			}
		}, 0},
		{"raising the hwm wakes", func(t *testing.T, q *queue) {
			woke := 0
			q.setOnWritable(func() { woke++ })
			q.push(nil, frame(1), kindData)
			q.setHWM(2)
			if woke != 1 || q.full() {
				t.Fatalf("writable called %d times, full %v", woke, q.full())
			}
		}, 1},
	}
	for _, mode := range queueModes {
		for _, tt := range tests {
			t.Run(mode.name+"/"+tt.name, func(t *testing.T) { tt.run(t, newTestQueue(tt.hwm, mode.arena)) })
		}
	}
}

// In steady state pushing and popping allocates nothing: storage goes
// round through the slots.
func TestQueueNoAllocs(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) { testQueueNoAllocs(t, mode.arena) })
	}
}

func testQueueNoAllocs(t *testing.T, arena bool) {
	q := newTestQueue(1000, arena)
	frames := [][]byte{make([]byte, 64)}
	dst := make([]Msg, 16)
	var m Msg
	cycle := func() {
		for i := 0; i < 300; i++ {
			q.push(nil, frames, kindData)
		}
		for q.popBatch(dst) > 0 {
		}
		m.InitSize(64)
		m.owned = true
		q.pushMsg(nil, &m, 0)
		q.pop(&m)
	}
	for i := 0; i < 5; i++ {
		cycle()
	}
	if a := testing.AllocsPerRun(20, cycle); a != 0 {
		t.Fatalf("%.1f allocations per cycle, want 0", a)
	}
}

// drain from another goroutine while the consumer pops: no message is
// taken twice, nothing races (run with -race).
func TestQueueDrainWhilePopping(t *testing.T) {
	for _, mode := range queueModes {
		t.Run(mode.name, func(t *testing.T) { testQueueDrainWhilePopping(t, mode.arena) })
	}
}

func testQueueDrainWhilePopping(t *testing.T, arena bool) {
	q := newTestQueue(0, arena)
	for i := 0; i < 10000; i++ {
		q.push(nil, [][]byte{{byte(i)}}, kindData)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	popped := 0
	go func() {
		defer wg.Done()
		var m Msg
		for q.pop(&m) {
			popped++
		}
	}()
	q.drain()
	wg.Wait()
	if !q.empty() || popped > 10000 {
		t.Fatalf("size %d after drain, %d popped", q.size(), popped)
	}
}

// A pipe's receive cache grows while batches of small messages fill it, up
// to fqBatchMax, and stays at fqBatch on a pipe that never has more queued
// or that carries large messages; messages come out in order either way.
func TestPipeReceiveCacheGrows(t *testing.T) {
	for _, tt := range []struct {
		queued, size, want int
	}{
		{1, 2, fqBatch},
		{fqBatch - 1, 2, fqBatch},
		{10 * fqBatchMax, 2, fqBatchMax},
		{10 * fqBatchMax, rcGrowBytes + 1, fqBatch}, // large messages: no growth
	} {
		s := &Socket{}
		p := newPipe(s, newQueue(0), newQueue(0), "test")
		next := 0
		var m Msg
		for round := 0; round < 5; round++ {
			for i := 0; i < tt.queued; i++ {
				n := round*tt.queued + i
				f := make([]byte, tt.size)
				f[0], f[1] = byte(n), byte(n>>8)
				p.in.push(nil, [][]byte{f}, kindData)
			}
			for p.recvOne(&m) {
				if got := int(m.Frames[0][0]) | int(m.Frames[0][1])<<8; got != next {
					t.Fatalf("queued %d: message %d came out as %d", tt.queued, next, got)
				}
				next++
			}
		}
		if next != 5*tt.queued || len(p.rc) != tt.want {
			t.Errorf("queued %d: received %d, cache %d slots (want %d)", tt.queued, next, len(p.rc), tt.want)
		}
	}
}
