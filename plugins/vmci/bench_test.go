package vmci_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/ipc"
)

// Benchmarks of the vsock transport on its fake socket layer against ipc,
// side by side in one run. Both carry the stream over Unix sockets, so the
// difference is what the plugin adds per message (its connection wrapper,
// writev through the RawConn, readv):
//
//	go test ./plugins/vmci -run '^$' -bench . -benchmem -count 5
//
// BenchmarkPushPull/<transport>/<size>: an op is one message from a PUSH
// to a PULL drained by another goroutine. BenchmarkReqRep: an op is one
// round trip. allocs/op should be 0 for both transports.

var benchSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

// benchPair returns a bound socket of type bt and one of type ct connected
// to it, over ipc or over vsock on the fake layer.
func benchPair(b *testing.B, tr string, bt, ct core.SocketType) (bound, conn *core.Socket) {
	b.Helper()
	var zctx *core.Context
	ep := ""
	switch tr {
	case "ipc":
		zctx = core.NewContext()
		ep = "ipc://" + b.TempDir() + "/s"
	case "vsock":
		n := network(b)
		zctx = core.NewContext(core.WithRegistry(n.Machine(3).Registry()))
		ep = "vsock://3:*"
	}
	b.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		zctx.TermContext(c)
	})
	var err error
	if bound, err = zctx.NewSocket(bt, core.WithLinger(0)); err != nil {
		b.Fatal(err)
	}
	if conn, err = zctx.NewSocket(ct, core.WithLinger(0)); err != nil {
		b.Fatal(err)
	}
	if err := bound.Bind(ep); err != nil {
		b.Fatal(err)
	}
	if err := conn.Connect(bound.LastEndpoint()); err != nil {
		b.Fatal(err)
	}
	return bound, conn
}

func BenchmarkPushPull(b *testing.B) {
	for _, sz := range benchSizes {
		for _, tr := range []string{"ipc", "vsock"} { // interleaved: same conditions
			b.Run(tr+"/"+sz.name, func(b *testing.B) { benchPushPull(b, tr, sz.size) })
		}
	}
}

func benchPushPull(b *testing.B, tr string, size int) {
	pull, push := benchPair(b, tr, core.PULL, core.PUSH)
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msg := core.NewMsg(make([]byte, size))
	var in core.Msg
	for range 10 { // warm up
		if err := push.Send(c, msg); err != nil {
			b.Fatal(err)
		}
		if err := pull.RecvMsg(c, &in); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	n := b.N
	done := make(chan error, 1)
	go func() {
		var m core.Msg
		for i := range n {
			if err := pull.RecvMsg(c, &m); err != nil {
				done <- fmt.Errorf("recv %d of %d: %w", i, n, err)
				return
			}
		}
		done <- nil
	}()
	for i := range n {
		if err := push.Send(c, msg); err != nil {
			cancel()
			<-done
			b.Fatalf("send %d: %v", i, err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkReqRep(b *testing.B) {
	for _, tr := range []string{"ipc", "vsock"} {
		b.Run(tr+"/64B", func(b *testing.B) {
			rep, req := benchPair(b, tr, core.REP, core.REQ)
			c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			go func() {
				var m core.Msg
				for rep.RecvMsg(c, &m) == nil && rep.SendMsg(c, &m) == nil {
				}
			}()
			msg := core.NewMsg(make([]byte, 64))
			var in core.Msg
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if err := req.Send(c, msg); err != nil {
					b.Fatal(err)
				}
				if err := req.RecvMsg(c, &in); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			cancel()
		})
	}
}
