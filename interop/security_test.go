//go:build cgo && !nolibzmq

package interop

import (
	"context"
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	zmq "github.com/pebbe/zmq4"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

// The security suite: PLAIN and CURVE between zmqkit and libzmq in both
// roles over tcp and ipc, with ZAP handlers on both sides (zmqkit's
// auth.Authenticator, and a small libzmq REP handler), and the handshake
// events each side reports when credentials are wrong.

// secEnv is one test's pair of contexts and ZAP handlers. libzmq sockets
// live in their own context so that its ZAP handler does not affect the
// rest of the interop suite.
type secEnv struct {
	t    *testing.T
	lctx *zmq.Context
	kctx *core.Context
	auth *auth.Authenticator

	zmu      sync.Mutex
	zapUsers map[string]string // libzmq handler: PLAIN users
	zapKeys  map[string]bool   // libzmq handler: allowed CURVE keys (Z85)
	zapStop  chan struct{}
	zapDone  chan struct{}
}

func newSecEnv(t *testing.T, opts ...core.ContextOption) *secEnv {
	t.Helper()
	lctx, err := zmq.NewContext()
	if err != nil {
		t.Fatal(err)
	}
	e := &secEnv{t: t, lctx: lctx, zapUsers: map[string]string{}, zapKeys: map[string]bool{},
		zapStop: make(chan struct{}), zapDone: make(chan struct{})}
	t.Cleanup(func() {
		done := make(chan struct{})
		go func() { lctx.Term(); close(done) }()
		select {
		case <-done:
		case <-time.After(termTimeout):
			t.Errorf("libzmq security context term hung")
		}
	})
	e.kctx = newKitContext(t, opts...)
	a, err := auth.New(e.kctx)
	if err != nil {
		t.Fatal(err)
	}
	e.auth = a
	t.Cleanup(func() { a.Close() })
	e.startLibZAP()
	return e
}

// startLibZAP runs a libzmq ZAP handler (REP on inproc://zeromq.zap.01)
// answering from zapUsers / zapKeys.
func (e *secEnv) startLibZAP() {
	s, err := e.lctx.NewSocket(zmq.REP)
	if err != nil {
		e.t.Fatal(err)
	}
	s.SetLinger(0)
	s.SetRcvtimeo(pollStep)
	if err := s.Bind("inproc://zeromq.zap.01"); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		defer close(e.zapDone)
		defer s.Close()
		for {
			select {
			case <-e.zapStop:
				return
			default:
			}
			req, err := s.RecvMessageBytes(0)
			if err != nil {
				continue
			}
			// version id domain address identity mechanism credentials...
			status, user := "400", ""
			if len(req) >= 6 {
				e.zmu.Lock()
				switch string(req[5]) {
				case "PLAIN":
					if len(req) == 8 {
						if p, ok := e.zapUsers[string(req[6])]; ok && p == string(req[7]) {
							status, user = "200", string(req[6])
						}
					}
				case "CURVE":
					if len(req) == 7 && len(req[6]) == 32 {
						k := zmq.Z85encode(string(req[6]))
						if e.zapKeys[k] {
							status, user = "200", k
						}
					}
				case "NULL":
					status = "200"
				}
				e.zmu.Unlock()
			}
			s.SendMessage(req[0], req[1], status, "", user, "")
		}
	}()
	e.t.Cleanup(func() { close(e.zapStop); <-e.zapDone })
}

// newLibSec is newLib in the env's libzmq context.
func (e *secEnv) newLibSec(st core.SocketType, opts ...libOption) *libSock {
	e.t.Helper()
	s, err := e.lctx.NewSocket(zmq.Type(st))
	if err != nil {
		e.t.Fatal(err)
	}
	l := &libSock{s: s, st: st, sndto: opTimeout}
	e.t.Cleanup(l.close)
	s.SetLinger(0)
	s.SetSndtimeo(opTimeout)
	s.SetReconnectIvl(50 * time.Millisecond)
	for _, o := range opts {
		if err := o(s); err != nil {
			e.t.Fatalf("libzmq setsockopt: %v", err)
		}
	}
	return l
}

// ---------------------------------------------------------------------------
// events with values

type secEvent struct {
	ev  core.Event
	val uint64
}

func (s secEvent) String() string { return fmt.Sprintf("%v(%#x)", s.ev, s.val) }

type evRec struct {
	mu  sync.Mutex
	evs []secEvent
}

func (r *evRec) add(ev core.Event, v uint64) {
	r.mu.Lock()
	r.evs = append(r.evs, secEvent{ev, v})
	r.mu.Unlock()
}

const handshakeEvents = core.EventHandshakeSucceeded | core.EventHandshakeFailedAuth |
	core.EventHandshakeFailedProtocol | core.EventHandshakeFailedNoDetail

// first waits for the first handshake event.
func (r *evRec) first(t *testing.T, who string) secEvent {
	t.Helper()
	deadline := time.Now().Add(opTimeout)
	for time.Now().Before(deadline) {
		r.mu.Lock()
		for _, e := range r.evs {
			if e.ev&handshakeEvents != 0 {
				r.mu.Unlock()
				return e
			}
		}
		r.mu.Unlock()
		time.Sleep(5 * time.Millisecond)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	t.Fatalf("%s: no handshake event within %v (events %v)", who, opTimeout, r.evs)
	return secEvent{}
}

func kitRec(t *testing.T, k *kitSock) *evRec {
	ch, err := k.s.WatchEvents(context.Background(), core.EventAll)
	if err != nil {
		t.Fatal(err)
	}
	r := &evRec{}
	go func() {
		for e := range ch {
			r.add(e.Event, e.Value)
		}
	}()
	return r
}

var secMonSeq int

func (e *secEnv) libRec(l *libSock) *evRec {
	e.t.Helper()
	secMonSeq++
	addr := fmt.Sprintf("inproc://sec-monitor-%d", secMonSeq)
	if err := l.s.Monitor(addr, zmq.EVENT_ALL); err != nil {
		e.t.Fatal(err)
	}
	m, err := e.lctx.NewSocket(zmq.PAIR)
	if err != nil {
		e.t.Fatal(err)
	}
	m.SetLinger(0)
	m.SetRcvtimeo(pollStep)
	if err := m.Connect(addr); err != nil {
		e.t.Fatal(err)
	}
	r := &evRec{}
	mon := &monitor{stop: make(chan struct{}), done: make(chan struct{}), owner: l}
	l.mon = mon
	go func() {
		defer close(mon.done)
		defer m.Close()
		for {
			select {
			case <-mon.stop:
				return
			default:
			}
			ev, _, v, err := m.RecvEvent(0)
			if err != nil {
				continue
			}
			r.add(core.Event(ev), uint64(uint32(v)))
		}
	}()
	e.t.Cleanup(mon.halt)
	return r
}

// ---------------------------------------------------------------------------
// options

func libPlainServer() libOption { return func(s *zmq.Socket) error { return s.SetPlainServer(1) } }

func libPlainClient(user, pass string) libOption {
	return func(s *zmq.Socket) error {
		if err := s.SetPlainUsername(user); err != nil {
			return err
		}
		return s.SetPlainPassword(pass)
	}
}

func libCurveServer(kp curve.KeyPair) libOption {
	return func(s *zmq.Socket) error {
		if err := s.SetCurveServer(1); err != nil {
			return err
		}
		return s.SetCurveSecretkey(kp.SecretZ85())
	}
}

func libCurveClient(server [32]byte, kp curve.KeyPair) libOption {
	return func(s *zmq.Socket) error {
		if err := s.SetCurveServerkey(curve.Z85(server[:])); err != nil {
			return err
		}
		if err := s.SetCurvePublickey(kp.PublicZ85()); err != nil {
			return err
		}
		return s.SetCurveSecretkey(kp.SecretZ85())
	}
}

func keyPair(t *testing.T) curve.KeyPair {
	kp, err := curve.NewKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	return kp
}

// ---------------------------------------------------------------------------
// scenarios

// secCase is one handshake: the server and the client side options for
// both implementations, and what each side must report.
type secCase struct {
	name               string
	kitServer, kitCli  []core.Option
	libServer, libCli  []libOption
	ok                 bool
	serverEv, clientEv secEvent // first handshake event expected (when !ok)
	userID             string   // expected User-Id on the server when ok
}

// runSecCase runs c and returns the events the zmqkit socket reported.
func runSecCase(t *testing.T, e *secEnv, c secCase, tr string, kitIsServer bool) *evRec {
	var server, client sock
	var srec, crec, krec *evRec
	if kitIsServer {
		k := newKit(t, e.kctx, DEALER, c.kitServer...)
		server, srec = k, kitRec(t, k)
		l := e.newLibSec(DEALER, c.libCli...)
		client, crec = l, e.libRec(l)
	} else {
		l := e.newLibSec(DEALER, c.libServer...)
		server, srec = l, e.libRec(l)
		k := newKit(t, e.kctx, DEALER, c.kitCli...)
		client, crec = k, kitRec(t, k)
	}
	krec = crec
	if kitIsServer {
		krec = srec
	}
	link(t, tr, server, client)
	if !c.ok {
		if got := srec.first(t, "server"); got != c.serverEv {
			t.Errorf("%s server: first handshake event %v, want %v", label(server), got, c.serverEv)
		}
		if got := crec.first(t, "client"); got != c.clientEv {
			t.Errorf("%s client: first handshake event %v, want %v (all %v)", label(client), got, c.clientEv, crec.evs)
		}
		if m, err := server.recv(quietTimeout); err == nil {
			t.Errorf("server received %s from a refused client", show(m))
		}
		return krec
	}
	mustSend(t, client, []byte("hello"), pattern(3000, 1))
	expect(t, server, [][]byte{[]byte("hello"), pattern(3000, 1)}, nil)
	mustSend(t, server, []byte("world"), pattern(70000, 2))
	expect(t, client, [][]byte{[]byte("world"), pattern(70000, 2)}, nil)
	if got := srec.first(t, "server"); got.ev != core.EventHandshakeSucceeded {
		t.Errorf("server event %v", got)
	}
	if got := crec.first(t, "client"); got.ev != core.EventHandshakeSucceeded {
		t.Errorf("client event %v", got)
	}
	// User-Id from ZAP on every message the server receives
	mustSend(t, client, []byte("who"))
	var uid string
	switch s := server.(type) {
	case *kitSock:
		m, err := s.s.Recv(ctxTimeout(t))
		if err != nil {
			t.Fatal(err)
		}
		uid, _ = m.Property("User-Id")
	case *libSock:
		s.s.SetRcvtimeo(opTimeout)
		_, md, err := s.s.RecvMessageWithMetadata(0, "User-Id")
		if err != nil {
			t.Fatal(err)
		}
		uid = md["User-Id"]
	}
	if uid != c.userID {
		t.Errorf("server User-Id %q, want %q", uid, c.userID)
	}
	return krec
}

func ctxTimeout(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), opTimeout)
	t.Cleanup(cancel)
	return c
}

func auth400() secEvent { return secEvent{core.EventHandshakeFailedAuth, 400} }

func TestSecurityPLAIN(t *testing.T) {
	cases := []secCase{
		{name: "good", ok: true, userID: "admin",
			kitServer: []core.Option{core.WithMechanism(plain.Server())},
			kitCli:    []core.Option{core.WithMechanism(plain.Client("admin", "secret"))},
			libServer: []libOption{libPlainServer()},
			libCli:    []libOption{libPlainClient("admin", "secret")}},
		{name: "wrong-password", serverEv: auth400(), clientEv: auth400(),
			kitServer: []core.Option{core.WithMechanism(plain.Server())},
			kitCli:    []core.Option{core.WithMechanism(plain.Client("admin", "guess"))},
			libServer: []libOption{libPlainServer()},
			libCli:    []libOption{libPlainClient("admin", "guess")}},
	}
	for _, tr := range []string{"tcp", "ipc"} {
		for _, c := range cases {
			for _, kitSrv := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/libzmq-server", tr, c.name)
				if kitSrv {
					name = fmt.Sprintf("%s/%s/zmqkit-server", tr, c.name)
				}
				t.Run(name, func(t *testing.T) {
					e := newSecEnv(t)
					e.auth.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
					e.zapUsers["admin"] = "secret"
					runSecCase(t, e, c, tr, kitSrv)
				})
			}
		}
	}
}

func TestSecurityCURVE(t *testing.T) {
	srv, cli, stranger := keyPair(t), keyPair(t), keyPair(t)
	cases := []secCase{
		{name: "good", ok: true, userID: cli.PublicZ85(),
			kitCli: []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, cli))},
			libCli: []libOption{libCurveClient(srv.Public, cli)}},
		{name: "unknown-client-key", serverEv: auth400(), clientEv: auth400(),
			kitCli: []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, stranger))},
			libCli: []libOption{libCurveClient(srv.Public, stranger)}},
		{name: "wrong-server-key",
			serverEv: secEvent{core.EventHandshakeFailedProtocol, uint64(mechanism.ErrZMTPCryptographic)},
			clientEv: secEvent{core.EventHandshakeFailedNoDetail, uint64(syscall.EPIPE)},
			kitCli:   []core.Option{core.WithMechanism(curve.ClientKeys(stranger.Public, cli))},
			libCli:   []libOption{libCurveClient(stranger.Public, cli)}},
	}
	for i := range cases {
		cases[i].kitServer = []core.Option{core.WithMechanism(curve.ServerKeys(srv))}
		cases[i].libServer = []libOption{libCurveServer(srv)}
	}
	for _, tr := range []string{"tcp", "ipc"} {
		for _, c := range cases {
			for _, kitSrv := range []bool{true, false} {
				name := fmt.Sprintf("%s/%s/libzmq-server", tr, c.name)
				if kitSrv {
					name = fmt.Sprintf("%s/%s/zmqkit-server", tr, c.name)
				}
				t.Run(name, func(t *testing.T) {
					e := newSecEnv(t)
					if err := e.auth.AllowCurveKeys(auth.AnyDomain, cli.PublicZ85()); err != nil {
						t.Fatal(err)
					}
					e.zapKeys[cli.PublicZ85()] = true
					runSecCase(t, e, c, tr, kitSrv)
				})
			}
		}
	}
}

// ---------------------------------------------------------------------------
// CURVE throughput, zmqkit and libzmq side by side in one process:
//
//	go test -run '^$' -bench CurvePushPull -benchtime 2s .
//
// One PUSH (client) sends b.N messages over loopback tcp to one PULL
// (server) drained by another goroutine. The libzmq rows go through the
// pebbe binding (one cgo call per message per side), so at 64 B they
// include that cost; at 64 KiB the crypto dominates.

func BenchmarkCurvePushPull(b *testing.B) {
	for _, impl := range []string{"zmqkit", "libzmq"} {
		for _, sz := range []struct {
			name string
			n    int
		}{{"64B", 64}, {"1KiB", 1024}, {"64KiB", 65536}} {
			b.Run(impl+"/"+sz.name, func(b *testing.B) {
				if impl == "zmqkit" {
					benchKitCurve(b, sz.n)
				} else {
					benchLibCurve(b, sz.n)
				}
			})
		}
	}
}

func benchKeys(b *testing.B) (srv, cli curve.KeyPair) {
	var err error
	if srv, err = curve.NewKeyPair(); err != nil {
		b.Fatal(err)
	}
	if cli, err = curve.NewKeyPair(); err != nil {
		b.Fatal(err)
	}
	return
}

func benchKitCurve(b *testing.B, size int) {
	srv, cli := benchKeys(b)
	ctx := core.NewContext()
	defer ctx.Term()
	pull, _ := ctx.NewSocket(core.PULL, core.WithLinger(0), core.WithMechanism(curve.ServerKeys(srv)))
	push, _ := ctx.NewSocket(core.PUSH, core.WithLinger(0), core.WithMechanism(curve.ClientKeys(srv.Public, cli)))
	defer pull.Close()
	defer push.Close()
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		b.Fatal(err)
	}
	c := context.Background()
	msg := core.NewMsg(make([]byte, size))
	var in core.Msg
	push.Send(c, msg)
	pull.RecvMsg(c, &in)
	b.SetBytes(int64(size))
	b.ResetTimer()
	done := make(chan struct{})
	go func() {
		var m core.Msg
		for i := 0; i < b.N; i++ {
			pull.RecvMsg(c, &m)
		}
		close(done)
	}()
	for i := 0; i < b.N; i++ {
		push.Send(c, msg)
	}
	<-done
}

func benchLibCurve(b *testing.B, size int) {
	srv, cli := benchKeys(b)
	lctx, _ := zmq.NewContext()
	defer lctx.Term()
	pull, _ := lctx.NewSocket(zmq.PULL)
	push, _ := lctx.NewSocket(zmq.PUSH)
	for _, s := range []*zmq.Socket{pull, push} {
		s.SetLinger(0)
	}
	libCurveServer(srv)(pull)
	libCurveClient(srv.Public, cli)(push)
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		b.Fatal(err)
	}
	ep, _ := pull.GetLastEndpoint()
	push.Connect(ep)
	payload := make([]byte, size)
	push.SendBytes(payload, 0)
	pull.RecvBytes(0)
	b.SetBytes(int64(size))
	b.ResetTimer()
	done := make(chan struct{})
	go func() {
		for i := 0; i < b.N; i++ {
			pull.RecvBytes(0)
		}
		close(done)
	}()
	for i := 0; i < b.N; i++ {
		push.SendBytes(payload, 0)
	}
	<-done
	pull.Close()
	push.Close()
}

// SUBSCRIBE/CANCEL and PING/PONG travel as commands inside CURVE boxes
// (libzmq's COMMAND bit): subscriptions must filter and heartbeats must
// keep the connection up, both directions.
func TestSecurityCURVEPubSub(t *testing.T) {
	srv, cli := keyPair(t), keyPair(t)
	for _, kitPub := range []bool{true, false} {
		name := "libzmq-pub"
		if kitPub {
			name = "zmqkit-pub"
		}
		t.Run(name, func(t *testing.T) {
			e := newSecEnv(t)
			e.auth.AllowAnyCurve(auth.AnyDomain, true)
			e.zapKeys[cli.PublicZ85()] = true
			hb := libHeartbeat(50*time.Millisecond, time.Second, time.Second)
			var pub, sub sock
			if kitPub {
				pub = newKit(t, e.kctx, PUB, core.WithMechanism(curve.ServerKeys(srv)))
				sub = e.newLibSec(SUB, libCurveClient(srv.Public, cli), hb)
			} else {
				pub = e.newLibSec(PUB, libCurveServer(srv), hb)
				sub = newKit(t, e.kctx, SUB, core.WithMechanism(curve.ClientKeys(srv.Public, cli)),
					core.WithHeartbeat(50*time.Millisecond, time.Second, time.Second))
			}
			link(t, "tcp", pub, sub)
			if err := sub.subscribe("a"); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(opTimeout)
			for {
				pub.pump()
				mustSend(t, pub, []byte("b-filtered"))
				mustSend(t, pub, []byte("a-wanted"))
				m, err := sub.recv(pollStep)
				if err == nil {
					if string(m[0]) != "a-wanted" {
						t.Fatalf("received %q despite the subscription", m[0])
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no message through the CURVE subscription")
				}
			}
			time.Sleep(300 * time.Millisecond) // several encrypted PING/PONG rounds
			mustSend(t, pub, []byte("a-after-heartbeats"))
			for {
				m, err := sub.recv(opTimeout)
				if err != nil {
					t.Fatal(err)
				}
				if string(m[0]) == "a-after-heartbeats" {
					break
				}
			}
		})
	}
}
