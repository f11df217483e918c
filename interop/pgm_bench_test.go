//go:build cgo && !nolibzmq && linux

package interop

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"syscall"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/pgm/pgmtest"
)

// BenchmarkPGM measures epgm PUB→SUB across the rig's veth pair (two
// network namespaces, one process) at 64 B and 1 KiB with RATE at
// 1 Gbit/s, zmqkit and libzmq + OpenPGM side by side:
//
//	msgs/s      b.N messages sent back to back, from the first send to
//	            the last message received
//	cpu-ns/msg  the process's CPU time over the same span (user + system,
//	            both ends: the publisher, the subscriber and the kernel's
//	            work for them) over b.N
//	lat-p50-µs, lat-p99-µs
//	            one-way latency of 500 messages sent 1 ms apart (the clock
//	            is shared: both ends are in this process)
//
// libzmq is driven through github.com/pebbe/zmq4 (one cgo call and one copy
// per message and end), zmqkit through its zero-allocation Send/RecvMsg.
// Run interleaved, several times:
//
//	cd interop && go test -run '^$' -bench PGM -count 5 -benchtime 200000x .
func BenchmarkPGM(b *testing.B) {
	for _, size := range []int{64, 1024} {
		for _, impl := range []string{"zmqkit", "libzmq"} {
			b.Run(fmt.Sprintf("%dB/%s", size, impl), func(b *testing.B) { benchPGM(b, impl, size) })
		}
	}
}

const benchRate = 1000000 // kbit/s

// benchEnd is one end of the benchmark, zmqkit or libzmq.
type benchEnd struct {
	send func(b []byte) error
	recv func() ([]byte, error) // the buffer may be reused by the next call
}

func benchKit(b *testing.B, rig *pgmtest.Rig, i int, st core.SocketType, ep string) benchEnd {
	kctx := newKitContext(b)
	k := newKit(b, kctx, st, core.WithRate(benchRate), core.WithRecoveryInterval(2*time.Second),
		core.WithSendHWM(0), core.WithRecvHWM(0), core.WithRecvBuffer(4<<20), core.WithSendBuffer(4<<20),
		core.WithRecvTimeout(opTimeout)) // as libzmq's RCVTIMEO: no context per call
	if st == SUB {
		if err := k.s.Subscribe(""); err != nil {
			b.Fatal(err)
		}
	}
	if err := rig.Do(i, func() error { return k.s.Bind(ep) }); err != nil {
		b.Fatal(err)
	}
	c := context.Background()
	var in, out core.Msg
	return benchEnd{
		send: func(p []byte) error {
			out.InitSize(len(p))
			copy(out.Frames[0], p)
			return k.s.SendMsg(c, &out)
		},
		recv: func() ([]byte, error) {
			if err := k.s.RecvMsg(c, &in); err != nil {
				return nil, err
			}
			return in.Frames[0], nil
		},
	}
}

func benchLib(b *testing.B, rig *pgmtest.Rig, i int, st core.SocketType, ep string) benchEnd {
	l := libInNS(b, rig, i, st, ep, func(s *zmq.Socket) error {
		for _, err := range []error{s.SetRate(benchRate), s.SetRecoveryIvl(2 * time.Second),
			s.SetRcvbuf(4 << 20), s.SetSndbuf(4 << 20), s.SetRcvtimeo(opTimeout)} {
			if err != nil {
				return err
			}
		}
		return nil
	})
	return benchEnd{
		send: func(p []byte) error { _, err := l.s.SendBytes(p, 0); return err },
		recv: func() ([]byte, error) { return l.s.RecvBytes(0) },
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func benchPGM(b *testing.B, impl string, size int) {
	rig := pgmtest.NewRig(b)
	const port = 5600
	open := benchKit
	if impl == "libzmq" {
		open = benchLib
	}
	sub := open(b, rig, 1, SUB, rig.Endpoint(1, "epgm", port))
	pub := open(b, rig, 0, PUB, rig.Endpoint(0, "epgm", port))
	msg := make([]byte, size)
	// join: the subscriber takes the stream from the first message start
	// it sees
	joined := make(chan error, 1)
	go func() {
		p, err := sub.recv()
		if err == nil && len(p) != size {
			err = fmt.Errorf("warm-up message of %d octets", len(p))
		}
		joined <- err
	}()
	for wait := true; wait; {
		binary.BigEndian.PutUint64(msg, ^uint64(0))
		if err := pub.send(msg); err != nil {
			b.Fatal(err)
		}
		select {
		case err := <-joined:
			if err != nil {
				b.Fatal(err)
			}
			wait = false
		case <-time.After(20 * time.Millisecond):
		}
	}
	// drain the rest of the warm-up: the numbered stream starts at 0
	type result struct {
		got     int
		err     error
		lat     []time.Duration
		endTime time.Time
	}
	n := b.N
	const latN = 500
	res := make(chan result, 1)
	thrDone := make(chan struct{})
	go func() {
		var r result
		for r.got < n+latN {
			p, err := sub.recv()
			if err != nil {
				r.err = err
				break
			}
			seq := binary.BigEndian.Uint64(p)
			if seq == ^uint64(0) {
				continue // warm-up
			}
			if seq != uint64(r.got) {
				r.err = fmt.Errorf("message %d, want %d", seq, r.got)
				break
			}
			r.got++
			if r.got == n {
				r.endTime = time.Now()
				close(thrDone)
			}
			if seq >= uint64(n) {
				sent := time.Unix(0, int64(binary.BigEndian.Uint64(p[8:])))
				r.lat = append(r.lat, time.Since(sent))
			}
		}
		res <- r
	}()
	cpu0 := cpuTime()
	b.ResetTimer()
	start := time.Now()
	for i := range n {
		binary.BigEndian.PutUint64(msg, uint64(i))
		if err := pub.send(msg); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-thrDone:
	case r := <-res:
		b.Fatalf("after %d of %d messages: %v", r.got, n, r.err)
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	// latency phase: paced messages carrying their send time
	for i := n; i < n+latN; i++ {
		time.Sleep(time.Millisecond)
		binary.BigEndian.PutUint64(msg, uint64(i))
		binary.BigEndian.PutUint64(msg[8:], uint64(time.Now().UnixNano()))
		if err := pub.send(msg); err != nil {
			b.Fatal(err)
		}
	}
	r := <-res
	if r.err != nil {
		b.Fatalf("after %d of %d messages: %v", r.got, n+latN, r.err)
	}
	el := r.endTime.Sub(start)

	slices.Sort(r.lat)
	b.ReportMetric(float64(n)/el.Seconds(), "msgs/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(n), "cpu-ns/msg")
	b.ReportMetric(float64(r.lat[len(r.lat)/2].Microseconds()), "lat-p50-µs")
	b.ReportMetric(float64(r.lat[len(r.lat)*99/100].Microseconds()), "lat-p99-µs")
}
