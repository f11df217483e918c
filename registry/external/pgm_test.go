//go:build linux

package external_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/pgm" // the compiled-in side
	"github.com/zmqkit/zmqkit/plugins/pgm/pgmtest"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
)

// pgm and epgm out of process (cmd/zmqkit-plugin-pgm) against the
// compiled-in transport, in both directions, in the two network
// namespaces of a pgmtest rig (multicast loopback is off, so publisher
// and subscriber need two "hosts"): the plugin process is started from a
// thread in its namespace, so its sockets live there. Socket options
// (RATE, MULTICAST_MAXTPDU) cross; multipart messages larger than a
// packet arrive whole and in order.
func TestPGMOutOfProcess(t *testing.T) {
	rig := pgmtest.NewRig(t)
	bin := pluginBinary(t, "pgm")
	// loadIn loads the plugin in a process inside namespace i
	loadIn := func(i int) *registry.Registry {
		reg := registry.Default.Clone()
		var p *external.Plugin
		err := rig.Do(i, func() error {
			var err error
			// never idle-stopped: a restart would start from another thread
			p, err = external.Load(reg, bin, external.Options{Replace: true, IdleTimeout: -1})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		return reg
	}
	regs := [2]*registry.Registry{loadIn(0), loadIn(1)}
	big := bytes.Repeat([]byte("0123456789"), 500) // 5000 octets: 8 packets of 700
	for _, scheme := range []string{"epgm", "pgm"} {
		for port, dir := range []string{"pub-out-sub-in", "pub-in-sub-out"} {
			t.Run(scheme+"/"+dir, func(t *testing.T) {
				port += 5600
				if scheme == "pgm" {
					port += 10
				}
				// side 0 publishes, side 1 subscribes; out is the side whose
				// context uses the plugin
				out := 0
				if dir == "pub-in-sub-out" {
					out = 1
				}
				var zctx [2]*core.Context
				for i := range zctx {
					reg := registry.Default
					if i == out {
						reg = regs[i]
					}
					zctx[i] = core.NewContext(core.WithRegistry(reg))
					t.Cleanup(func() { zctx[i].Term() })
				}
				rate := core.WithRate(100000)
				open := func(i int, typ core.SocketType, opts ...core.Option) *core.Socket {
					s, err := zctx[i].NewSocket(typ, append([]core.Option{core.WithLinger(0), rate}, opts...)...)
					if err != nil {
						t.Fatal(err)
					}
					t.Cleanup(func() { s.Close() })
					ep := rig.Endpoint(i, scheme, port)
					bind := func() error { return s.Bind(ep) }
					if i == out {
						// in the plugin's process, in its namespace: this
						// thread's (the host's) has no such address
						err = bind()
					} else {
						err = rig.Do(i, bind)
					}
					if err != nil {
						t.Fatalf("bind %v %s: %v", typ, ep, err)
					}
					return s
				}
				sub := open(1, core.SUB, core.WithSubscribe("a"))
				pub := open(0, core.PUB, core.WithMulticastMaxTPDU(700))
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				defer cancel()
				for i := range 30 {
					if err := pub.Send(ctx, core.NewMsg([]byte(fmt.Sprintf("a%d", i)), big)); err != nil {
						t.Fatal(err)
					}
					if err := pub.Send(ctx, core.NewMsg([]byte(fmt.Sprintf("b%d", i)))); err != nil {
						t.Fatal(err)
					}
				}
				for i := range 30 {
					m, err := sub.Recv(ctx)
					if err != nil {
						t.Fatalf("message %d: %v", i, err)
					}
					if len(m.Frames) != 2 || string(m.Frames[0]) != fmt.Sprintf("a%d", i) || !bytes.Equal(m.Frames[1], big) {
						t.Fatalf("message %d: %d frames %q", i, len(m.Frames), m.Frames[0])
					}
				}
			})
		}
	}

	// A subscriber in the plugin cut off for longer than the publisher's
	// recovery interval: EventDataLost reaches the host's monitor with its
	// packet count and source, and the stream resumes.
	t.Run("data-lost", func(t *testing.T) {
		pubCtx := core.NewContext()
		subCtx := core.NewContext(core.WithRegistry(regs[1]))
		t.Cleanup(func() { subCtx.Term(); pubCtx.Term() })
		ep := func(i int) string { return rig.Endpoint(i, "epgm", 5650) }
		sub, err := subCtx.NewSocket(core.SUB, core.WithLinger(0), core.WithSubscribe(""), core.WithRate(10000))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		ev, err := sub.WatchEvents(context.Background(), core.EventDataLost)
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Bind(ep(1)); err != nil {
			t.Fatal(err)
		}
		// a window of 1000 kbit/s * 100 ms / 1500 = 8 packets
		pub, err := pubCtx.NewSocket(core.PUB, core.WithLinger(0), core.WithRate(1000),
			core.WithRecoveryInterval(100*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pub.Close() })
		if err := rig.Do(0, func() error { return pub.Bind(ep(0)) }); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		send := func(i int) {
			b := make([]byte, 500)
			binary.BigEndian.PutUint32(b, uint32(i))
			if err := pub.Send(ctx, core.NewMsg(b)); err != nil {
				t.Fatal(err)
			}
		}
		recv := func() int {
			m, err := sub.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return int(binary.BigEndian.Uint32(m.Frames[0]))
		}
		send(0)
		if recv() != 0 {
			t.Fatal("first message")
		}
		if err := rig.Loss(1, 100); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { rig.Loss(1, 0) })
		for i := 1; i <= 60; i++ {
			send(i)
		}
		time.Sleep(time.Second) // the window moves on past what was dropped
		if err := rig.Loss(1, 0); err != nil {
			t.Fatal(err)
		}
		for i := 61; i <= 80; i++ {
			send(i)
		}
		select {
		case e := <-ev:
			if e.Event != core.EventDataLost || e.Value == 0 || !strings.HasPrefix(e.Remote, "pgm-tsi://") {
				t.Fatalf("event %+v", e)
			}
		case <-ctx.Done():
			t.Fatal("no DATA_LOST event")
		}
		for last := 0; last < 80; {
			i := recv()
			if i <= last {
				t.Fatalf("message %d after %d", i, last)
			}
			last = i
		}
	})
}
