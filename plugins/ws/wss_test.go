package ws_test

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

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

// testPKI is a CA and a server certificate for localhost and 127.0.0.1,
// PEM encoded.
type testPKI struct {
	caPEM, certPEM, keyPEM []byte
	pair                   tls.Certificate
	pool                   *x509.CertPool
}

func newPKI(t testing.TB) *testPKI {
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
	p := &testPKI{
		caPEM:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyPEM:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}),
		pool:    x509.NewCertPool(),
	}
	p.pool.AddCert(caCert)
	if p.pair, err = tls.X509KeyPair(p.certPEM, p.keyPEM); err != nil {
		t.Fatal(err)
	}
	return p
}

func (p *testPKI) serverOpts() []core.Option {
	return []core.Option{core.WithTransportOption(ws.CertPEM(p.certPEM)), core.WithTransportOption(ws.KeyPEM(p.keyPEM))}
}

func TestWSS(t *testing.T) {
	pki := newPKI(t)
	trust := core.WithTransportOption(ws.TrustPEM(pki.caPEM))
	ok := func(t *testing.T, srvOpts, cliOpts []core.Option, connectHost string) {
		t.Helper()
		zctx := newCtx(t)
		pull := sock(t, zctx, core.PULL, srvOpts...)
		if err := pull.Bind("wss://127.0.0.1:*/secure"); err != nil {
			t.Fatal(err)
		}
		ep := pull.LastEndpoint()
		if !strings.HasPrefix(ep, "wss://127.0.0.1:") {
			t.Fatalf("LastEndpoint %q", ep)
		}
		push := sock(t, zctx, core.PUSH, cliOpts...)
		ev := watch(t, push)
		if err := push.Connect(strings.Replace(ep, "127.0.0.1", connectHost, 1)); err != nil {
			t.Fatal(err)
		}
		big := strings.Repeat("s", 100<<10)
		for i := 0; i < 20; i++ {
			sendString(t, push, "m", big)
			if got := recvString(t, pull); got[1] != big {
				t.Fatal("corrupted")
			}
		}
		expectEvents(t, ev, core.EventConnectDelayed, core.EventConnected, core.EventHandshakeSucceeded)
	}
	t.Run("hostname verified", func(t *testing.T) {
		ok(t, pki.serverOpts(), []core.Option{trust, core.WithTransportOption(ws.Hostname("localhost"))}, "localhost")
	})
	t.Run("chain only", func(t *testing.T) {
		// libzmq without WSS_HOSTNAME verifies the chain, not the name
		ok(t, pki.serverOpts(), []core.Option{trust}, "127.0.0.1")
	})
	t.Run("tls.Config", func(t *testing.T) {
		srv := core.WithTransportOption(ws.TLSConfig(&tls.Config{Certificates: []tls.Certificate{pki.pair}}))
		cli := core.WithTransportOption(ws.TLSConfig(&tls.Config{RootCAs: pki.pool}))
		ok(t, []core.Option{srv}, []core.Option{cli}, "localhost") // ServerName from the endpoint
	})
	t.Run("mechanisms", func(t *testing.T) {
		srv := append(pki.serverOpts(), core.WithRouterMandatory(true))
		zctx := newCtx(t)
		r := sock(t, zctx, core.ROUTER, srv...)
		if err := r.Bind("wss://127.0.0.1:*/r"); err != nil {
			t.Fatal(err)
		}
		d := sock(t, zctx, core.DEALER, trust, core.WithRoutingID([]byte("d")),
			core.WithTransportOption(ws.BareFirst(true)))
		if err := d.Connect(r.LastEndpoint()); err != nil {
			t.Fatal(err)
		}
		sendString(t, d, "x")
		if got := recvString(t, r); got[0] != "d" || got[1] != "x" {
			t.Fatalf("%q", got)
		}
	})

	// Certificate and name failures: a clear error on the monitor event
	// libzmq gives (HANDSHAKE_FAILED_NO_DETAIL, then DISCONNECTED), and a
	// reconnect, as libzmq does.
	for _, tc := range []struct {
		name string
		opts []core.Option
		want string
	}{
		{"untrusted", nil, "unknown authority"},
		{"wrong name", []core.Option{trust, core.WithTransportOption(ws.Hostname("other.example"))}, "other.example"},
		{"system CAs only", []core.Option{core.WithTransportOption(ws.TrustSystem(true))}, "unknown authority"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			zctx := newCtx(t)
			pull := sock(t, zctx, core.PULL, pki.serverOpts()...)
			sev := watch(t, pull)
			if err := pull.Bind("wss://127.0.0.1:*/secure"); err != nil {
				t.Fatal(err)
			}
			push := sock(t, zctx, core.PUSH, append(tc.opts, core.WithReconnectInterval(50*time.Millisecond))...)
			ev := watch(t, push)
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			got := expectEvents(t, ev, core.EventConnected, core.EventHandshakeFailedNoDetail, core.EventDisconnected,
				core.EventConnectRetried)
			if got[1].Err == nil || !strings.Contains(got[1].Err.Error(), tc.want) {
				t.Errorf("error %v, want it to say %q", got[1].Err, tc.want)
			}
			expectEvents(t, sev, core.EventAccepted, core.EventHandshakeFailedNoDetail, core.EventDisconnected)
			expectNothing(t, pull, 10*time.Millisecond)
		})
	}

	// Plaintext to a wss endpoint, and TLS to a ws one, fail cleanly: a
	// protocol error on both sides, no reconnect.
	t.Run("plaintext to wss", func(t *testing.T) {
		zctx := newCtx(t)
		pull := sock(t, zctx, core.PULL, pki.serverOpts()...)
		sev := watch(t, pull)
		if err := pull.Bind("wss://127.0.0.1:*/secure"); err != nil {
			t.Fatal(err)
		}
		push := sock(t, zctx, core.PUSH, core.WithReconnectInterval(20*time.Millisecond))
		ev := watch(t, push)
		if err := push.Connect("ws" + strings.TrimPrefix(pull.LastEndpoint(), "wss")); err != nil {
			t.Fatal(err)
		}
		expectEvents(t, ev, core.EventConnected, core.EventHandshakeFailedProtocol, core.EventDisconnected)
		expectEvents(t, sev, core.EventAccepted, core.EventHandshakeFailedProtocol, core.EventDisconnected)
		noEvent(t, ev, 200*time.Millisecond, core.EventConnected)
	})
	t.Run("TLS to ws", func(t *testing.T) {
		zctx := newCtx(t)
		pull := sock(t, zctx, core.PULL)
		if err := pull.Bind("ws://127.0.0.1:*/plain"); err != nil {
			t.Fatal(err)
		}
		push := sock(t, zctx, core.PUSH, trust, core.WithReconnectInterval(20*time.Millisecond))
		ev := watch(t, push)
		if err := push.Connect("wss" + strings.TrimPrefix(pull.LastEndpoint(), "ws")); err != nil {
			t.Fatal(err)
		}
		expectEvents(t, ev, core.EventConnected, core.EventHandshakeFailedProtocol, core.EventDisconnected)
		noEvent(t, ev, 200*time.Millisecond, core.EventConnected)
	})
	t.Run("bind without certificate", func(t *testing.T) {
		s := sock(t, newCtx(t), core.PULL)
		if err := s.Bind("wss://127.0.0.1:*/x"); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("Bind: %v, want ErrInvalid", err)
		}
		s2 := sock(t, newCtx(t), core.PULL, core.WithTransportOption(ws.CertPEM([]byte("junk"))),
			core.WithTransportOption(ws.KeyPEM([]byte("junk"))))
		if err := s2.Bind("wss://127.0.0.1:*/x"); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("Bind with a bad certificate: %v, want ErrInvalid", err)
		}
	})
}
