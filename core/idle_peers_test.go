package core_test

import (
	"fmt"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// Many idle peers on one ROUTER cost at most one goroutine each (the
// reader, parked in the kernel's read) and 32 KiB of Go heap each: the
// read and write buffers are taken while data flows and given back when
// it stops (before: two goroutines and about 150 KiB of heap per peer).
// Every peer sends a message and receives a reply first, so both the
// reader's and the writer's buffers have been taken and given back.
// With heartbeats the same holds: a heartbeat's timer starts a writer
// that sends the PING and ends (before: the writer stayed, with its
// buffers, to time the heartbeats).
// interop/cmd/idlepeers measures the same at 10,000 peers against libzmq.
func TestIdlePeersCost(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []core.Option
	}{
		{"no heartbeats", nil},
		// the peers never answer: a timeout longer than the test
		{"heartbeats", []core.Option{core.WithHeartbeat(100*time.Millisecond, 0, time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) { idlePeersCost(t, tc.opts...) })
	}
}

func idlePeersCost(t *testing.T, opts ...core.Option) {
	const n = 500
	const maxHeapPerPeer = 32 << 10
	ctx := wCtx(t)
	base := runtime.NumGoroutine()
	heap0 := heapInUse()
	r, ep := wBound(t, ctx, core.ROUTER, append([]core.Option{core.WithLinger(0)}, opts...)...)
	conns := make([]net.Conn, n)
	for i := range conns {
		conns[i] = wDial(t, ep)
		wWrite(t, conns[i], append(wGreeting(1, "NULL"), wReady("DEALER")...))
	}
	for i, c := range conns {
		wRead(t, c, 64) // zmqkit's greeting
		if flags, body := wReadFrame(t, c); flags != 0x04 {
			t.Fatalf("peer %d: expected READY, got flags %#x body %q", i, flags, body)
		}
		wWrite(t, c, wFrame(0, []byte(fmt.Sprint("hello ", i))))
	}
	rctx := cfCtx(t, 30*time.Second)
	for range n {
		m, err := r.Recv(rctx)
		if err != nil {
			t.Fatal(err)
		}
		m.Frames[1] = append([]byte("re: "), m.Frames[1]...)
		if err := r.SendMsg(rctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range conns {
		for {
			flags, body := wReadFrame(t, c)
			if flags&0x04 != 0 { // a PING before the reply
				continue
			}
			if string(body) != fmt.Sprint("re: hello ", i) {
				t.Fatalf("peer %d: reply %q", i, body)
			}
			break
		}
	}
	if len(opts) > 0 {
		time.Sleep(300 * time.Millisecond) // a few heartbeats: PINGs went out while idle
	}
	// the writers finish their last write and go idle
	const slack = 8
	var g int
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if g = runtime.NumGoroutine() - base; g <= n+slack || time.Now().After(deadline) {
			break
		}
	}
	heap := heapInUse() - heap0
	t.Logf("%d idle peers: %d goroutines (%.2f per peer), %d octets of heap (%.0f per peer)",
		n, g, float64(g)/n, heap, float64(heap)/n)
	if g > n+slack {
		t.Errorf("%d goroutines for %d idle peers, want at most one each (+%d)", g, n, slack)
	}
	if heap > n*maxHeapPerPeer {
		t.Errorf("%d octets of heap per idle peer, want at most %d", heap/n, maxHeapPerPeer)
	}
	runtime.KeepAlive(r)
}
