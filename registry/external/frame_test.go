package external_test

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
)

// frameEnv is one frame test's registry: the memFrames variants in
// process, or served by a plugin.
type frameEnv struct {
	t    *testing.T
	name string
	reg  *registry.Registry
	ctx  *core.Context
}

var frameSeq atomic.Int64

func (e *frameEnv) ep(scheme string) string {
	return fmt.Sprintf("%s://%s-%d", scheme, e.name, frameSeq.Add(1))
}

func (e *frameEnv) sock(typ core.SocketType, opts ...core.Option) *core.Socket {
	return sock(e.t, e.ctx, typ, opts...)
}

// forBothModes runs f with the frame transports in process, then out of
// process; f's result (what it observed) must be the same.
func forBothModes(t *testing.T, reg *registry.Registry, f func(e *frameEnv) string) {
	t.Helper()
	in := registry.Default.Clone()
	for _, tr := range memFrames() {
		in.ReplaceTransport(tr)
	}
	var got [2]string
	for i, m := range []struct {
		name string
		reg  *registry.Registry
	}{{"in", in}, {"out", reg}} {
		ok := t.Run(m.name, func(t *testing.T) {
			e := &frameEnv{t: t, name: m.name, reg: m.reg, ctx: newCtx(t, m.reg)}
			got[i] = f(e)
		})
		if !ok {
			return
		}
	}
	if got[0] != got[1] {
		t.Errorf("in and out of process differ:\n in:  %s\n out: %s", got[0], got[1])
	}
}

// eventsUntil reads events until the kinds in want have been seen in
// order (others in between are skipped) and returns them as text.
func eventsUntil(t *testing.T, ch <-chan core.MonitorEvent, want ...core.Event) []core.MonitorEvent {
	t.Helper()
	var got []core.MonitorEvent
	deadline := time.After(wait)
	for len(want) > 0 {
		select {
		case ev := <-ch:
			if ev.Event == want[0] {
				got = append(got, ev)
				want = want[1:]
			}
		case <-deadline:
			t.Fatalf("timed out waiting for %v; got %v", want, evText(got))
		}
	}
	return got
}

func evText(evs []core.MonitorEvent) string {
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%v(%d,%v) ", e.Event, e.Value, e.Errno)
	}
	return b.String()
}

// noEventWithin fails if an event of kind k comes within d.
func noEventWithin(t *testing.T, ch <-chan core.MonitorEvent, d time.Duration, k core.Event) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev := <-ch:
			if ev.Event == k {
				t.Fatalf("unexpected %v (%d)", k, ev.Value)
			}
		case <-deadline:
			return
		}
	}
}

func recvText(t *testing.T, s *core.Socket) string {
	t.Helper()
	m, err := s.Recv(tctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	for _, f := range m.Frames {
		parts = append(parts, string(f))
	}
	return strings.Join(parts, "|")
}

func send(t *testing.T, s *core.Socket, frames ...string) {
	t.Helper()
	var bs [][]byte
	for _, f := range frames {
		bs = append(bs, []byte(f))
	}
	if err := s.Send(tctx(t), core.NewMsg(bs...)); err != nil {
		t.Fatal(err)
	}
}

// Sockets over frame transports behave the same in process and out of
// process, in every mode: the mechanism handshake (NULL and CURVE), the
// routing-id exchange, no handshake at all, a transport handshake that
// succeeds, is refused, fails or outlasts HANDSHAKE_IVL, transport pings
// keeping a connection up and their absence dropping it.
func TestFrameModes(t *testing.T) {
	reg, _ := shared(t, sharedFD)
	// a timeout well above a loaded machine's scheduling stalls
	hb := core.WithHeartbeat(20*time.Millisecond, 0, 300*time.Millisecond)

	t.Run("mechanism", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			srvOpt, cliOpt := curveOpts(e.t)
			pull := e.sock(core.PULL, srvOpt)
			ev, _ := pull.WatchEvents(tctx(e.t), core.EventAll)
			ep := e.ep("mfmech")
			if err := pull.Bind(ep); err != nil {
				e.t.Fatal(err)
			}
			push := e.sock(core.PUSH, cliOpt)
			if err := push.Connect(ep); err != nil {
				e.t.Fatal(err)
			}
			pushPull(e.t, push, pull, 200, 100)
			return evText(eventsUntil(e.t, ev, core.EventListening, core.EventAccepted, core.EventHandshakeSucceeded))
		})
	})
	t.Run("routing-id", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			ep := e.ep("mfrid")
			rt := e.sock(core.ROUTER)
			if err := rt.Bind(ep); err != nil {
				e.t.Fatal(err)
			}
			d := e.sock(core.DEALER, core.WithRoutingID([]byte("dd")))
			if err := d.Connect(ep); err != nil {
				e.t.Fatal(err)
			}
			send(e.t, d, "hello")
			got := recvText(e.t, rt)
			send(e.t, rt, "dd", "world")
			return got + " " + recvText(e.t, d)
		})
	})
	t.Run("transport handshake, mode from it", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			ep := e.ep("mfhsok")
			rt := e.sock(core.ROUTER)
			ev, _ := rt.WatchEvents(tctx(e.t), core.EventAll)
			if err := rt.Bind(ep); err != nil {
				e.t.Fatal(err)
			}
			d := e.sock(core.DEALER, core.WithRoutingID([]byte("id1")))
			if err := d.Connect(ep); err != nil {
				e.t.Fatal(err)
			}
			send(e.t, d, "x")
			return recvText(e.t, rt) + " " + evText(eventsUntil(e.t, ev, core.EventAccepted, core.EventHandshakeSucceeded))
		})
	})
	t.Run("no handshake", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			ep := e.ep("mfnone")
			pub := e.sock(core.PUB)
			if err := pub.Bind(ep); err != nil {
				e.t.Fatal(err)
			}
			sub := e.sock(core.SUB, core.WithSubscribe("a"))
			xsub := e.sock(core.XSUB)
			for _, s := range []*core.Socket{sub, xsub} {
				if err := s.Connect(ep); err != nil {
					e.t.Fatal(err)
				}
			}
			deadline := time.Now().Add(wait)
			for {
				st, _ := pub.PipeStats()
				if len(st) == 2 {
					break
				}
				if time.Now().After(deadline) {
					e.t.Fatal("PUB has no two peers")
				}
				time.Sleep(5 * time.Millisecond)
			}
			send(e.t, pub, "a1")
			send(e.t, pub, "b1")
			return recvText(e.t, sub) + " " + recvText(e.t, xsub) + " " + recvText(e.t, xsub)
		})
	})
	t.Run("refused", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			ep := e.ep("mfhsfail")
			srv := e.sock(core.PULL)
			sev, _ := srv.WatchEvents(tctx(e.t), core.EventAll)
			if err := srv.Bind(ep); err != nil {
				e.t.Fatal(err)
			}
			cli := e.sock(core.PUSH, core.WithReconnectInterval(10*time.Millisecond))
			cev, _ := cli.WatchEvents(tctx(e.t), core.EventAll)
			if err := cli.Connect(ep); err != nil {
				e.t.Fatal(err)
			}
			var out string
			for _, ch := range []<-chan core.MonitorEvent{sev, cev} {
				got := eventsUntil(e.t, ch, core.EventHandshakeFailedProtocol, core.EventDisconnected)
				if got[0].Value != uint64(core.ProtocolErrorWSUnspecified) {
					e.t.Errorf("HANDSHAKE_FAILED_PROTOCOL value %#x", got[0].Value)
				}
				out += evText(got)
			}
			noEventWithin(e.t, cev, 200*time.Millisecond, core.EventConnected) // no reconnect
			return out
		})
	})
	t.Run("I/O error", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			ep := e.ep("mfhsio")
			srv := e.sock(core.PULL)
			if err := srv.Bind(ep); err != nil {
				e.t.Fatal(err)
			}
			cli := e.sock(core.PUSH, core.WithReconnectInterval(10*time.Millisecond))
			cev, _ := cli.WatchEvents(tctx(e.t), core.EventAll)
			if err := cli.Connect(ep); err != nil {
				e.t.Fatal(err)
			}
			got := eventsUntil(e.t, cev, core.EventConnected, core.EventHandshakeFailedNoDetail,
				core.EventDisconnected, core.EventConnectRetried, core.EventConnected)
			if got[1].Value != uint64(syscall.ECONNRESET) {
				e.t.Errorf("HANDSHAKE_FAILED_NO_DETAIL value %d, want ECONNRESET", got[1].Value)
			}
			return evText(got[1:3])
		})
	})
	t.Run("HANDSHAKE_IVL", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			srv := e.sock(core.PULL, core.WithHandshakeInterval(50*time.Millisecond))
			sev, _ := srv.WatchEvents(tctx(e.t), core.EventAll)
			if err := srv.Bind(e.ep("mfhsslow")); err != nil {
				e.t.Fatal(err)
			}
			cli := e.sock(core.PUSH)
			if err := cli.Connect(srv.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			got := eventsUntil(e.t, sev, core.EventAccepted, core.EventHandshakeFailedNoDetail, core.EventDisconnected)
			if got[1].Value != uint64(syscall.ETIMEDOUT) {
				e.t.Errorf("HANDSHAKE_FAILED_NO_DETAIL value %d, want ETIMEDOUT", got[1].Value)
			}
			return evText(got[1:])
		})
	})
	t.Run("close during handshake", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			srv := e.sock(core.PULL, core.WithHandshakeInterval(0))
			sev, _ := srv.WatchEvents(tctx(e.t), core.EventAll)
			if err := srv.Bind(e.ep("mfhsslow")); err != nil {
				e.t.Fatal(err)
			}
			cli := e.sock(core.PUSH)
			if err := cli.Connect(srv.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			eventsUntil(e.t, sev, core.EventAccepted)
			done := make(chan struct{})
			go func() { srv.Close(); close(done) }()
			select {
			case <-done:
			case <-time.After(wait):
				e.t.Fatal("Close blocked on a handshake that never ends")
			}
			return "closed"
		})
	})
	t.Run("transport pings keep the connection", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			var out string
			for _, scheme := range []string{"mfmech", "mfrid", "mfzmtp"} {
				ep := e.ep(scheme)
				a := e.sock(core.PAIR, hb)
				ev, _ := a.WatchEvents(tctx(e.t), core.EventAll)
				if err := a.Bind(ep); err != nil {
					e.t.Fatal(err)
				}
				b := e.sock(core.PAIR, hb)
				if err := b.Connect(ep); err != nil {
					e.t.Fatal(err)
				}
				send(e.t, b, "x")
				out += recvText(e.t, a)
				// many heartbeat timeouts with no traffic: only the pings'
				// answers show the peer is there
				noEventWithin(e.t, ev, time.Second, core.EventDisconnected)
			}
			return out
		})
	})
	t.Run("unanswered pings drop the connection", func(t *testing.T) {
		forBothModes(t, reg, func(e *frameEnv) string {
			ep := e.ep("mfdeaf")
			a := e.sock(core.PAIR, hb)
			ev, _ := a.WatchEvents(tctx(e.t), core.EventAll)
			if err := a.Bind(ep); err != nil {
				e.t.Fatal(err)
			}
			b := e.sock(core.PAIR)
			if err := b.Connect(ep); err != nil {
				e.t.Fatal(err)
			}
			got := eventsUntil(e.t, ev, core.EventHandshakeSucceeded, core.EventDisconnected)
			if got[1].Errno != syscall.ETIMEDOUT {
				e.t.Errorf("DISCONNECTED errno %v, want ETIMEDOUT", got[1].Errno)
			}
			return evText(got)
		})
	})
}

var _ = context.Background
