//go:build cgo && zmqdraft

package wsdraft

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	"github.com/zmqkit/zmqkit/plugins/ws"

	"github.com/zmqkit/zmqkit/internal/freeport"
)

// lib is the libzmq context every test shares; each test closes its own
// libzmq sockets.
var lib *Ctx

const wait = 5 * time.Second

func TestMain(m *testing.M) {
	lib = NewCtx()
	code := m.Run()
	done := make(chan error, 1)
	go func() { done <- lib.Term() }()
	select {
	case err := <-done:
		if err != nil {
			fmt.Fprintln(os.Stderr, "wsdraft: libzmq context term:", err)
			code = 1
		}
	case <-time.After(10 * time.Second):
		fmt.Fprintln(os.Stderr, "wsdraft: libzmq context term hung (a libzmq socket was left open)")
		code = 1
	}
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "wsdraft: goroutines leaked:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestLibzmqBuild checks that the peer is the draft build with ws and
// wss (scripts/prereq/20-libzmq-draft.sh), not Debian's libzmq.
func TestLibzmqBuild(t *testing.T) {
	a, b, c := Version()
	t.Logf("libzmq %d.%d.%d draft=%v ws=%v wss=%v curve=%v", a, b, c, Has("draft"), Has("WS"), Has("WSS"), Has("curve"))
	if a != 4 || b != 3 {
		t.Fatalf("libzmq %d.%d.%d, want 4.3.x", a, b, c)
	}
	for _, capability := range []string{"draft", "WS", "WSS", "curve"} {
		if !Has(capability) {
			t.Fatalf("this libzmq has no %s: link the draft build (PKG_CONFIG_PATH=$ZMQKIT_LIBZMQ_DRAFT/lib/pkgconfig, "+
				"rpath to its lib; see scripts/test.sh)", capability)
		}
	}
}

// ---------------------------------------------------------------------
// zmqkit side

func zctx(t *testing.T) *core.Context {
	t.Helper()
	c := core.NewContext()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.TermContext(ctx)
	})
	return c
}

func zsock(t *testing.T, c *core.Context, typ core.SocketType, opts ...core.Option) *core.Socket {
	t.Helper()
	s, err := c.NewSocket(typ, append([]core.Option{core.WithLinger(0)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func zsend(t *testing.T, s *core.Socket, frames ...string) {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if err := s.Send(c, core.NewMsgString(frames...)); err != nil {
		t.Fatalf("zmqkit %v send: %v", s.Type(), err)
	}
}

func zrecv(t *testing.T, s *core.Socket) core.Msg {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	m, err := s.Recv(c)
	if err != nil {
		t.Fatalf("zmqkit %v recv: %v", s.Type(), err)
	}
	return m
}

func ztryRecv(s *core.Socket, d time.Duration) (core.Msg, bool) {
	c, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	m, err := s.Recv(c)
	return m, err == nil
}

func frames(m core.Msg) []string {
	out := make([]string, len(m.Frames))
	for i, f := range m.Frames {
		out[i] = string(f)
	}
	return out
}

func eq(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------
// libzmq side

func lsock(t *testing.T, typ int) *Sock {
	t.Helper()
	s, err := lib.Socket(typ)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func lrecv(t *testing.T, s *Sock) []string {
	t.Helper()
	m, err := s.Recv()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// ---------------------------------------------------------------------
// transports: ws, and wss with a test CA

type pki struct{ ca, cert, key []byte }

var (
	pkiOnce sync.Once
	thePKI  pki
)

func testPKI(t *testing.T) pki {
	pkiOnce.Do(func() {
		caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		ca := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "zmqkit interop CA"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
		caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
		if err != nil {
			panic(err)
		}
		caCert, _ := x509.ParseCertificate(caDER)
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		leaf := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "localhost"},
			DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		der, err := x509.CreateCertificate(rand.Reader, leaf, caCert, &key.PublicKey, caKey)
		if err != nil {
			panic(err)
		}
		kder, _ := x509.MarshalPKCS8PrivateKey(key)
		thePKI = pki{
			ca:   pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
			cert: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			key:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
		}
	})
	return thePKI
}

// transport says how each side binds and connects over one scheme.
type transport struct {
	scheme string
	// options of a zmqkit server and client
	zsrv, zcli []core.Option
	// libzmq server and client set-up
	lsrv, lcli func(t *testing.T, s *Sock)
}

func transports(t *testing.T) []transport {
	p := testPKI(t)
	return []transport{
		{scheme: "ws", lsrv: func(*testing.T, *Sock) {}, lcli: func(*testing.T, *Sock) {}},
		{scheme: "wss",
			zsrv: []core.Option{core.WithTransportOption(ws.CertPEM(p.cert)), core.WithTransportOption(ws.KeyPEM(p.key))},
			zcli: []core.Option{core.WithTransportOption(ws.TrustPEM(p.ca)), core.WithTransportOption(ws.Hostname("localhost"))},
			lsrv: func(t *testing.T, s *Sock) {
				must(t, s.SetBytes(OptWSSCertPEM, p.cert))
				must(t, s.SetBytes(OptWSSKeyPEM, p.key))
			},
			lcli: func(t *testing.T, s *Sock) {
				must(t, s.SetBytes(OptWSSTrustPEM, p.ca))
				must(t, s.SetBytes(OptWSSHostname, []byte("localhost")))
			}},
	}
}

// bindEP is what either side binds: a wildcard port on loopback, a path
// of one segment (libzmq 4.3 mis-parses longer ones).
func (tr transport) bindEP() string { return tr.scheme + "://127.0.0.1:*/zmq" }

// freeEP is an endpoint on a port nobody listens on now.
func (tr transport) freeEP(t *testing.T) string {
	return tr.scheme + "://" + freeport.MustTCP(t) + "/zmq"
}

// zbind binds a zmqkit socket; lconnect connects a libzmq one to it, and
// the other way round.
func (tr transport) zbind(t *testing.T, s *core.Socket) string {
	t.Helper()
	must(t, s.Bind(tr.bindEP()))
	return s.LastEndpoint()
}

func (tr transport) lbind(t *testing.T, s *Sock) string {
	t.Helper()
	tr.lsrv(t, s)
	must(t, s.Bind(tr.bindEP()))
	return s.LastEndpoint()
}

func (tr transport) lconnect(t *testing.T, s *Sock, ep string) {
	t.Helper()
	tr.lcli(t, s)
	must(t, s.Connect(ep))
}

// zopts returns the options of a zmqkit socket on the server or client side.
func (tr transport) zopts(server bool, more ...core.Option) []core.Option {
	if server {
		return append(append([]core.Option{}, tr.zsrv...), more...)
	}
	return append(append([]core.Option{}, tr.zcli...), more...)
}

// bigBody is a frame larger than 64 KiB.
var bigBody = string(bytes.Repeat([]byte("0123456789abcdef"), 5000))

var _ = strings.Repeat

func ctxWait() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), wait)
}
