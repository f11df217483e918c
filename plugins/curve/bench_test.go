package curve_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// CURVE throughput: one PUSH (client) sends b.N messages over loopback tcp
// to one PULL (server) drained by another goroutine; an op is one message.
//
//	go test ./plugins/curve -run '^$' -bench PushPull -benchmem
//
// BenchmarkPushPull/NULL/... is the same without security, for reference;
// BenchmarkBox measures one MESSAGE encode plus decode alone.

var benchSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"1KiB", 1 << 10}, {"64KiB", 64 << 10}}

func BenchmarkPushPull(b *testing.B) {
	for _, mech := range []string{"CURVE", "NULL"} {
		for _, sz := range benchSizes {
			b.Run(mech+"/"+sz.name, func(b *testing.B) { benchPushPull(b, mech, sz.size) })
		}
	}
}

func benchPushPull(b *testing.B, mech string, size int) {
	ctx := newCtx(b)
	var srvOpt, cliOpt []core.Option
	if mech == "CURVE" {
		srv, cli := mustKP(b), mustKP(b)
		srvOpt = []core.Option{core.WithMechanism(curve.ServerKeys(srv))}
		cliOpt = []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, cli))}
	}
	pull := sock(b, ctx, core.PULL, srvOpt...)
	push := sock(b, ctx, core.PUSH, cliOpt...)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		b.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	msg := core.NewMsg(make([]byte, size))
	var in core.Msg
	for i := 0; i < 10; i++ {
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
		for i := 0; i < n; i++ {
			if err := pull.RecvMsg(c, &m); err != nil {
				done <- err
				return
			}
			if len(m.Frames) != 1 || len(m.Frames[0]) != size {
				done <- fmt.Errorf("bad message")
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < n; i++ {
		if err := push.Send(c, msg); err != nil {
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkBox(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(sz.name, func(b *testing.B) {
			p := newPair(b)
			p.run(b)
			body := make([]byte, sz.size)
			var enc, dec []byte
			b.SetBytes(int64(sz.size))
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				enc, _, _ = p.cli.Encode(enc[:0], body, 0)
				var err error
				if dec, _, err = p.srv.Decode(dec[:0], enc, 0); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

var _ = mechanism.Ready
