package ws_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

const wait = 5 * time.Second

func newCtx(t testing.TB) *core.Context {
	zctx := core.NewContext()
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		zctx.TermContext(c)
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

func TestPushPull(t *testing.T) {
	zctx := newCtx(t)
	pull := sock(t, zctx, core.PULL)
	if err := pull.Bind("ws://127.0.0.1:*/zmq"); err != nil {
		t.Fatal(err)
	}
	t.Log(pull.LastEndpoint())
	push := sock(t, zctx, core.PUSH)
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for i := 0; i < 100; i++ {
		if err := push.Send(c, core.NewMsgString("hello", "world")); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100; i++ {
		m, err := pull.Recv(c)
		if err != nil {
			t.Fatal(err)
		}
		if string(m.Frames[0]) != "hello" || string(m.Frames[1]) != "world" {
			t.Fatalf("%q", m.Frames)
		}
	}
}

// Binds with different paths share a port; each gets its own traffic. A
// path nobody binds gets 404, and a libzmq 4.3 client that sends only the
// last segment of a longer path still finds its bind.
func TestSharedPort(t *testing.T) {
	zctx := newCtx(t)
	a := sock(t, zctx, core.PULL)
	if err := a.Bind("ws://127.0.0.1:*/a"); err != nil {
		t.Fatal(err)
	}
	port := hostPort(a.LastEndpoint())
	b := sock(t, zctx, core.PULL)
	if err := b.Bind("ws://" + port + "/x/b"); err != nil {
		t.Fatal(err)
	}
	if b.LastEndpoint() != "ws://"+port+"/x/b" {
		t.Fatalf("LastEndpoint %q", b.LastEndpoint())
	}
	dup := sock(t, zctx, core.PULL)
	if err := dup.Bind("ws://" + port + "/a"); !errors.Is(err, core.ErrAddrInUse) {
		t.Fatalf("second bind of /a: %v, want ErrAddrInUse", err)
	}
	for _, tc := range []struct {
		path string
		to   *core.Socket
	}{{"/a", a}, {"/x/b", b}, {"/b", b}} {
		push := sock(t, zctx, core.PUSH)
		if err := push.Connect("ws://" + port + tc.path); err != nil {
			t.Fatal(err)
		}
		sendString(t, push, "to "+tc.path)
		if got := recvString(t, tc.to); got[0] != "to "+tc.path {
			t.Fatalf("received %q", got)
		}
	}
	expectNothing(t, a, 20*time.Millisecond)
	r := rawDial(t, "ws://"+port+"/")
	r.send(upgradeRequest("/c", "ZWS2.0"))
	if resp, body := r.response(); resp.StatusCode != 404 {
		t.Fatalf("unknown path: %s %q", resp.Status, body)
	}
	// unbinding one path leaves the other working; the last frees the port
	if err := a.Unbind("ws://" + port + "/a"); err != nil {
		t.Fatal(err)
	}
	push := sock(t, zctx, core.PUSH)
	if err := push.Connect("ws://" + port + "/x/b"); err != nil {
		t.Fatal(err)
	}
	sendString(t, push, "still")
	if got := recvString(t, b); got[0] != "still" {
		t.Fatalf("received %q", got)
	}
	if err := b.Unbind("ws://" + port + "/x/b"); err != nil {
		t.Fatal(err)
	}
	tcp := sock(t, zctx, core.PULL)
	if err := tcp.Bind("tcp://" + port); err != nil {
		t.Fatalf("the port is still held: %v", err)
	}
}

func TestEndpoints(t *testing.T) {
	zctx := newCtx(t)
	for _, tc := range []struct{ bind, prefix, suffix string }{
		{"ws://*:*", "ws://0.0.0.0:", "/"},
		{"ws://127.0.0.1:*/deep/path", "ws://127.0.0.1:", "/deep/path"},
		{"ws://127.0.0.1:0/q?x=1", "ws://127.0.0.1:", "/q?x=1"},
		{"ws://[::1]:*/v6", "ws://[::1]:", "/v6"},
		{"ws://lo:*/nic", "ws://127.0.0.1:", "/nic"},
	} {
		s := sock(t, zctx, core.PAIR)
		if err := s.Bind(tc.bind); err != nil {
			if strings.Contains(tc.bind, "::1") {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatalf("Bind(%s): %v", tc.bind, err)
		}
		ep := s.LastEndpoint()
		if !strings.HasPrefix(ep, tc.prefix) || !strings.HasSuffix(ep, tc.suffix) {
			t.Errorf("Bind(%s): LastEndpoint %q", tc.bind, ep)
		}
		c := sock(t, zctx, core.PAIR)
		target := strings.Replace(ep, "0.0.0.0", "localhost", 1) // DNS on connect
		if err := c.Connect(target); err != nil {
			t.Fatal(err)
		}
		sendString(t, c, "hi")
		if got := recvString(t, s); got[0] != "hi" {
			t.Fatalf("received %q", got)
		}
	}
	for _, bad := range []string{"ws://127.0.0.1", "ws://127.0.0.1:x/", "ws://:5555", "ws://[::1:5555"} {
		s := sock(t, zctx, core.PAIR)
		if err := s.Bind(bad); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Bind(%s) = %v, want ErrInvalid", bad, err)
		}
		if err := s.Connect(bad); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Connect(%s) = %v, want ErrInvalid", bad, err)
		}
	}
	s := sock(t, zctx, core.PAIR)
	if err := s.Connect("ws://*:5555"); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("Connect(ws://*:5555) = %v, want ErrInvalid", err)
	}
}

// Socket families over both subprotocol families between zmqkit peers:
// ZWS2.0/NULL (mechanism) by default, bare ZWS2.0 when the client offers
// it first.
func TestModes(t *testing.T) {
	for _, bare := range []bool{false, true} {
		t.Run(fmt.Sprint("bare=", bare), func(t *testing.T) {
			zctx := newCtx(t)
			opt := core.WithTransportOption(ws.BareFirst(bare))
			rt := sock(t, zctx, core.ROUTER)
			if err := rt.Bind("ws://127.0.0.1:*/r"); err != nil {
				t.Fatal(err)
			}
			d := sock(t, zctx, core.DEALER, opt, core.WithRoutingID([]byte("D")))
			if err := d.Connect(rt.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			sendString(t, d, "hello")
			if got := recvString(t, rt); len(got) != 2 || got[0] != "D" || got[1] != "hello" {
				t.Fatalf("ROUTER received %q", got)
			}
			pub := sock(t, zctx, core.PUB)
			if err := pub.Bind("ws://127.0.0.1:*/p"); err != nil {
				t.Fatal(err)
			}
			sub := sock(t, zctx, core.SUB, opt, core.WithSubscribe("a"))
			if err := sub.Connect(pub.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(wait)
			for {
				_ = pub.TrySend(core.NewMsgString("b-drop"))
				_ = pub.TrySend(core.NewMsgString("a-keep"))
				c, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
				m, err := sub.Recv(c)
				cancel()
				if err == nil {
					if string(m.Frames[0]) != "a-keep" {
						t.Fatalf("SUB received %q", m.Frames)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("the subscription never arrived")
				}
			}
		})
	}
}

// PLAIN with ZAP and CURVE over ws, end to end.
func TestMechanisms(t *testing.T) {
	zctx := newCtx(t)
	a, err := auth.New(zctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
	rep := sock(t, zctx, core.REP, core.WithMechanism(plain.Server()))
	ev := watch(t, rep)
	if err := rep.Bind("ws://127.0.0.1:*/plain"); err != nil {
		t.Fatal(err)
	}
	req := sock(t, zctx, core.REQ, core.WithMechanism(plain.Client("admin", "secret")))
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	sendString(t, req, "q")
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m, err := rep.Recv(c)
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := m.Property("User-Id"); u != "admin" {
		t.Errorf("User-Id %q", u)
	}
	sendString(t, rep, "a")
	recvString(t, req)
	bad := sock(t, zctx, core.REQ, core.WithMechanism(plain.Client("admin", "wrong")))
	if err := bad.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	if got := expectEvents(t, ev, core.EventHandshakeFailedAuth); got[0].Value != 400 {
		t.Errorf("HANDSHAKE_FAILED_AUTH %d", got[0].Value)
	}

	sk, _ := curve.NewKeyPair()
	ck, _ := curve.NewKeyPair()
	a.AllowAnyCurve(auth.AnyDomain, true)
	pull := sock(t, zctx, core.PULL, core.WithMechanism(curve.ServerKeys(sk)))
	if err := pull.Bind("ws://127.0.0.1:*/curve"); err != nil {
		t.Fatal(err)
	}
	push := sock(t, zctx, core.PUSH, core.WithMechanism(curve.ClientKeys(sk.Public, ck)))
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("z", 200<<10)
	for i := 0; i < 10; i++ {
		sendString(t, push, "h", big)
		if got := recvString(t, pull); got[1] != big {
			t.Fatal("CURVE message corrupted")
		}
	}
	// a NULL client can not talk to a PLAIN server: no common subprotocol
	null := sock(t, zctx, core.REQ)
	nev := watch(t, null)
	if err := null.Connect(rep.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	expectEvents(t, nev, core.EventHandshakeFailedProtocol)
}
