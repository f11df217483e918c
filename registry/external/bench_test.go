package external_test

import (
	"context"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
)

// Benchmarks of out-of-process plugins against the compiled-in ones, in
// one process, the modes interleaved (each size runs every mode before the
// next size; -count repeats the whole sequence):
//
//	go test ./registry/external -run '^$' -bench . -count 5
//
// Modes: "in" is the compiled-in plugin; "out" the plugin binary
// (cmd/zmqkit-plugin-tcp, -curve) loaded with external.Load: tcp
// connections come over as descriptors; "keep" (tcp) the same with
// Options.KeepConns: the plugin keeps every connection and the data goes
// through a local channel; for CURVE, "plugin" encodes and decodes in the
// plugin and "handoff" runs the data phase here after the handshake.
//
// BenchmarkPushPull: an op is one message from PUSH to PULL (msgs/s is
// the end-to-end rate). BenchmarkReqRep: an op is one round trip.
// BenchmarkConnect: an op is one connection, from Connect to
// HANDSHAKE_SUCCEEDED on the connecting socket (µs/conn), with the socket
// made and closed around it. BenchmarkCurve: PUSH/PULL with CURVE, tcp
// compiled in.

const benchTimeout = 2 * time.Minute

var benchSizes = []struct {
	name string
	size int
}{{"64B", 64}, {"64KiB", 64 << 10}}

type benchMode struct {
	name string
	reg  *registry.Registry
}

// tcpModes loads the tcp plugin binary (twice: descriptors, KeepConns)
// and returns the modes to compare.
func tcpModes(b *testing.B, keep bool) []benchMode {
	bin := pluginBinary(b, "tcp")
	modes := []benchMode{{"in", registry.Default}}
	opts := []external.Options{{Replace: true, IdleTimeout: -1}}
	names := []string{"out"}
	if keep {
		opts = append(opts, external.Options{Replace: true, IdleTimeout: -1, KeepConns: true})
		names = append(names, "keep")
	}
	for i, o := range opts {
		reg := registry.Default.Clone()
		p, err := external.Load(reg, bin, o)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		modes = append(modes, benchMode{names[i], reg})
	}
	return modes
}

// curveModes loads the curve plugin binary in both data-phase modes.
func curveModes(b *testing.B) []benchMode {
	bin := pluginBinary(b, "curve")
	modes := []benchMode{{"in", registry.Default}}
	for _, m := range []struct {
		name    string
		handOff bool
	}{{"plugin", false}, {"handoff", true}} {
		reg := registry.Default.Clone()
		p, err := external.Load(reg, bin, external.Options{Replace: true, IdleTimeout: -1, HandOff: m.handOff})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { p.Close() })
		modes = append(modes, benchMode{m.name, reg})
	}
	return modes
}

// benchPair returns a bound socket of type bt and one of type ct
// connected to it, over tcp, in a context using reg.
func benchPair(b *testing.B, reg *registry.Registry, bt, ct core.SocketType, bopts, copts []core.Option) (bound, conn *core.Socket) {
	b.Helper()
	zctx := core.NewContext(core.WithRegistry(reg))
	bound, err := zctx.NewSocket(bt, append([]core.Option{core.WithLinger(0)}, bopts...)...)
	if err != nil {
		b.Fatal(err)
	}
	conn, err = zctx.NewSocket(ct, append([]core.Option{core.WithLinger(0)}, copts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		conn.Close()
		bound.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := zctx.TermContext(ctx); err != nil {
			b.Error(err)
		}
	})
	if err := bound.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	if err := conn.Connect(bound.LastEndpoint()); err != nil {
		b.Fatal(err)
	}
	return bound, conn
}

func benchPushPull(b *testing.B, pull, push *core.Socket, size int) {
	c, cancel := context.WithTimeout(context.Background(), benchTimeout)
	defer cancel()
	msg := core.NewMsg(make([]byte, size))
	var in core.Msg
	for i := 0; i < 10; i++ { // warm up
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
		}
		done <- nil
	}()
	for i := 0; i < n; i++ {
		if err := push.Send(c, msg); err != nil {
			cancel()
			<-done
			b.Fatal(err)
		}
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkPushPull(b *testing.B) {
	modes := tcpModes(b, true)
	for _, sz := range benchSizes {
		for _, m := range modes {
			b.Run(sz.name+"/"+m.name, func(b *testing.B) {
				pull, push := benchPair(b, m.reg, core.PULL, core.PUSH, nil, nil)
				benchPushPull(b, pull, push, sz.size)
			})
		}
	}
}

func BenchmarkReqRep(b *testing.B) {
	modes := tcpModes(b, true)
	for _, m := range modes {
		b.Run("64B/"+m.name, func(b *testing.B) {
			rep, req := benchPair(b, m.reg, core.REP, core.REQ, nil, nil)
			c, cancel := context.WithTimeout(context.Background(), benchTimeout)
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
			msg := core.NewMsg(make([]byte, 64))
			var in core.Msg
			rt := func() {
				if err := req.Send(c, msg); err != nil {
					b.Fatal(err)
				}
				if err := req.RecvMsg(c, &in); err != nil {
					b.Fatal(err)
				}
			}
			for i := 0; i < 10; i++ {
				rt()
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rt()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/rt")
		})
	}
}

func BenchmarkConnect(b *testing.B) {
	modes := tcpModes(b, false)
	for _, m := range modes {
		b.Run(m.name, func(b *testing.B) {
			zctx := core.NewContext(core.WithRegistry(m.reg))
			defer zctx.Term()
			rt, err := zctx.NewSocket(core.ROUTER, core.WithLinger(0))
			if err != nil {
				b.Fatal(err)
			}
			defer rt.Close()
			if err := rt.Bind("tcp://127.0.0.1:*"); err != nil {
				b.Fatal(err)
			}
			ep := rt.LastEndpoint()
			one := func() {
				d, err := zctx.NewSocket(core.DEALER, core.WithLinger(0))
				if err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(context.Background(), benchTimeout)
				up, _ := d.WatchEvents(ctx, core.EventHandshakeSucceeded)
				if err := d.Connect(ep); err != nil {
					b.Fatal(err)
				}
				select {
				case <-up:
				case <-ctx.Done():
					b.Fatal("no HANDSHAKE_SUCCEEDED")
				}
				cancel()
				d.Close()
			}
			for i := 0; i < 5; i++ {
				one()
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				one()
			}
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/conn")
		})
	}
}

func BenchmarkCurve(b *testing.B) {
	modes := curveModes(b)
	skp, _ := curve.NewKeyPair()
	ckp, _ := curve.NewKeyPair()
	for _, sz := range benchSizes {
		for _, m := range modes {
			b.Run(sz.name+"/"+m.name, func(b *testing.B) {
				pull, push := benchPair(b, m.reg, core.PULL, core.PUSH,
					[]core.Option{core.WithMechanism(curve.ServerKeys(skp))},
					[]core.Option{core.WithMechanism(curve.ClientKeys(skp.Public, ckp))})
				benchPushPull(b, pull, push, sz.size)
			})
		}
	}
}
