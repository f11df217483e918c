package ws_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

// Idle ws connections keep neither the reader's nor the writer's 64 KiB
// buffer, idle wss connections not the writer's: after a message each
// way, n DEALERs connected to a ROUTER (both ends in this process, 2n
// connections) take at most maxPerConn of Go heap each (before: about
// 97 KiB over ws, 168 KiB over wss). Over wss the reader keeps its buffer
// (crypto/tls reads into it) and crypto/tls its own.
func TestIdleConnectionsHoldNoBuffers(t *testing.T) {
	const n = 100
	pki := newPKI(t)
	for _, tc := range []struct {
		scheme     string
		srv, cli   []core.Option
		maxPerConn int64
	}{
		{"ws", nil, nil, 48 << 10},
		{"wss", pki.serverOpts(), []core.Option{core.WithTransportOption(ws.TrustPEM(pki.caPEM))}, 120 << 10},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			zctx := newCtx(t)
			heap0 := heapInUse()
			r := sock(t, zctx, core.ROUTER, tc.srv...)
			if err := r.Bind(tc.scheme + "://127.0.0.1:*/idle"); err != nil {
				t.Fatal(err)
			}
			c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			dealers := make([]*core.Socket, n)
			for i := range dealers {
				dealers[i] = sock(t, zctx, core.DEALER, append([]core.Option{core.WithRoutingID([]byte(fmt.Sprint(i)))}, tc.cli...)...)
				if err := dealers[i].Connect(r.LastEndpoint()); err != nil {
					t.Fatal(err)
				}
				if err := dealers[i].Send(c, core.NewMsgString("hello")); err != nil {
					t.Fatal(err)
				}
			}
			for range n {
				m, err := r.Recv(c)
				if err != nil {
					t.Fatal(err)
				}
				if err := r.SendMsg(c, &m); err != nil {
					t.Fatal(err)
				}
			}
			for i, d := range dealers {
				if _, err := d.Recv(c); err != nil {
					t.Fatalf("dealer %d: %v", i, err)
				}
			}
			time.Sleep(300 * time.Millisecond) // the writers finish and end
			heap := heapInUse() - heap0
			t.Logf("%s: %d idle connections, %d octets of heap each", tc.scheme, 2*n, heap/(2*n))
			if heap > 2*n*tc.maxPerConn {
				t.Errorf("%s: %d octets of heap per idle connection, want at most %d", tc.scheme, heap/(2*n), tc.maxPerConn)
			}
			runtime.KeepAlive(dealers)
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
