package auth_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/inproc"
	"github.com/zmqkit/zmqkit/plugins/plain"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

const wait = 5 * time.Second

func newCtx(t *testing.T) *core.Context {
	ctx := core.NewContext()
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		ctx.TermContext(c)
	})
	return ctx
}

func newAuth(t *testing.T, ctx *core.Context) *auth.Authenticator {
	a, err := auth.New(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func sock(t *testing.T, ctx *core.Context, st core.SocketType, opts ...core.Option) *core.Socket {
	s, err := ctx.NewSocket(st, append([]core.Option{core.WithLinger(0), core.WithReconnectInterval(20 * time.Millisecond)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

type result struct {
	ok       bool
	msg      core.Msg
	srvEvent core.MonitorEvent
	cliEvent core.MonitorEvent
}

const hsEvents = core.EventHandshakeSucceeded | core.EventHandshakeFailedAuth |
	core.EventHandshakeFailedProtocol | core.EventHandshakeFailedNoDetail

func firstHS(t *testing.T, ch <-chan core.MonitorEvent) core.MonitorEvent {
	t.Helper()
	timeout := time.After(wait)
	for {
		select {
		case e := <-ch:
			if e.Event&hsEvents != 0 {
				return e
			}
		case <-timeout:
			t.Fatal("no handshake event")
		}
	}
}

// try connects a PUSH client to a PULL server and reports the first
// handshake events and, on success, the received message.
func try(t *testing.T, ctx *core.Context, srvOpts, cliOpts []core.Option) result {
	t.Helper()
	pull := sock(t, ctx, core.PULL, srvOpts...)
	push := sock(t, ctx, core.PUSH, cliOpts...)
	sm, _ := pull.WatchEvents(context.Background(), hsEvents)
	cm, _ := push.WatchEvents(context.Background(), hsEvents)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	r := result{srvEvent: firstHS(t, sm), cliEvent: firstHS(t, cm)}
	if r.srvEvent.Event == core.EventHandshakeSucceeded {
		c, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		if err := push.Send(c, core.NewMsgString("hi")); err != nil {
			t.Fatal(err)
		}
		m, err := pull.Recv(c)
		if err != nil {
			t.Fatal(err)
		}
		r.ok, r.msg = true, m
	}
	pull.Close()
	push.Close()
	return r
}

func expectAuth(t *testing.T, r result, status uint64) {
	t.Helper()
	if r.srvEvent.Event != core.EventHandshakeFailedAuth || r.srvEvent.Value != status {
		t.Errorf("server event %v %d, want AUTH %d", r.srvEvent.Event, r.srvEvent.Value, status)
	}
}

func TestPlainUsers(t *testing.T) {
	ctx := newCtx(t)
	a := newAuth(t, ctx)
	a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
	srv := []core.Option{core.WithMechanism(plain.Server())}
	r := try(t, ctx, srv, []core.Option{core.WithMechanism(plain.Client("admin", "secret"))})
	if !r.ok {
		t.Fatalf("good password refused: %+v", r.srvEvent)
	}
	if uid, _ := r.msg.Property("User-Id"); uid != "admin" {
		t.Fatalf("User-Id %q", uid)
	}
	r = try(t, ctx, srv, []core.Option{core.WithMechanism(plain.Client("admin", "nope"))})
	expectAuth(t, r, 400)
	if r.cliEvent.Event != core.EventHandshakeFailedAuth || r.cliEvent.Value != 400 {
		t.Errorf("client event %v %d", r.cliEvent.Event, r.cliEvent.Value)
	}

	// password file, reloaded
	dir := t.TempDir()
	pw := filepath.Join(dir, "passwords")
	os.WriteFile(pw, []byte("# users\nbob=one\n"), 0o600)
	if err := a.LoadPasswordFile("files", pw); err != nil {
		t.Fatal(err)
	}
	fsrv := []core.Option{core.WithMechanism(plain.Server()), core.WithZAPDomain("files")}
	if r := try(t, ctx, fsrv, []core.Option{core.WithMechanism(plain.Client("bob", "one"))}); !r.ok {
		t.Fatal("bob refused")
	}
	os.WriteFile(pw, []byte("bob=two\n"), 0o600)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	expectAuth(t, try(t, ctx, fsrv, []core.Option{core.WithMechanism(plain.Client("bob", "one"))}), 400)
	if r := try(t, ctx, fsrv, []core.Option{core.WithMechanism(plain.Client("bob", "two"))}); !r.ok {
		t.Fatal("bob refused after reload")
	}
	// address policy
	a.Deny("127.0.0.1")
	expectAuth(t, try(t, ctx, srv, []core.Option{core.WithMechanism(plain.Client("admin", "secret"))}), 400)
	a.ResetAddresses()
	a.Allow("10.1.2.3")
	expectAuth(t, try(t, ctx, srv, []core.Option{core.WithMechanism(plain.Client("admin", "secret"))}), 400)
	a.Allow("127.0.0.1")
	if r := try(t, ctx, srv, []core.Option{core.WithMechanism(plain.Client("admin", "secret"))}); !r.ok {
		t.Fatal("allowed address refused")
	}
}

// libzmq: a PLAIN server with no ZAP handler refuses with
// HANDSHAKE_FAILED_NO_DETAIL(EFAULT).
func TestPlainWithoutHandler(t *testing.T) {
	ctx := newCtx(t)
	r := try(t, ctx, []core.Option{core.WithMechanism(plain.Server())},
		[]core.Option{core.WithMechanism(plain.Client("a", "b"))})
	if r.srvEvent.Event != core.EventHandshakeFailedNoDetail || r.srvEvent.Value != uint64(syscall.EFAULT) {
		t.Fatalf("server event %v %d", r.srvEvent.Event, r.srvEvent.Value)
	}
}

func TestCurveCertDir(t *testing.T) {
	ctx := newCtx(t)
	a := newAuth(t, ctx)
	srv, _ := curve.NewKeyPair()
	cli, _ := curve.NewCert()
	cli.Metadata = map[string]string{"X-Name": "alice"}
	dir := t.TempDir()
	if err := a.LoadCertDir(auth.AnyDomain, dir); err != nil {
		t.Fatal(err)
	}
	srvOpts := []core.Option{core.WithMechanism(curve.ServerKeys(srv))}
	cliOpts := []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, cli.KeyPair()))}
	expectAuth(t, try(t, ctx, srvOpts, cliOpts), 400)
	cli.Save(filepath.Join(dir, "alice.key"))
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	r := try(t, ctx, srvOpts, cliOpts)
	if !r.ok {
		t.Fatalf("certified client refused: %v", r.srvEvent.Event)
	}
	if v, _ := r.msg.Property("X-Name"); v != "alice" {
		t.Fatalf("ZAP metadata X-Name = %q", v)
	}
	if v, _ := r.msg.Property("User-Id"); v != curve.Z85(cli.Public[:]) {
		t.Fatalf("User-Id %q", v)
	}
	// any key
	other, _ := curve.NewKeyPair()
	otherOpts := []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, other))}
	expectAuth(t, try(t, ctx, srvOpts, otherOpts), 400)
	a.AllowAnyCurve(auth.AnyDomain, true)
	if r := try(t, ctx, srvOpts, otherOpts); !r.ok {
		t.Fatal("any key refused")
	}
}

// CURVE with no handler accepts (Stonehouse) unless ZAP_ENFORCE_DOMAIN.
func TestCurveEnforceDomain(t *testing.T) {
	ctx := newCtx(t)
	srv, _ := curve.NewKeyPair()
	cli, _ := curve.NewKeyPair()
	cliOpts := []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, cli))}
	if r := try(t, ctx, []core.Option{core.WithMechanism(curve.ServerKeys(srv))}, cliOpts); !r.ok {
		t.Fatal("stonehouse refused")
	}
	r := try(t, ctx, []core.Option{core.WithMechanism(curve.ServerKeys(srv)), core.WithZAPDomain("d"), core.WithZAPEnforceDomain(true)}, cliOpts)
	if r.srvEvent.Event != core.EventHandshakeFailedNoDetail || r.srvEvent.Value != uint64(syscall.EFAULT) {
		t.Fatalf("enforced: server event %v %d", r.srvEvent.Event, r.srvEvent.Value)
	}
}

// NULL asks ZAP only with a domain.
func TestNullDomain(t *testing.T) {
	ctx := newCtx(t)
	a := newAuth(t, ctx)
	calls := 0
	a.SetHook(func(req auth.Request, d *auth.Decision) {
		calls++
		if req.Mechanism != "NULL" || req.Domain != "global" || req.Address != "127.0.0.1" || (calls == 1 && string(req.Identity) != "srv") {
			t.Errorf("request %+v", req)
		}
		d.UserID = "anonymous"
		d.Metadata = map[string]string{"X-Via": "zap"}
	})
	if r := try(t, ctx, nil, nil); !r.ok || calls != 0 {
		t.Fatalf("no domain: ok %v, %d ZAP calls", r.ok, calls)
	}
	r := try(t, ctx, []core.Option{core.WithZAPDomain("global"), core.WithRoutingID([]byte("srv"))}, nil)
	if !r.ok || calls != 1 {
		t.Fatalf("domain: ok %v, %d calls", r.ok, calls)
	}
	if v, _ := r.msg.Property("User-Id"); v != "anonymous" {
		t.Fatalf("User-Id %q", v)
	}
	if v, _ := r.msg.Property("X-Via"); v != "zap" {
		t.Fatalf("X-Via %q", v)
	}
	a.Deny("127.0.0.1")
	r = try(t, ctx, []core.Option{core.WithZAPDomain("global")}, nil)
	expectAuth(t, r, 400)
	if r.cliEvent.Event != core.EventHandshakeFailedAuth || r.cliEvent.Value != 400 {
		t.Errorf("client event %v %d", r.cliEvent.Event, r.cliEvent.Value)
	}
}

// A handler whose replies break RFC 27 fails the handshake with libzmq's
// ZAP_* protocol codes; status 300 drops the client silently.
func TestBadHandlerReplies(t *testing.T) {
	ctx := newCtx(t)
	h := sock(t, ctx, core.ROUTER)
	if err := h.Bind(core.ZAPEndpoint); err != nil {
		t.Fatal(err)
	}
	replies := make(chan [][]byte, 1)
	go func() {
		for {
			m, err := h.Recv(context.Background())
			if err != nil {
				return
			}
			rep := <-replies
			h.Send(context.Background(), core.NewMsg(append([][]byte{m.Frames[0]}, rep...)...))
		}
	}()
	good := func() [][]byte {
		return [][]byte{nil, []byte("1.0"), []byte("1"), []byte("200"), nil, nil, nil}
	}
	srv := []core.Option{core.WithMechanism(plain.Server())}
	cli := []core.Option{core.WithMechanism(plain.Client("a", "b"))}
	for _, c := range []struct {
		mod  func([][]byte) [][]byte
		code uint32
	}{
		{func(f [][]byte) [][]byte { return f[:5] }, mechanism.ErrZAPMalformedReply},
		{func(f [][]byte) [][]byte { f[1] = []byte("9.9"); return f }, mechanism.ErrZAPBadVersion},
		{func(f [][]byte) [][]byte { f[2] = []byte("7"); return f }, mechanism.ErrZAPBadRequestID},
		{func(f [][]byte) [][]byte { f[3] = []byte("abc"); return f }, mechanism.ErrZAPInvalidStatusCode},
		{func(f [][]byte) [][]byte { f[6] = []byte{9}; return f }, mechanism.ErrZAPInvalidMetadata},
	} {
		replies <- c.mod(good())
		r := try(t, ctx, srv, cli)
		if r.srvEvent.Event != core.EventHandshakeFailedProtocol || r.srvEvent.Value != uint64(c.code) {
			t.Errorf("server event %v %#x, want PROTOCOL %#x", r.srvEvent.Event, r.srvEvent.Value, c.code)
		}
	}
	f := good()
	f[3] = []byte("300")
	replies <- f
	expectAuth(t, try(t, ctx, srv, cli), 300)
	_ = zmtp.CmdError
}

// Both ends of a refused handshake report the same status text, for every
// mechanism and status: the client only learns the status code (the
// ERROR command carries nothing else), so neither side's error shows the
// handler's own text; the server's AuthError keeps it in Text.
func TestAuthFailureSameTextBothSides(t *testing.T) {
	ctx := newCtx(t)
	a := newAuth(t, ctx)
	a.SetHook(func(r auth.Request, d *auth.Decision) {
		if r.Domain == "busy" {
			d.Allowed, d.Status, d.Text = false, "500", "handler says no"
		}
	})
	srvKeys, _ := curve.NewKeyPair()
	cliKeys, _ := curve.NewKeyPair()
	for _, tc := range []struct {
		name     string
		srv, cli []core.Option
		status   int
	}{
		{"plain", []core.Option{core.WithMechanism(plain.Server())}, []core.Option{core.WithMechanism(plain.Client("u", "p"))}, 400},
		{"curve", []core.Option{core.WithMechanism(curve.ServerKeys(srvKeys))}, []core.Option{core.WithMechanism(curve.ClientKeys(srvKeys.Public, cliKeys))}, 400},
		{"null-500", []core.Option{core.WithZAPDomain("busy")}, nil, 500},
	} {
		r := try(t, ctx, tc.srv, tc.cli)
		se, ce := r.srvEvent, r.cliEvent
		if se.Event != core.EventHandshakeFailedAuth || se.AuthStatus != tc.status {
			t.Errorf("%s: server %v %d", tc.name, se.Event, se.AuthStatus)
			continue
		}
		if tc.name == "null-500" {
			// libzmq's NULL client reports the ERROR as a protocol
			// failure; only the server has an AUTH event
			var ae *mechanism.AuthError
			if !errors.As(se.Err, &ae) || ae.Text != "handler says no" {
				t.Errorf("%s: server error %v does not keep the handler's text", tc.name, se.Err)
			}
			continue
		}
		if ce.Event != core.EventHandshakeFailedAuth || ce.AuthStatus != tc.status {
			t.Errorf("%s: client %v %d", tc.name, ce.Event, ce.AuthStatus)
			continue
		}
		if se.Err == nil || ce.Err == nil || se.Err.Error() != ce.Err.Error() {
			t.Errorf("%s: server says %q, client says %q", tc.name, se.Err, ce.Err)
		}
	}
}
