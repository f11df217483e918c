package core_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

// Benchmarks of the message path, over each built-in transport and three
// message sizes:
//
//	go test ./core -run '^$' -bench 'PushPull|ReqRep' -benchmem
//
// BenchmarkPushPull/<transport>/<size>: one PUSH sends b.N messages to one
// PULL that a second goroutine drains; an op is one message and msgs/s is
// the end-to-end rate (the clock stops when the last message arrives).
// BenchmarkReqRep/<transport>/<size>: an op is one REQ/REP round trip;
// ns/op is the round-trip time and MB/s counts both directions.
// allocs/op covers both ends and should be 0 in steady state: Send with a
// prebuilt Msg and RecvMsg into a reused Msg are the zero-allocation paths.

// benchTimeout bounds one benchmark run, so a broken socket fails the run
// instead of hanging it.
const benchTimeout = 2 * time.Minute

var benchSizes = []struct {
	name string
	size int
}{
	{"64B", 64},
	{"1KiB", 1 << 10},
	{"64KiB", 64 << 10},
}

var benchTransports = []string{"inproc", "ipc", "tcp", "ws"}

var benchSeq atomic.Int64

// benchEndpoint returns an endpoint to bind for transport; tcp uses an
// ephemeral port (read LastEndpoint after Bind).
func benchEndpoint(b *testing.B, transport string) string {
	n := benchSeq.Add(1)
	switch transport {
	case "inproc":
		return fmt.Sprintf("inproc://bench-%d-%d", os.Getpid(), n)
	case "ipc":
		// Short path: unix socket paths are limited to ~107 bytes.
		dir, err := os.MkdirTemp("", "zkb")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { os.RemoveAll(dir) })
		return "ipc://" + filepath.Join(dir, "s")
	case "ws":
		return "ws://127.0.0.1:*/bench"
	default:
		return "tcp://127.0.0.1:*"
	}
}

// benchPair returns a bound socket of type bt and a socket of type ct
// connected to it; both are closed, and the context terminated, at cleanup.
func benchPair(b *testing.B, transport string, bt, ct core.SocketType) (bound, conn *core.Socket) {
	b.Helper()
	zctx := core.NewContext()
	var err error
	bound, err = zctx.NewSocket(bt, core.WithLinger(0))
	if err != nil {
		b.Fatal(err)
	}
	conn, err = zctx.NewSocket(ct, core.WithLinger(0))
	if err != nil {
		bound.Close()
		b.Fatal(err)
	}
	b.Cleanup(func() {
		conn.Close()
		bound.Close()
		done := make(chan struct{})
		go func() { zctx.Term(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			b.Error("context Term did not return within 10s")
		}
	})
	if err := bound.Bind(benchEndpoint(b, transport)); err != nil {
		b.Fatal(err)
	}
	if err := conn.Connect(bound.LastEndpoint()); err != nil {
		b.Fatal(err)
	}
	return bound, conn
}

func BenchmarkPushPull(b *testing.B) {
	for _, tr := range benchTransports {
		for _, sz := range benchSizes {
			b.Run(tr+"/"+sz.name, func(b *testing.B) { benchPushPull(b, tr, sz.size) })
		}
	}
}

func benchPushPull(b *testing.B, transport string, size int) {
	benchPushPullMode(b, transport, size, false)
}

// BenchmarkPushPullZeroCopy is BenchmarkPushPull with libzmq's perf-tool
// loop: Msg.InitSize then SendMsg, which hands the message over uncopied.
func BenchmarkPushPullZeroCopy(b *testing.B) {
	for _, tr := range benchTransports {
		for _, sz := range benchSizes {
			b.Run(tr+"/"+sz.name, func(b *testing.B) { benchPushPullMode(b, tr, sz.size, true) })
		}
	}
}

func benchPushPullMode(b *testing.B, transport string, size int, owned bool) {
	pull, push := benchPair(b, transport, core.PULL, core.PUSH)
	c, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()

	msg := core.NewMsg(make([]byte, size))
	var in core.Msg
	// Warm up: the connection is up and both ends' buffers are allocated.
	for i := 0; i < 10; i++ {
		if err := push.Send(c, msg); err != nil {
			b.Fatalf("warm-up send: %v", err)
		}
		if err := pull.RecvMsg(c, &in); err != nil {
			b.Fatalf("warm-up recv: %v", err)
		}
	}

	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()

	n := b.N
	done := make(chan error, 1)
	go func() {
		var m core.Msg
		for i := 0; i < n; i++ {
			if err := pull.RecvMsg(c, &m); err != nil {
				done <- fmt.Errorf("recv %d of %d: %w", i, n, err)
				return
			}
			if len(m.Frames) != 1 || len(m.Frames[0]) != size {
				done <- fmt.Errorf("recv %d: got %d frames, %d bytes", i, len(m.Frames), m.Len())
				return
			}
		}
		done <- nil
	}()
	var om core.Msg
	for i := 0; i < n; i++ {
		var err error
		if owned {
			om.InitSize(size)
			err = push.SendMsg(c, &om)
		} else {
			err = push.Send(c, msg)
		}
		if err != nil {
			cancel()
			<-done
			b.Fatalf("send %d of %d: %v", i, n, err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkReqRep(b *testing.B) {
	for _, tr := range benchTransports {
		for _, sz := range benchSizes {
			b.Run(tr+"/"+sz.name, func(b *testing.B) { benchReqRep(b, tr, sz.size) })
		}
	}
}

func benchReqRep(b *testing.B, transport string, size int) {
	rep, req := benchPair(b, transport, core.REP, core.REQ)
	c, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()

	// Echo server: runs until c is cancelled.
	echoed := make(chan error, 1)
	go func() {
		var m core.Msg
		for {
			if err := rep.RecvMsg(c, &m); err != nil {
				echoed <- err
				return
			}
			if err := rep.Send(c, m); err != nil {
				echoed <- err
				return
			}
		}
	}()
	defer func() { cancel(); <-echoed }()

	msg := core.NewMsg(make([]byte, size))
	var in core.Msg
	roundTrip := func(i int) {
		if err := req.Send(c, msg); err != nil {
			b.Fatalf("send %d: %v", i, err)
		}
		if err := req.RecvMsg(c, &in); err != nil {
			b.Fatalf("recv %d: %v", i, err)
		}
		if len(in.Frames) != 1 || len(in.Frames[0]) != size {
			b.Fatalf("reply %d: got %d frames, %d bytes", i, len(in.Frames), in.Len())
		}
	}
	for i := 0; i < 10; i++ { // warm up
		roundTrip(-1)
	}

	b.SetBytes(2 * int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		roundTrip(i)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rt/s")
}
