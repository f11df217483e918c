package external_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/inproc"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
)

const wait = 10 * time.Second

func tctx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	t.Cleanup(cancel)
	return ctx
}

func newCtx(t testing.TB, reg *registry.Registry) *core.Context {
	zctx := core.NewContext(core.WithRegistry(reg))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		zctx.TermContext(ctx)
	})
	return zctx
}

func sock(t testing.TB, zctx *core.Context, typ core.SocketType, opts ...core.Option) *core.Socket {
	t.Helper()
	s, err := zctx.NewSocket(typ, append([]core.Option{core.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// pushPull sends n messages of size bytes (several frames for some) and
// checks they arrive.
func pushPull(t *testing.T, push, pull *core.Socket, n, size int) {
	t.Helper()
	ctx := tctx(t)
	errc := make(chan error, 1)
	go func() {
		for i := 0; i < n; i++ {
			body := bytes.Repeat([]byte{byte(i)}, size)
			m := core.NewMsg(body)
			if i%7 == 3 {
				m = core.NewMsg(body, []byte("more"))
			}
			if err := push.Send(ctx, m); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < n; i++ {
		m, err := pull.Recv(ctx)
		if err != nil {
			t.Fatalf("recv %d: %v", i, err)
		}
		want := 1
		if i%7 == 3 {
			want = 2
		}
		if len(m.Frames) != want || len(m.Frames[0]) != size || size > 0 && m.Frames[0][0] != byte(i) {
			t.Fatalf("message %d: %d frames of %d bytes", i, len(m.Frames), len(m.Frames[0]))
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// Sockets bind and connect over a tcp transport loaded out of process,
// small and large messages, both ways.
func TestSocketsOverPluginTCP(t *testing.T) {
	for _, tc := range []struct {
		name string
		kind sharedKind
	}{{"fd", sharedFD}, {"keepconns", sharedKeepConns}, {"dialback", sharedDialBack}} {
		t.Run(tc.name, func(t *testing.T) { socketsOverPluginTCP(t, tc.kind) })
	}
}

func socketsOverPluginTCP(t *testing.T, k sharedKind) {
	reg, p := shared(t, k)
	if got := strings.Join(p.Transports(), ","); !strings.Contains(","+got+",", ",tcp,") {
		t.Fatalf("Transports() = %q", got)
	}
	zctx := newCtx(t, reg)
	pull := sock(t, zctx, core.PULL)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := sock(t, zctx, core.PUSH)
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	pushPull(t, push, pull, 2000, 64)
	pushPull(t, push, pull, 50, 100<<10)

	// REQ/REP, the other way round: bind on the connecting side's plugin
	rep := sock(t, zctx, core.REP)
	if err := rep.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	req := sock(t, zctx, core.REQ)
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	ctx := tctx(t)
	for i := 0; i < 20; i++ {
		if err := req.SendString(ctx, fmt.Sprint(i)); err != nil {
			t.Fatal(err)
		}
		m, err := rep.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := rep.Send(ctx, m); err != nil {
			t.Fatal(err)
		}
		if m, err = req.Recv(ctx); err != nil || string(m.Frames[0]) != fmt.Sprint(i) {
			t.Fatalf("reply %q %v", m.Frames, err)
		}
	}
	if p.Pid() == 0 {
		t.Fatal("no plugin process while sockets use it")
	}
}

// A plugin-served socket talks to a compiled-in one (the wire is the
// same), and a plugin loaded alongside refuses to clash.
func TestMixedModes(t *testing.T) {
	reg := registry.Default.Clone()
	_, err := external.Load(reg, osArgs0(), external.Options{Env: []string{helperEnv + "=tcp"}})
	if err == nil || !strings.Contains(err.Error(), "already registered") {
		t.Fatalf("loading tcp alongside the compiled-in tcp: %v", err)
	}
	pluginReg, _ := shared(t, sharedFD)
	inCtx := newCtx(t, registry.Default)
	outCtx := newCtx(t, pluginReg)
	pull := sock(t, inCtx, core.PULL)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := sock(t, outCtx, core.PUSH)
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	pushPull(t, push, pull, 100, 1000)
}

// monitored runs a bind/connect/send/close sequence and returns the
// events both sockets reported, without descriptors.
func monitored(t *testing.T, reg *registry.Registry) (bindEv, connEv []string) {
	zctx := newCtx(t, reg)
	var mu sync.Mutex
	record := func(s *core.Socket, into *[]string) {
		_, err := s.AddMonitorHooks(core.EventAll, core.MonitorHooks{OnEvent: func(e core.MonitorEvent) {
			mu.Lock()
			*into = append(*into, e.Event.String())
			mu.Unlock()
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	pull, _ := zctx.NewSocket(core.PULL, core.WithLinger(0))
	push, _ := zctx.NewSocket(core.PUSH, core.WithLinger(0))
	record(pull, &bindEv)
	record(push, &connEv)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	ep := pull.LastEndpoint()
	if err := push.Connect(ep); err != nil {
		t.Fatal(err)
	}
	pushPull(t, push, pull, 10, 10)
	push.Close()
	deadline := time.Now().Add(wait)
	for { // the binding side sees the disconnection
		mu.Lock()
		seen := strings.Contains(strings.Join(bindEv, " "), core.EventDisconnected.String())
		mu.Unlock()
		if seen {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the binding side saw no DISCONNECTED")
		}
		time.Sleep(5 * time.Millisecond)
	}
	pull.Close()
	mu.Lock()
	defer mu.Unlock()
	return append([]string(nil), bindEv...), append([]string(nil), connEv...)
}

// Monitor events are the same, in the same order, in both modes.
func TestMonitorParity(t *testing.T) {
	inB, inC := monitored(t, registry.Default)
	reg, _ := shared(t, sharedFD)
	outB, outC := monitored(t, reg)
	if strings.Join(inB, " ") != strings.Join(outB, " ") || strings.Join(inC, " ") != strings.Join(outC, " ") {
		t.Fatalf("events differ:\n in process:     bind %v\n                 connect %v\n out of process: bind %v\n                 connect %v",
			inB, inC, outB, outC)
	}
	if len(inB) < 4 || len(inC) < 3 {
		t.Fatalf("too few events: %v %v", inB, inC)
	}
}

// curveOpts returns server and client options with fresh keys.
func curveOpts(t *testing.T) (srv, cli core.Option) {
	skp, _ := curve.NewKeyPair()
	ckp, _ := curve.NewKeyPair()
	return core.WithMechanism(curve.ServerKeys(skp)), core.WithMechanism(curve.ClientKeys(skp.Public, ckp))
}

// The mechanisms run out of process: PLAIN with ZAP (called back in the
// host), CURVE with the data phase in the plugin and, handed off, in the
// host; traffic is checked against a compiled-in peer too.
func TestMechanisms(t *testing.T) {
	for _, tc := range []struct {
		name, which string
		shared      sharedKind
		handOff     bool
	}{
		{"plain", "plain", sharedFD, false},
		{"curve", "curve", sharedFD, false},
		{"curve-handoff", "curve", 0, true},
		{"curve-dialback", "curve", sharedDialBack, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reg *registry.Registry
			if tc.handOff {
				// CURVE alone, the tcp of this process: the data phase is
				// handed off
				reg = registry.Default.Clone()
				load2(t, reg, "curve", external.Options{Replace: true, HandOff: true})
			} else {
				reg, _ = shared(t, tc.shared)
			}
			zctx := newCtx(t, reg)
			var srvOpt, cliOpt core.Option
			if tc.which == "plain" {
				a, err := auth.New(zctx)
				if err != nil {
					t.Fatal(err)
				}
				defer a.Close()
				a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
				srvOpt, cliOpt = core.WithMechanism(plain.Server()), core.WithMechanism(plain.Client("admin", "secret"))
			} else {
				srvOpt, cliOpt = curveOpts(t)
			}
			pull := sock(t, zctx, core.PULL, srvOpt)
			if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
				t.Fatal(err)
			}
			push := sock(t, zctx, core.PUSH, cliOpt)
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			pushPull(t, push, pull, 3000, 64)
			pushPull(t, push, pull, 20, 64<<10)
			m, err := func() (core.Msg, error) {
				if err := push.SendString(tctx(t), "who"); err != nil {
					return core.Msg{}, err
				}
				return pull.Recv(tctx(t))
			}()
			if err != nil {
				t.Fatal(err)
			}
			if uid, _ := m.Property("User-Id"); tc.which == "plain" && uid != "admin" {
				t.Errorf("User-Id %q, want admin (from the host's ZAP handler)", uid)
			}
			// against a compiled-in peer
			inCtx := newCtx(t, registry.Default)
			push2 := sock(t, inCtx, core.PUSH, cliOpt)
			if err := push2.Connect(pull.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			pushPull(t, push2, pull, 200, 1000)
		})
	}
}

// A wrong PLAIN password is refused by the host's ZAP handler through the
// plugin: HANDSHAKE_FAILED_AUTH with status 400.
func TestMechanismAuthFailure(t *testing.T) {
	reg, _ := shared(t, sharedFD)
	zctx := newCtx(t, reg)
	a, _ := auth.New(zctx)
	defer a.Close()
	a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
	pull := sock(t, zctx, core.PULL, core.WithMechanism(plain.Server()))
	events, _ := pull.WatchEvents(context.Background(), core.EventHandshakeFailedAuth)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := sock(t, zctx, core.PUSH, core.WithMechanism(plain.Client("admin", "wrong")))
	push.Connect(pull.LastEndpoint())
	select {
	case e := <-events:
		if e.Value != 400 {
			t.Errorf("HANDSHAKE_FAILED_AUTH value %d, want 400", e.Value)
		}
	case <-time.After(wait):
		t.Fatal("no HANDSHAKE_FAILED_AUTH")
	}
}

var _ = tcp.New
