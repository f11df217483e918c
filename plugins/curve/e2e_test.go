package curve_test

import (
	"context"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/inproc"
	_ "github.com/zmqkit/zmqkit/plugins/ipc"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

const wait = 5 * time.Second

func mustKP(t testing.TB) curve.KeyPair {
	kp, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

func newCtx(t testing.TB) *core.Context {
	ctx := core.NewContext()
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		ctx.TermContext(c)
	})
	return ctx
}

func sock(t testing.TB, ctx *core.Context, st core.SocketType, opts ...core.Option) *core.Socket {
	s, err := ctx.NewSocket(st, append([]core.Option{core.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func watch(t testing.TB, s *core.Socket) <-chan core.MonitorEvent {
	ch, err := s.WatchEvents(context.Background(), core.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	return ch
}

// expectEvent waits for an event of kind ev (skipping others) and returns it.
func expectEvent(t testing.TB, ch <-chan core.MonitorEvent, ev core.Event) core.MonitorEvent {
	t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case e, ok := <-ch:
			if !ok {
				t.Fatalf("monitor closed waiting for %v", ev)
			}
			if e.Event == ev {
				return e
			}
		case <-deadline:
			t.Fatalf("no %v event", ev)
		}
	}
}

func roundTrip(t testing.TB, push, pull *core.Socket, payload []byte) core.Msg {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := push.Send(c, core.NewMsg([]byte("head"), payload)); err != nil {
		t.Fatal(err)
	}
	m, err := pull.Recv(c)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Frames) != 2 || string(m.Frames[0]) != "head" || string(m.Frames[1]) != string(payload) {
		t.Fatalf("got %d frames", len(m.Frames))
	}
	return m
}

func TestCurveStonehouse(t *testing.T) {
	for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://*"} {
		t.Run(ep[:3], func(t *testing.T) {
			ctx := newCtx(t)
			srv, cli := mustKP(t), mustKP(t)
			pull := sock(t, ctx, core.PULL, core.WithMechanism(curve.ServerKeys(srv)))
			if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			push := sock(t, ctx, core.PUSH, core.WithMechanism(curve.Client([]byte(srv.PublicZ85()), []byte(cli.PublicZ85()), cli.Secret[:])))
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 31, 32, 33, 100, 70000} {
				roundTrip(t, push, pull, make([]byte, n))
			}
		})
	}
}

func TestCurveWithAuthenticator(t *testing.T) {
	ctx := newCtx(t)
	a, err := auth.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	srv, cli, bad := mustKP(t), mustKP(t), mustKP(t)
	if err := a.AllowCurveKeys(auth.AnyDomain, cli.PublicZ85()); err != nil {
		t.Fatal(err)
	}
	pull := sock(t, ctx, core.PULL, core.WithMechanism(curve.ServerKeys(srv)), core.WithRoutingID([]byte("srv")))
	smon := watch(t, pull)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push := sock(t, ctx, core.PUSH, core.WithMechanism(curve.ClientKeys(srv.Public, cli)))
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	m := roundTrip(t, push, pull, []byte("x"))
	if uid, _ := m.Property("User-Id"); uid != cli.PublicZ85() {
		t.Fatalf("User-Id %q", uid)
	}
	expectEvent(t, smon, core.EventHandshakeSucceeded)

	// unknown key: server reports AUTH 400, client receives ERROR 400
	push2 := sock(t, ctx, core.PUSH, core.WithMechanism(curve.ClientKeys(srv.Public, bad)))
	cmon := watch(t, push2)
	if err := push2.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	if e := expectEvent(t, smon, core.EventHandshakeFailedAuth); e.Value != 400 {
		t.Fatalf("server auth event %d", e.Value)
	}
	if e := expectEvent(t, cmon, core.EventHandshakeFailedAuth); e.Value != 400 {
		t.Fatalf("client auth event %d", e.Value)
	}

	// wrong server key: server CRYPTOGRAPHIC
	push3 := sock(t, ctx, core.PUSH, core.WithMechanism(curve.ClientKeys(bad.Public, cli)))
	if err := push3.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	if e := expectEvent(t, smon, core.EventHandshakeFailedProtocol); e.Value != uint64(mechanism.ErrZMTPCryptographic) {
		t.Fatalf("server protocol event %#x", e.Value)
	}
}
