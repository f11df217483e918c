package vmci_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/inproc" // ZAP
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/plugins/vmci/vmcitest"
)

// world is where the socket-level scenarios run: a host context that
// binds and a guest context that connects, on the fake layer or on real
// AF_VSOCK.
type world struct {
	host, guest *core.Context
	// bind is the host's bind endpoint with an ephemeral port.
	bind string
	// dialTo turns the host's bound endpoint into the guest's connect
	// endpoint (the host's CID, the bound port).
	dialTo func(bound string) string
	// guestCID is the CID the host sees the guest connect from.
	guestCID string
	// hostCID is the CID the guest connects to.
	hostCID string
}

// fakeWorld is a host (CID 2) and a guest (CID 3) on a fake network.
func fakeWorld(t *testing.T) world {
	n := network(t)
	host, guest := n.Machine(2), n.Machine(3)
	return world{
		host:     newContext(t, core.WithRegistry(host.Registry())),
		guest:    newContext(t, core.WithRegistry(guest.Registry())),
		bind:     "vsock://*:*",
		dialTo:   func(ep string) string { return "vsock://2:" + ep[strings.LastIndexByte(ep, ':')+1:] },
		guestCID: "3",
		hostCID:  "2",
	}
}

func newContext(t *testing.T, opts ...core.ContextOption) *core.Context {
	zctx := core.NewContext(opts...)
	t.Cleanup(func() {
		c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		zctx.TermContext(c)
	})
	return zctx
}

func sock(t *testing.T, zctx *core.Context, typ core.SocketType, opts ...core.Option) *core.Socket {
	t.Helper()
	s, err := zctx.NewSocket(typ, append([]core.Option{core.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func bind(t *testing.T, s *core.Socket, ep string) string {
	t.Helper()
	if err := s.Bind(ep); err != nil {
		t.Fatalf("Bind(%s): %v", ep, err)
	}
	return s.LastEndpoint()
}

func connect(t *testing.T, s *core.Socket, ep string) {
	t.Helper()
	if err := s.Connect(ep); err != nil {
		t.Fatalf("Connect(%s): %v", ep, err)
	}
}

func send(t *testing.T, s *core.Socket, frames ...string) {
	t.Helper()
	if err := s.SendString(ctx(t), frames...); err != nil {
		t.Fatalf("send %q: %v", frames, err)
	}
}

func recv(t *testing.T, s *core.Socket, want ...string) core.Msg {
	t.Helper()
	m, err := s.Recv(ctx(t))
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	got := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		got[i] = string(f)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("received %q, want %q", got, want)
	}
	return m
}

// scenarios are the socket-level tests run on the fake layer here and on
// real AF_VSOCK in the integration tests.
var scenarios = []struct {
	name string
	run  func(t *testing.T, w world)
}{
	{"PAIR", scenarioPair},
	{"REQ-REP", scenarioReqRep},
	{"PUB-SUB", scenarioPubSub},
	{"ROUTER-DEALER-CURVE", scenarioCurve},
	{"PLAIN", scenarioPlain},
	{"ReconnectAfterListenerRestart", scenarioReconnect},
	{"MonitorEvents", scenarioMonitor},
	{"ReconnectStopConnRefused", scenarioConnRefused},
	{"Heartbeats", scenarioHeartbeats},
}

func TestSockets(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) { sc.run(t, fakeWorld(t)) })
	}
}

func scenarioPair(t *testing.T, w world) {
	a := sock(t, w.host, core.PAIR)
	b := sock(t, w.guest, core.PAIR)
	connect(t, b, w.dialTo(bind(t, a, w.bind)))
	for i := range 3 {
		send(t, b, "ping", fmt.Sprint(i))
		recv(t, a, "ping", fmt.Sprint(i))
		send(t, a, "pong", fmt.Sprint(i))
		recv(t, b, "pong", fmt.Sprint(i))
	}
	big := strings.Repeat("x", 3<<20) // more than the socket buffers: readv and writev in pieces
	send(t, a, big, "tail")
	recv(t, b, big, "tail")
}

func scenarioReqRep(t *testing.T, w world) {
	rep := sock(t, w.host, core.REP)
	ep := w.dialTo(bind(t, rep, w.bind))
	reqs := []*core.Socket{sock(t, w.guest, core.REQ), sock(t, w.guest, core.REQ)}
	for _, r := range reqs {
		connect(t, r, ep)
	}
	for i, r := range reqs {
		send(t, r, "hello", fmt.Sprint(i))
		m := recv(t, rep, "hello", fmt.Sprint(i))
		if pa, _ := m.Property("Peer-Address"); pa != w.guestCID {
			t.Errorf("Peer-Address %q, want the guest's CID %s", pa, w.guestCID)
		}
		send(t, rep, "world", fmt.Sprint(i))
		recv(t, r, "world", fmt.Sprint(i))
	}
}

func scenarioPubSub(t *testing.T, w world) {
	pub := sock(t, w.host, core.PUB)
	ep := w.dialTo(bind(t, pub, w.bind))
	sub := sock(t, w.guest, core.SUB, core.WithSubscribe("weather."))
	connect(t, sub, ep)
	// the subscription travels asynchronously: publish until it arrives
	deadline := time.Now().Add(5 * time.Second)
	for {
		send(t, pub, "sport.x", "no")
		send(t, pub, "weather.x", "yes")
		c, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
		m, err := sub.Recv(c)
		cancel()
		if err == nil {
			if string(m.Frames[0]) != "weather.x" {
				t.Fatalf("received %q past the filter", m.Frames)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no message reached the subscriber")
		}
	}
}

func scenarioCurve(t *testing.T, w world) {
	srvKeys, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	cliKeys, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(w.host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.Allow(w.guestCID) // the guest's CID is the ZAP address
	if err := a.AllowCurveKeys(auth.AnyDomain, cliKeys.PublicZ85()); err != nil {
		t.Fatal(err)
	}
	router := sock(t, w.host, core.ROUTER, core.WithMechanism(curve.ServerKeys(srvKeys)))
	ep := w.dialTo(bind(t, router, w.bind))
	dealer := sock(t, w.guest, core.DEALER, core.WithRoutingID([]byte("guest")),
		core.WithMechanism(curve.ClientKeys(srvKeys.Public, cliKeys)))
	connect(t, dealer, ep)
	send(t, dealer, "status?")
	m := recv(t, router, "guest", "status?")
	if uid, _ := m.Property("User-Id"); uid != cliKeys.PublicZ85() {
		t.Errorf("User-Id %q, want the client's key", uid)
	}
	send(t, router, "guest", "ok")
	recv(t, dealer, "ok")

	// A guest with an unknown key is refused.
	other, _ := curve.NewKeyPair()
	bad := sock(t, w.guest, core.DEALER, core.WithMechanism(curve.ClientKeys(srvKeys.Public, other)))
	evs, err := bad.WatchEvents(ctx(t), core.EventHandshakeFailedAuth)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, bad, ep)
	select {
	case e := <-evs:
		if e.Value != 400 {
			t.Errorf("HANDSHAKE_FAILED_AUTH %d, want 400", e.Value)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the unknown key was not refused")
	}
}

func scenarioPlain(t *testing.T, w world) {
	a, err := auth.New(w.host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	a.SetUsers(auth.AnyDomain, map[string]string{"guest": "secret"})
	rep := sock(t, w.host, core.REP, core.WithMechanism(plain.Server()))
	ep := w.dialTo(bind(t, rep, w.bind))
	req := sock(t, w.guest, core.REQ, core.WithMechanism(plain.Client("guest", "secret")))
	connect(t, req, ep)
	send(t, req, "hi")
	if m := recv(t, rep, "hi"); func() string { u, _ := m.Property("User-Id"); return u }() != "guest" {
		t.Errorf("User-Id is not the PLAIN user")
	}
	send(t, rep, "ho")
	recv(t, req, "ho")
}

func scenarioReconnect(t *testing.T, w world) {
	pull := sock(t, w.host, core.PULL)
	bound := bind(t, pull, w.bind)
	ep := w.dialTo(bound)
	fixed := ep[strings.LastIndexByte(ep, ':'):] // rebind the same port
	rebind := w.bind[:strings.LastIndexByte(w.bind, ':')] + fixed
	push := sock(t, w.guest, core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
	evs, err := push.WatchEvents(ctx(t), core.EventDisconnected)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, push, ep)
	send(t, push, "before")
	recv(t, pull, "before")
	if err := pull.Close(); err != nil {
		t.Fatal(err)
	}
	// the guest sees the disconnect (a message sent before would go
	// down the dead connection) and retries
	expect(t, evs, core.EventDisconnected)
	pull2 := sock(t, w.host, core.PULL)
	for i := 0; i < 50; i++ { // the old listener's port may take a moment to free
		if err = pull2.Bind(rebind); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("rebind %s: %v", rebind, err)
	}
	send(t, push, "after")
	recv(t, pull2, "after")
}

// expect waits for the next event of a kind in want, skipping others.
func expect(t *testing.T, ch <-chan core.MonitorEvent, want core.Event) core.MonitorEvent {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case e := <-ch:
			if e.Event == want {
				return e
			}
		case <-deadline:
			t.Fatalf("no %v event", want)
		}
	}
}

func scenarioMonitor(t *testing.T, w world) {
	router := sock(t, w.host, core.ROUTER)
	hostEvs, err := router.WatchEvents(ctx(t), core.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	bound := bind(t, router, w.bind)
	if e := expect(t, hostEvs, core.EventListening); e.Endpoint != bound || e.FD < 0 {
		t.Errorf("LISTENING %+v", e)
	}
	ep := w.dialTo(bound)
	dealer := sock(t, w.guest, core.DEALER, core.WithReconnectInterval(20*time.Millisecond))
	guestEvs, err := dealer.WatchEvents(ctx(t), core.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, dealer, ep)
	if e := expect(t, guestEvs, core.EventConnectDelayed); e.Endpoint != ep || e.Value != uint64(syscall.EINPROGRESS) {
		t.Errorf("CONNECT_DELAYED %+v", e)
	}
	guestPrefix := "vsock://" + w.guestCID + ":"
	e := expect(t, guestEvs, core.EventConnected)
	if e.Endpoint != ep || !strings.HasPrefix(e.Local, guestPrefix) || e.Remote != ep || e.FD < 0 {
		t.Errorf("CONNECTED %+v", e)
	}
	guestLocal := e.Local
	// libzmq reports an accepted connection by its local address
	if e := expect(t, hostEvs, core.EventAccepted); e.Endpoint != ep || e.FD < 0 {
		t.Errorf("ACCEPTED %+v", e)
	}
	e = expect(t, hostEvs, core.EventHandshakeSucceeded)
	if e.Remote != guestLocal || !strings.HasPrefix(e.Local, "vsock://"+w.hostCID+":") {
		t.Errorf("host HANDSHAKE_SUCCEEDED %+v: want the guest's CID and port %s as remote", e, guestLocal)
	}
	expect(t, guestEvs, core.EventHandshakeSucceeded)
	// the host goes away: the guest sees it and retries
	if err := router.Close(); err != nil {
		t.Fatal(err)
	}
	if e := expect(t, guestEvs, core.EventDisconnected); e.Endpoint != ep {
		t.Errorf("DISCONNECTED %+v", e)
	}
	if e := expect(t, guestEvs, core.EventConnectRetried); e.Endpoint != ep {
		t.Errorf("CONNECT_RETRIED %+v", e)
	}
	if e := expect(t, guestEvs, core.EventClosed); e.Endpoint != ep || !errors.Is(e.Err, syscall.ECONNREFUSED) {
		t.Errorf("CLOSED after a refused reconnect %+v", e)
	}
}

func scenarioConnRefused(t *testing.T, w world) {
	// a port nobody listens on: bind, note the port, close
	probe := sock(t, w.host, core.PULL)
	ep := w.dialTo(bind(t, probe, w.bind))
	probe.Close()
	push := sock(t, w.guest, core.PUSH, core.WithReconnectStop(core.ReconnectStopConnRefused),
		core.WithReconnectInterval(20*time.Millisecond))
	evs, err := push.WatchEvents(ctx(t), core.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, push, ep)
	expect(t, evs, core.EventClosed)
	select {
	case e := <-evs:
		t.Fatalf("after a refused connect with RECONNECT_STOP_CONN_REFUSED: %+v", e)
	case <-time.After(200 * time.Millisecond):
	}
}

func scenarioHeartbeats(t *testing.T, w world) {
	// a timeout well above a loaded machine's scheduling stalls
	hb := core.WithHeartbeat(20*time.Millisecond, 0, 300*time.Millisecond)
	rep := sock(t, w.host, core.REP, hb)
	req := sock(t, w.guest, core.REQ, hb)
	evs, err := req.WatchEvents(ctx(t), core.EventDisconnected)
	if err != nil {
		t.Fatal(err)
	}
	connect(t, req, w.dialTo(bind(t, rep, w.bind)))
	send(t, req, "a")
	recv(t, rep, "a")
	// idle for several heartbeat timeouts: PINGs and PONGs keep it up
	select {
	case e := <-evs:
		t.Fatalf("disconnected while idle: %+v", e)
	case <-time.After(time.Second):
	}
	send(t, rep, "b")
	recv(t, req, "b")
}

// TestFakeWorldIsolated checks that the fake machines are distinct: a
// socket in the guest's context can not bind the host's CID.
func TestFakeWorldIsolated(t *testing.T) {
	w := fakeWorld(t)
	s := sock(t, w.guest, core.PULL)
	if err := s.Bind("vsock://2:*"); !errors.Is(err, core.ErrAddrNotAvailable) {
		t.Fatalf("guest binding the host's CID: %v", err)
	}
	_ = vmcitest.NewNetwork // the package under test
}
