package core

import (
	"bytes"
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/zmqkit/zmqkit/plugins/ipc"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
)

// The read-ahead cap of a connection's inbound queue (queue.byteCap):
// which pushes it refuses, when the refused producer is woken, and what it
// leaves alone.
func TestQueueByteCap(t *testing.T) {
	msg := func(size int, tag byte) Msg {
		var m Msg
		m.InitSize(size)
		for i := range m.Frames[0] {
			m.Frames[0][i] = tag
		}
		return m
	}
	// counting wake-ups instead of a channel: the test is single-threaded
	newCapped := func(hwm, cap int) (*queue, *int) {
		q := newQueue(hwm)
		wakes := new(int)
		q.setOnWritable(func() { *wakes++ })
		q.setByteCap(cap)
		return q, wakes
	}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"refuses at the cap, wakes at half", func(t *testing.T) {
			q, wakes := newCapped(0, 1000)
			for i := 0; i < 4; i++ { // 0, 300, 600, 900 queued: below the cap
				m := msg(300, byte(i))
				if !q.pushSwap(&m, false) {
					t.Fatalf("push %d refused with %d octets queued", i, 300*i)
				}
			}
			m := msg(300, 4)
			if q.pushSwap(&m, false) || q.size() != 4 {
				t.Fatalf("push over the cap accepted (size %d)", q.size())
			}
			var out Msg
			for i, want := range []int{0, 0, 1} { // 900, 600, then 300 ≤ 500 octets left
				if !q.pop(&out) || out.Frames[0][0] != byte(i) {
					t.Fatalf("pop %d: got %v", i, out.Frames)
				}
				if *wakes != want {
					t.Fatalf("after pop %d (%d octets left): %d wake-ups, want %d", i, q.rbytes, *wakes, want)
				}
			}
			if !q.pushSwap(&m, false) {
				t.Fatal("push refused after the wake-up")
			}
			for i := 3; i <= 4; i++ {
				if !q.pop(&out) || out.Frames[0][0] != byte(i) {
					t.Fatalf("pop %d: got %v", i, out.Frames)
				}
			}
			if q.rbytes != 0 || *wakes != 1 {
				t.Fatalf("empty queue: %d octets counted, %d wake-ups; want 0 and 1", q.rbytes, *wakes)
			}
		}},
		{"a message larger than the cap passes an empty queue", func(t *testing.T) {
			q, _ := newCapped(0, 100)
			m := msg(1<<16, 1)
			if !q.pushSwap(&m, false) {
				t.Fatal("large message refused by an empty queue")
			}
			m = msg(1, 2)
			if q.pushSwap(&m, false) {
				t.Fatal("push accepted behind a message over the cap")
			}
		}},
		{"a batch stops at the cap", func(t *testing.T) {
			q, _ := newCapped(0, 250)
			batch := make([]Msg, 5)
			for i := range batch {
				batch[i] = msg(100, byte(i))
			}
			if k := q.pushBatch(batch, false); k != 3 {
				t.Fatalf("pushBatch took %d of 100-octet messages under a 250-octet cap, want 3", k)
			}
			if k := q.pushBatch(batch[3:], true); k != 2 {
				t.Fatalf("forced pushBatch took %d, want 2", k)
			}
		}},
		{"the HWM still counts messages", func(t *testing.T) {
			q, _ := newCapped(3, 1<<20)
			for i := 0; i < 3; i++ {
				m := msg(1, byte(i))
				if !q.pushSwap(&m, false) {
					t.Fatalf("push %d refused below the HWM", i)
				}
			}
			if m := msg(1, 3); q.pushSwap(&m, false) {
				t.Fatal("push at the HWM accepted")
			}
		}},
		{"drain wakes a refused producer", func(t *testing.T) {
			q, wakes := newCapped(0, 10)
			m := msg(10, 0)
			q.pushSwap(&m, false)
			if m = msg(10, 1); q.pushSwap(&m, false) {
				t.Fatal("push over the cap accepted")
			}
			q.drain()
			if *wakes != 1 || q.rbytes != 0 || !q.pushSwap(&m, false) {
				t.Fatalf("after drain: %d wake-ups, %d octets counted", *wakes, q.rbytes)
			}
		}},
		{"clearing the cap wakes a refused producer", func(t *testing.T) {
			q, wakes := newCapped(0, 10)
			m := msg(10, 0)
			q.pushSwap(&m, false)
			if m = msg(10, 1); q.pushSwap(&m, false) {
				t.Fatal("push over the cap accepted")
			}
			q.setByteCap(0)
			if *wakes != 1 || !q.pushSwap(&m, false) {
				t.Fatalf("after clearing the cap: %d wake-ups", *wakes)
			}
		}},
		{"conflate ignores the cap and keeps the count", func(t *testing.T) {
			q, _ := newCapped(0, 10)
			q.setConflate()
			for i := 0; i < 5; i++ {
				m := msg(100, byte(i))
				if !q.pushSwap(&m, false) {
					t.Fatalf("conflating push %d refused", i)
				}
			}
			if q.rbytes != 100 {
				t.Fatalf("%d octets counted for one conflated message of 100", q.rbytes)
			}
			var out Msg
			if !q.pop(&out) || out.Frames[0][0] != 4 || q.rbytes != 0 {
				t.Fatalf("pop: got %v, %d octets left", out.Frames, q.rbytes)
			}
		}},
		{"every push path is counted", func(t *testing.T) {
			q, _ := newCapped(0, 1<<20)
			q.push(nil, [][]byte{make([]byte, 7), make([]byte, 3)}, kindData) // copied in
			owned := msg(20, 0)
			owned.owned = true
			q.pushMsg(nil, &owned, 0) // moved in (SendMsg)
			m := msg(30, 0)
			q.pushSwap(&m, false)
			batch := []Msg{msg(40, 0)}
			q.pushBatch(batch, false)
			if q.rbytes != 100 {
				t.Fatalf("%d octets counted, want 100", q.rbytes)
			}
			var out Msg
			for q.pop(&out) {
			}
			if q.rbytes != 0 {
				t.Fatalf("%d octets counted after popping everything", q.rbytes)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, tt.run)
	}
}

// A connection's reader stops once the socket's queue holds the read-ahead
// cap, while the application does not receive, although RCVHWM would let it
// queue many more messages; what it leaves in the kernel arrives, in
// order, once the application receives again.
func TestConnectionReadAheadCap(t *testing.T) {
	for _, tr := range []string{"tcp", "ipc"} {
		t.Run(tr, func(t *testing.T) {
			const size, count = 64 << 10, 200 // 12.5 MiB: more than the kernel buffers
			ctx := NewContext()
			defer ctx.Term()
			pull, err := ctx.NewSocket(PULL, WithRecvHWM(1000), WithLinger(0))
			if err != nil {
				t.Fatal(err)
			}
			defer pull.Close()
			ep := "tcp://127.0.0.1:*"
			if tr == "ipc" {
				ep = "ipc://" + filepath.Join(t.TempDir(), "ra")
			}
			if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			ep = pull.LastEndpoint()
			push, err := ctx.NewSocket(PUSH, WithSendHWM(1000), WithLinger(0))
			if err != nil {
				t.Fatal(err)
			}
			defer push.Close()
			if err := push.Connect(ep); err != nil {
				t.Fatal(err)
			}
			c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			body := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, size) }
			for i := 0; i < count; i++ {
				if err := push.Send(c, NewMsg(body(i))); err != nil {
					t.Fatalf("send %d: %v", i, err)
				}
			}
			// Wait until the reader has stopped: the queue is at the cap and
			// stays there.
			in := pullQueue(t, pull)
			limit := readAheadBytes/size + 1
			deadline := time.Now().Add(10 * time.Second)
			for last, stable := -1, 0; stable < 20; {
				n := in.size()
				if n > limit {
					t.Fatalf("%d messages of %d octets queued, read-ahead allows %d", n, size, limit)
				}
				if n == last && n > 0 {
					stable++
				} else {
					stable = 0
				}
				last = n
				if time.Now().After(deadline) {
					t.Fatalf("queue did not settle (%d messages)", n)
				}
				time.Sleep(5 * time.Millisecond)
			}
			for i := 0; i < count; i++ {
				m, err := pull.Recv(c)
				if err != nil {
					t.Fatalf("recv %d: %v", i, err)
				}
				if len(m.Frames) != 1 || !bytes.Equal(m.Frames[0], body(i)) {
					t.Fatalf("message %d: %d frames, %d octets, first %v", i, len(m.Frames), m.Len(), m.Frames[0][:1])
				}
			}
		})
	}
}

// pullQueue returns the inbound queue of s's one connection.
func pullQueue(t *testing.T, s *Socket) *queue {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		s.mu.Lock()
		var q *queue
		if len(s.pipes) == 1 {
			q = s.pipes[0].in
		}
		s.mu.Unlock()
		if q != nil {
			return q
		}
		if time.Now().After(deadline) {
			t.Fatal("no connection after 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// A STREAM socket's raw connections read ahead by the same cap: a peer
// writes 8 MiB that the application does not receive, the socket queues
// at most the cap and one read's worth, then everything arrives in order.
func TestStreamReadAheadCap(t *testing.T) {
	ctx := NewContext()
	defer ctx.Term()
	s, err := ctx.NewSocket(STREAM, WithRecvHWM(1000), WithLinger(0))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(s.LastEndpoint(), "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const total = 8 << 20
	data := make([]byte, total)
	for i := range data {
		data[i] = byte(i / 4093)
	}
	go c.Write(data) // blocks in the kernel until the socket reads on
	in := pullQueue(t, s)
	limit := readAheadBytes + rawReadSize + rawIDRoom
	deadline := time.Now().Add(10 * time.Second)
	for last, stable := -1, 0; stable < 20; {
		in.mu.Lock()
		queued := in.rbytes
		in.mu.Unlock()
		if queued > limit {
			t.Fatalf("%d octets queued, read-ahead allows %d", queued, limit)
		}
		if queued == last && queued > 0 {
			stable++
		} else {
			stable = 0
		}
		last = queued
		if time.Now().After(deadline) {
			t.Fatalf("queue did not settle (%d octets)", queued)
		}
		time.Sleep(5 * time.Millisecond)
	}
	rc, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var got []byte
	for len(got) < total {
		m, err := s.Recv(rc)
		if err != nil {
			t.Fatalf("after %d octets: %v", len(got), err)
		}
		if len(m.Frames) != 2 {
			t.Fatalf("STREAM message of %d frames", len(m.Frames))
		}
		got = append(got, m.Frames[1]...)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the bytes received differ from the bytes sent")
	}
}
