//go:build cgo && zmqdraft

package wsdraft

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

// libZAP runs a ZAP handler in the libzmq context: PLAIN user "admin"
// with password "secret" and any CURVE key pass, everything else fails.
func libZAP(t *testing.T) {
	t.Helper()
	s := lsock(t, REP)
	must(t, s.SetInt(OptRcvTimeo, 50))
	// libzmq unbinds a closed socket's inproc endpoints in its reaper
	// thread, after zmq_close returns: the previous test's handler may
	// still hold the name for a moment.
	for deadline := time.Now().Add(wait); ; {
		err := s.Bind("inproc://zeromq.zap.01")
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EADDRINUSE) || time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			req, err := s.Recv()
			if err != nil {
				continue
			}
			// version, request id, domain, address, identity, mechanism, credentials...
			status, user := "400", ""
			if len(req) >= 6 {
				switch req[5] {
				case "PLAIN":
					if len(req) == 8 && req[6] == "admin" && req[7] == "secret" {
						status, user = "200", "admin"
					}
				case "CURVE":
					status, user = "200", "curve-client"
				}
			}
			_ = s.Send([]byte("1.0"), []byte(req[1]), []byte(status), []byte("test"), []byte(user), nil)
		}
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
}

// PLAIN (with ZAP at the server, zmqkit's auth or a libzmq handler) and
// CURVE over ws and wss, both ways.
func TestSecurity(t *testing.T) {
	sk, err := curve.NewKeyPair()
	must(t, err)
	ck, err := curve.NewKeyPair()
	must(t, err)
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		t.Run("PLAIN", func(t *testing.T) {
			var z *core.Socket
			var l *Sock
			if zb {
				c := zctx(t)
				a, err := auth.New(c)
				must(t, err)
				t.Cleanup(func() { a.Close() })
				a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
				z = zsock(t, c, core.REP, tr.zopts(true, core.WithMechanism(plain.Server()))...)
				l = lsock(t, REQ)
				must(t, l.SetBytes(OptPlainUsername, []byte("admin")))
				must(t, l.SetBytes(OptPlainPassword, []byte("secret")))
				tr.lconnect(t, l, tr.zbind(t, z))
			} else {
				libZAP(t)
				l = lsock(t, REP)
				must(t, l.SetInt(OptPlainServer, 1))
				must(t, l.SetBytes(OptZAPDomain, []byte("test")))
				ep := tr.lbind(t, l)
				z = zsock(t, zctx(t), core.REQ, tr.zopts(false, core.WithMechanism(plain.Client("admin", "secret")))...)
				must(t, z.Connect(ep))
			}
			if zb {
				must(t, l.Send([]byte("q")))
				m := zrecv(t, z)
				if u, _ := m.Property("User-Id"); u != "admin" || !eq(frames(m), "q") {
					t.Fatalf("zmqkit got %q from %q", frames(m), u)
				}
				zsend(t, z, "a")
				if got := lrecv(t, l); !eq(got, "a") {
					t.Fatalf("libzmq got %q", got)
				}
			} else {
				zsend(t, z, "q")
				if got := lrecv(t, l); !eq(got, "q") {
					t.Fatalf("libzmq got %q", got)
				}
				must(t, l.Send([]byte("a")))
				if got := frames(zrecv(t, z)); !eq(got, "a") {
					t.Fatalf("zmqkit got %q", got)
				}
			}
		})
		t.Run("PLAIN refused", func(t *testing.T) {
			if zb {
				c := zctx(t)
				a, err := auth.New(c)
				must(t, err)
				t.Cleanup(func() { a.Close() })
				a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
				z := zsock(t, c, core.PULL, tr.zopts(true, core.WithMechanism(plain.Server()))...)
				ev, err := z.WatchEvents(t.Context(), core.EventHandshakeFailedAuth)
				must(t, err)
				l := lsock(t, PUSH)
				must(t, l.SetBytes(OptPlainUsername, []byte("admin")))
				must(t, l.SetBytes(OptPlainPassword, []byte("wrong")))
				tr.lconnect(t, l, tr.zbind(t, z))
				select {
				case e := <-ev:
					if e.Value != 400 {
						t.Fatalf("HANDSHAKE_FAILED_AUTH %d", e.Value)
					}
				case <-time.After(wait):
					t.Fatal("no HANDSHAKE_FAILED_AUTH")
				}
				return
			}
			libZAP(t)
			l := lsock(t, PULL)
			must(t, l.SetInt(OptPlainServer, 1))
			must(t, l.SetBytes(OptZAPDomain, []byte("test")))
			ep := tr.lbind(t, l)
			z := zsock(t, zctx(t), core.PUSH, tr.zopts(false, core.WithMechanism(plain.Client("admin", "wrong")))...)
			ev, err := z.WatchEvents(t.Context(), core.EventHandshakeFailedAuth)
			must(t, err)
			must(t, z.Connect(ep))
			select {
			case e := <-ev:
				if e.Value != 400 {
					t.Fatalf("HANDSHAKE_FAILED_AUTH %d", e.Value)
				}
			case <-time.After(wait):
				t.Fatal("no HANDSHAKE_FAILED_AUTH")
			}
		})
		t.Run("CURVE", func(t *testing.T) {
			var z *core.Socket
			var l *Sock
			if zb {
				z = zsock(t, zctx(t), core.PULL, tr.zopts(true, core.WithMechanism(curve.ServerKeys(sk)))...)
				l = lsock(t, PUSH)
				must(t, l.SetBytes(OptCurveServerKey, sk.Public[:]))
				must(t, l.SetBytes(OptCurvePublicKey, ck.Public[:]))
				must(t, l.SetBytes(OptCurveSecretKey, ck.Secret[:]))
				tr.lconnect(t, l, tr.zbind(t, z))
				for i := 0; i < 20; i++ {
					must(t, l.Send([]byte(fmt.Sprint(i)), []byte(bigBody)))
				}
				for i := 0; i < 20; i++ {
					if got := frames(zrecv(t, z)); !eq(got, fmt.Sprint(i), bigBody) {
						t.Fatalf("message %d corrupted", i)
					}
				}
				return
			}
			l = lsock(t, PULL)
			must(t, l.SetInt(OptCurveServer, 1))
			must(t, l.SetBytes(OptCurveSecretKey, sk.Secret[:]))
			ep := tr.lbind(t, l)
			z = zsock(t, zctx(t), core.PUSH, tr.zopts(false, core.WithMechanism(curve.ClientKeys(sk.Public, ck)))...)
			must(t, z.Connect(ep))
			for i := 0; i < 20; i++ {
				zsend(t, z, fmt.Sprint(i), bigBody)
			}
			for i := 0; i < 20; i++ {
				if got := lrecv(t, l); !eq(got, fmt.Sprint(i), bigBody) {
					t.Fatalf("message %d corrupted", i)
				}
			}
		})
	})
}

// Heartbeats on both sides: libzmq's WebSocket pings are answered by
// zmqkit and zmqkit's by libzmq, so an idle connection outlives several
// heartbeat timeouts.
func TestHeartbeats(t *testing.T) {
	forEach(t, func(t *testing.T, tr transport, zb bool) {
		hb := core.WithHeartbeat(50*time.Millisecond, 0, 250*time.Millisecond)
		// the events are watched before the connection exists (its
		// HANDSHAKE_SUCCEEDED could come first)
		z := zsock(t, zctx(t), core.PULL, tr.zopts(zb, hb)...)
		ev, err := z.WatchEvents(t.Context(), core.EventDisconnected|core.EventHandshakeSucceeded)
		must(t, err)
		l := lsock(t, PUSH)
		must(t, l.SetInt(OptHeartbeatIvl, 50))
		must(t, l.SetInt(OptHeartbeatTimeout, 250))
		if zb {
			tr.lconnect(t, l, tr.zbind(t, z))
		} else {
			must(t, z.Connect(tr.lbind(t, l)))
		}
		must(t, l.Send([]byte("first")))
		zrecv(t, z)
		select {
		case e := <-ev:
			if e.Event != core.EventHandshakeSucceeded {
				t.Fatalf("event %v", e.Event)
			}
		case <-time.After(wait):
			t.Fatal("no HANDSHAKE_SUCCEEDED")
		}
		select {
		case e := <-ev:
			t.Fatalf("the idle connection ended: %+v", e)
		case <-time.After(1500 * time.Millisecond): // six timeouts
		}
		must(t, l.Send([]byte("still there")))
		if got := frames(zrecv(t, z)); !eq(got, "still there") {
			t.Fatalf("got %q", got)
		}
	})
}

// A peer restarted mid-stream: the connecting side reconnects and the
// stream goes on.
func TestRestart(t *testing.T) {
	for _, tr := range transports(t) {
		t.Run(tr.scheme+"/libzmq restarts", func(t *testing.T) {
			ep := tr.freeEP(t)
			z := zsock(t, zctx(t), core.PUSH, tr.zopts(false, core.WithReconnectInterval(20*time.Millisecond))...)
			must(t, z.Connect(ep))
			for round := 0; round < 3; round++ {
				l := lsock(t, PULL)
				tr.lsrv(t, l)
				// libzmq closes a listener in its I/O thread, after
				// zmq_close returns: the port may still be taken a moment
				for i := 0; ; i++ {
					err := l.Bind(ep)
					if err == nil {
						break
					}
					if i == 100 {
						t.Fatal(err)
					}
					time.Sleep(10 * time.Millisecond)
				}
				must(t, l.SetInt(OptRcvTimeo, 50))
				// the first messages of a round may go to the old connection
				deadline := time.Now().Add(wait)
				for n := 0; ; n++ {
					zsend(t, z, fmt.Sprintf("round %d msg %d", round, n))
					if got, err := l.Recv(); err == nil {
						if !strings.HasPrefix(got[0], fmt.Sprintf("round %d ", round)) {
							t.Fatalf("got %q", got)
						}
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("zmqkit did not reconnect")
					}
				}
				l.Close()
			}
		})
		t.Run(tr.scheme+"/zmqkit restarts", func(t *testing.T) {
			ep := tr.freeEP(t)
			l := lsock(t, PUSH)
			must(t, l.SetInt(OptReconnectIvl, 20))
			tr.lconnect(t, l, ep)
			c := zctx(t)
			for round := 0; round < 3; round++ {
				z, err := c.NewSocket(core.PULL, tr.zopts(true, core.WithLinger(0))...)
				must(t, err)
				must(t, z.Bind(ep))
				must(t, l.Send([]byte(fmt.Sprintf("round %d", round))))
				m := zrecv(t, z)
				if got := frames(m); !eq(got, fmt.Sprintf("round %d", round)) {
					t.Fatalf("got %q", got)
				}
				z.Close()
			}
		})
	}
}

// The bare ZWS2.0 subprotocol against libzmq: a zmqkit client offering it
// first gets it (libzmq takes the client's order), and speaks it.
func TestBareZWS(t *testing.T) {
	for _, tr := range transports(t) {
		t.Run(tr.scheme, func(t *testing.T) {
			l := lsock(t, ROUTER)
			ep := tr.lbind(t, l)
			z := zsock(t, zctx(t), core.DEALER, tr.zopts(false, core.WithRoutingID([]byte("bare")),
				core.WithTransportOption(ws.BareFirst(true)))...)
			must(t, z.Connect(ep))
			zsend(t, z, "hello")
			if got := lrecv(t, l); !eq(got, "bare", "hello") {
				t.Fatalf("libzmq ROUTER got %q", got)
			}
			must(t, l.Send([]byte("bare"), []byte("back")))
			if got := frames(zrecv(t, z)); !eq(got, "back") {
				t.Fatalf("zmqkit DEALER got %q", got)
			}
		})
	}
}

// What libzmq's client sends (the request zmqkit's server must take) and
// what its server answers: ZMQKIT_CAPTURE=dir writes them as fuzz seeds.
func TestLibzmqHandshake(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer ln.Close()
	l := lsock(t, DEALER)
	must(t, l.Connect("ws://"+ln.Addr().String()+"/capture"))
	c, err := ln.Accept()
	must(t, err)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(wait))
	br := bufio.NewReader(c)
	req, err := http.ReadRequest(br)
	must(t, err)
	if got := req.Header.Get("Sec-WebSocket-Protocol"); got != "ZWS2.0/NULL,ZWS2.0" {
		t.Errorf("libzmq offers %q", got)
	}
	if req.URL.Path != "/capture" || req.Host != "127.0.0.1" {
		t.Errorf("libzmq requests %q with Host %q", req.URL, req.Host)
	}
	var raw strings.Builder
	_ = req.Write(&raw)

	// the server side's answer
	srv := lsock(t, ROUTER)
	ep := transports(t)[0].lbind(t, srv)
	nc, err := net.Dial("tcp", strings.TrimSuffix(strings.TrimPrefix(ep, "ws://"), "/zmq"))
	must(t, err)
	defer nc.Close()
	_ = nc.SetDeadline(time.Now().Add(wait))
	fmt.Fprintf(nc, "GET /zmq HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Protocol: ZWS2.0/NULL,ZWS2.0\r\n\r\n")
	resp := make([]byte, 4096)
	n, _ := nc.Read(resp)
	resp = resp[:n]
	if !strings.HasPrefix(string(resp), "HTTP/1.1 101 Switching Protocols\r\n") ||
		!strings.Contains(string(resp), "ZWS2.0/NULL") {
		t.Errorf("libzmq answers %q", resp)
	}
	if dir := os.Getenv("ZMQKIT_CAPTURE"); dir != "" {
		write := func(target, name, content string) {
			p := filepath.Join(dir, "testdata", "fuzz", target, name)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, []byte(content), 0o644))
		}
		write("FuzzServerHandshake", "libzmq-4.3.4-client",
			fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nstring(\"NULL\")\n", raw.String()))
		write("FuzzClientHandshake", "libzmq-4.3.4-server", fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", string(resp)))
	}
	_ = context.Background
}
