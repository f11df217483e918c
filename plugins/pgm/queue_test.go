package pgm

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/pgm/internal/wire"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// The receive queue gives back the frames delivered, in order, with MORE
// on all but each message's last, while reads and deliveries interleave
// (and the queue compacts); its counts return to zero; in steady state it
// does not allocate.
func TestReceiveQueue(t *testing.T) {
	s := &session{}
	s.cond.L = &s.mu
	r := rand.New(rand.NewPCG(7, 8))
	type frame struct {
		b    []byte
		more bool
	}
	var want []frame
	delivered := 0
	deliver := func() {
		nf := 1 + r.IntN(3)
		fr := make([][]byte, nf)
		for i := range fr {
			fr[i] = make([]byte, r.IntN(100))
			for j := range fr[i] {
				fr[i][j] = byte(delivered + i + j)
			}
			want = append(want, frame{fr[i], i < nf-1})
		}
		s.mu.Lock()
		s.deliver(wire.TSI{}, fr)
		s.mu.Unlock()
		delivered++
	}
	var buf []byte
	read := func() {
		b, flags, err := s.ReadFrame(buf[:0])
		if err != nil {
			t.Fatal(err)
		}
		buf = b
		w := want[0]
		want = want[1:]
		if !bytes.Equal(b, w.b) || (flags&transport.FlagMore != 0) != w.more {
			t.Fatalf("frame %q flags %#x, want %q more %v", b, flags, w.b, w.more)
		}
	}
	for range 20000 {
		if r.IntN(2) == 0 || len(want) == 0 {
			deliver()
		} else {
			read()
		}
		if len(want) > 0 != s.HasFrame() {
			t.Fatalf("HasFrame %v with %d frames queued", s.HasFrame(), len(want))
		}
	}
	for len(want) > 0 {
		read()
	}
	if s.qMsgs != 0 || s.qBytes != 0 || s.qhead != 0 || len(s.qents) != 0 || len(s.qdata) != 0 {
		t.Fatalf("empty queue: %d messages, %d octets, head %d, %d entries, %d data octets",
			s.qMsgs, s.qBytes, s.qhead, len(s.qents), len(s.qdata))
	}

	msg := [][]byte{make([]byte, 64), []byte("two")}
	buf = make([]byte, 0, 128)
	cycle := func() {
		s.mu.Lock()
		for range 300 {
			s.deliver(wire.TSI{}, msg)
		}
		s.mu.Unlock()
		for range 600 {
			buf, _, _ = s.ReadFrame(buf[:0])
		}
	}
	cycle()
	if allocs := testing.AllocsPerRun(10, cycle); allocs != 0 && !raceOn {
		t.Fatalf("%.1f allocations per 300 messages, want 0", allocs)
	}
}
