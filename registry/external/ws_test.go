package external_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/ws"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// ws, a frame transport with its own handshake (the HTTP upgrade), modes
// (ZWS2.0/NULL|PLAIN|CURVE, bare ZWS2.0) and pings, out of process
// (cmd/zmqkit-plugin-ws): the conformance suite passes, and sockets
// behave as with the compiled-in ws, events included.
func TestWSConformance(t *testing.T) {
	reg, _ := shared(t, sharedFD)
	tr, err := reg.Transport("ws")
	if err != nil {
		t.Fatal(err)
	}
	transporttest.Run(t, transporttest.Factory{
		Transport: tr,
		Scheme:    "ws",
		Kind:      transport.KindFrame,
		Addr:      func(testing.TB) string { return "127.0.0.1:0/zmq" },
		Config: func() *transport.Config {
			return &transport.Config{KeepAlive: -1, KeepAliveCount: -1, MaxMsgSize: -1, Mechanism: "NULL"}
		},
		InvalidListen: []string{"127.0.0.1", "127.0.0.1:x", "[::1", ":5555", "127.0.0.1:5555/a b", "127.0.0.1:123456"},
		InvalidDial:   []string{"127.0.0.1", "*:5555", "127.0.0.1:*", "host:5555/a\nb", "[::1]5555"},
		ExclusiveBind: true,
	})
}

func TestWSSockets(t *testing.T) {
	reg, _ := shared(t, sharedFD)
	wsModes := func(t *testing.T, f func(e *frameEnv) string) {
		t.Helper()
		var got [2]string
		for i, m := range []struct {
			name string
			reg  *registry.Registry
		}{{"in", registry.Default}, {"out", reg}} {
			if !t.Run(m.name, func(t *testing.T) {
				got[i] = f(&frameEnv{t: t, name: m.name, reg: m.reg, ctx: newCtx(t, m.reg)})
			}) {
				return
			}
		}
		if got[0] != got[1] {
			t.Errorf("in and out of process differ:\n in:  %s\n out: %s", got[0], got[1])
		}
	}
	t.Run("NULL, events", func(t *testing.T) {
		wsModes(t, func(e *frameEnv) string {
			pull := e.sock(core.PULL)
			bev, _ := pull.WatchEvents(tctx(e.t), core.EventAll)
			if err := pull.Bind("ws://127.0.0.1:*/zmq"); err != nil {
				e.t.Fatal(err)
			}
			push := e.sock(core.PUSH)
			cev, _ := push.WatchEvents(tctx(e.t), core.EventAll)
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			pushPull(e.t, push, pull, 300, 1000)
			pushPull(e.t, push, pull, 5, 300<<10)
			b := eventsUntil(e.t, bev, core.EventListening, core.EventAccepted, core.EventHandshakeSucceeded)
			c := eventsUntil(e.t, cev, core.EventConnected, core.EventHandshakeSucceeded)
			push.Close()
			d := eventsUntil(e.t, bev, core.EventDisconnected)
			return kinds(b) + kinds(c) + kinds(d)
		})
	})
	t.Run("bare ZWS2.0", func(t *testing.T) {
		wsModes(t, func(e *frameEnv) string {
			rt := e.sock(core.ROUTER)
			if err := rt.Bind("ws://127.0.0.1:*/r"); err != nil {
				e.t.Fatal(err)
			}
			d := e.sock(core.DEALER, core.WithTransportOption(ws.BareFirst(true)), core.WithRoutingID([]byte("D")))
			if err := d.Connect(rt.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			send(e.t, d, "hello")
			return recvText(e.t, rt)
		})
	})
	t.Run("CURVE subprotocol, NULL refused", func(t *testing.T) {
		wsModes(t, func(e *frameEnv) string {
			a, err := auth.New(e.ctx)
			if err != nil {
				e.t.Fatal(err)
			}
			defer a.Close()
			a.AllowAnyCurve(auth.AnyDomain, true)
			srvOpt, cliOpt := curveOpts(e.t)
			pull := e.sock(core.PULL, srvOpt)
			if err := pull.Bind("ws://127.0.0.1:*/curve"); err != nil {
				e.t.Fatal(err)
			}
			push := e.sock(core.PUSH, cliOpt)
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			pushPull(e.t, push, pull, 100, 1000)
			// a NULL client can not talk to a CURVE server: no common
			// subprotocol, a protocol error
			null := e.sock(core.PUSH)
			nev, _ := null.WatchEvents(tctx(e.t), core.EventAll)
			if err := null.Connect(pull.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			got := eventsUntil(e.t, nev, core.EventHandshakeFailedProtocol)
			return kinds(got)
		})
	})
	t.Run("WebSocket pings keep the connection", func(t *testing.T) {
		wsModes(t, func(e *frameEnv) string {
			hb := core.WithHeartbeat(20*time.Millisecond, 0, 300*time.Millisecond)
			a := e.sock(core.PAIR, hb)
			ev, _ := a.WatchEvents(tctx(e.t), core.EventAll)
			if err := a.Bind("ws://127.0.0.1:*/hb"); err != nil {
				e.t.Fatal(err)
			}
			b := e.sock(core.PAIR, hb)
			if err := b.Connect(a.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			send(e.t, b, "x")
			got := recvText(e.t, a)
			noEventWithin(e.t, ev, time.Second, core.EventDisconnected)
			return got
		})
	})
	t.Run("wss with PEM options", func(t *testing.T) {
		caPEM, certPEM, keyPEM := testCerts(t)
		wsModes(t, func(e *frameEnv) string {
			pull := e.sock(core.PULL, core.WithTransportOption(ws.CertPEM(certPEM)), core.WithTransportOption(ws.KeyPEM(keyPEM)))
			if err := pull.Bind("wss://127.0.0.1:*/s"); err != nil {
				e.t.Fatal(err)
			}
			push := e.sock(core.PUSH, core.WithTransportOption(ws.TrustPEM(caPEM)))
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				e.t.Fatal(err)
			}
			pushPull(e.t, push, pull, 50, 1000)
			return "ok"
		})
	})
	t.Run("a *tls.Config can not cross", func(t *testing.T) {
		zctx := newCtx(t, reg)
		s := sock(t, zctx, core.PULL, core.WithTransportOption(ws.TLSConfig(&tls.Config{})))
		err := s.Bind("wss://127.0.0.1:*/x")
		if err == nil || !errors.Is(err, transport.ErrNotSupported) || !strings.Contains(err.Error(), ws.OptTLSConfig) {
			t.Fatalf("Bind with a *tls.Config out of process: %v", err)
		}
	})
	t.Run("compiled-in peer", func(t *testing.T) {
		out := newCtx(t, reg)
		in := newCtx(t, registry.Default)
		pull := sock(t, out, core.PULL)
		if err := pull.Bind("ws://127.0.0.1:*/mixed"); err != nil {
			t.Fatal(err)
		}
		push := sock(t, in, core.PUSH)
		if err := push.Connect(pull.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		pushPull(t, push, pull, 200, 100)
	})
}

func kinds(evs []core.MonitorEvent) string {
	var b strings.Builder
	for _, e := range evs {
		b.WriteString(e.Event.String())
		b.WriteByte(' ')
	}
	return b.String()
}

var _ = curve.NewKeyPair

// testCerts returns a CA and a certificate for 127.0.0.1 signed by it,
// with its key, PEM encoded.
func testCerts(t *testing.T) (caPEM, certPEM, keyPEM []byte) {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zmqkit test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	caCert, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
}
