package registry_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

type fakeTransport struct{ schemes []string }

func (f fakeTransport) Schemes() []string    { return f.schemes }
func (f fakeTransport) Kind() transport.Kind { return transport.KindStream }
func (f fakeTransport) Listen(context.Context, string, string, *transport.Config) (transport.Listener, error) {
	return nil, transport.ErrNotSupported
}
func (f fakeTransport) Dial(context.Context, string, string, *transport.Config) (transport.Conn, error) {
	return nil, transport.ErrNotSupported
}

type fakeMech struct{ name string }

func (m fakeMech) Name() string { return m.name }
func (m fakeMech) NewSession(*mechanism.Config) (mechanism.Session, error) {
	return nil, errors.New("fake")
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Fatalf("%s: no panic", name)
		}
	}()
	f()
}

func TestRegisterAndLookup(t *testing.T) {
	r := registry.New()
	r.RegisterTransport(fakeTransport{[]string{"ws", "wss"}})
	r.RegisterMechanism(fakeMech{"PLAIN"})
	if got := strings.Join(r.Transports(), ","); got != "ws,wss" {
		t.Fatalf("Transports() = %q", got)
	}
	if got := strings.Join(r.Mechanisms(), ","); got != "PLAIN" {
		t.Fatalf("Mechanisms() = %q", got)
	}
	if _, err := r.Transport("wss"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Mechanism("PLAIN"); err != nil {
		t.Fatal(err)
	}
	c := r.Clone()
	c.RegisterTransport(fakeTransport{[]string{"tcp"}})
	if _, err := r.Transport("tcp"); err == nil {
		t.Fatal("Clone shares its table with the original")
	}
}

func TestRegisterPanics(t *testing.T) {
	r := registry.New()
	r.RegisterTransport(fakeTransport{[]string{"tcp"}})
	r.RegisterMechanism(fakeMech{"CURVE"})
	for _, tc := range []struct {
		name string
		f    func()
	}{
		{"nil transport", func() { r.RegisterTransport(nil) }},
		{"no scheme", func() { r.RegisterTransport(fakeTransport{}) }},
		{"duplicate scheme", func() { r.RegisterTransport(fakeTransport{[]string{"udp", "tcp"}}) }},
		{"nil mechanism", func() { r.RegisterMechanism(nil) }},
		{"duplicate mechanism", func() { r.RegisterMechanism(fakeMech{"CURVE"}) }},
		{"empty mechanism name", func() { r.RegisterMechanism(fakeMech{""}) }},
		{"long mechanism name", func() { r.RegisterMechanism(fakeMech{strings.Repeat("X", 21)}) }},
	} {
		mustPanic(t, tc.name, tc.f)
	}
	// a failed duplicate registration registers nothing
	if _, err := r.Transport("udp"); err == nil {
		t.Fatal("partially registered a transport that panicked")
	}
}

func TestUnknownNamesThePackage(t *testing.T) {
	r := registry.New()
	for _, tc := range []struct{ scheme, hint string }{
		{"tcp", `import _ "github.com/zmqkit/zmqkit/plugins/tcp" (or plugins/all)`},
		{"ipc", `import _ "github.com/zmqkit/zmqkit/plugins/ipc" (or plugins/all)`},
		{"inproc", `import _ "github.com/zmqkit/zmqkit/plugins/inproc" (or plugins/all)`},
		{"carrier-pigeon", "no zmqkit plugin provides it, and none is registered"},
	} {
		_, err := r.Transport(tc.scheme)
		var ue *registry.UnknownError
		if !errors.Is(err, registry.ErrUnknownTransport) || !errors.As(err, &ue) || ue.Hint() != tc.hint {
			t.Errorf("%s: %v", tc.scheme, err)
		}
		if errors.Is(err, registry.ErrUnknownMechanism) {
			t.Errorf("%s: matches ErrUnknownMechanism", tc.scheme)
		}
	}
	_, err := r.Mechanism("CURVE")
	if !errors.Is(err, registry.ErrUnknownMechanism) || !strings.Contains(err.Error(), `import _ "github.com/zmqkit/zmqkit/plugins/curve"`) {
		t.Fatal(err)
	}
	_, err = r.Mechanism("GSSAPI")
	if !errors.Is(err, registry.ErrUnknownMechanism) || !strings.Contains(err.Error(), `unknown mechanism "GSSAPI": zmqkit does not implement it`) {
		t.Fatal(err)
	}
	// a scheme no plugin of the module provides lists what is registered
	r.RegisterTransport(fakeTransport{[]string{"tcp"}})
	_, err = r.Transport("nosuch")
	if err == nil || !strings.HasSuffix(err.Error(), "no zmqkit plugin provides it; registered: tcp") {
		t.Fatal(err)
	}
}

// The unknown-scheme errors name only plugin packages that exist: every
// package named for a scheme that does not exist in plugins/ would send
// users to an import that fails to compile.
func TestUnknownNamesOnlyRealPackages(t *testing.T) {
	r := registry.New()
	for _, scheme := range []string{"tcp", "ipc", "inproc", "udp", "ws", "wss", "vmci", "vsock", "pgm", "epgm", "norm", "tipc"} {
		_, err := r.Transport(scheme)
		var ue *registry.UnknownError
		if !errors.As(err, &ue) {
			t.Fatalf("%s: %v", scheme, err)
		}
		if ue.Package == "" {
			if strings.Contains(err.Error(), "zmqkit/plugins/") {
				t.Errorf("%s: names a package although none provides it: %v", scheme, err)
			}
			continue
		}
		dir := strings.TrimPrefix(ue.Package, "github.com/zmqkit/zmqkit/")
		if st, err := os.Stat(filepath.Join("..", dir)); err != nil || !st.IsDir() {
			t.Errorf("%s: names %s, which does not exist", scheme, ue.Package)
		}
	}
}

func TestSplitEndpoint(t *testing.T) {
	for _, tc := range []struct {
		in, scheme, addr string
		ok               bool
	}{
		{"tcp://127.0.0.1:5555", "tcp", "127.0.0.1:5555", true},
		{"inproc://a://b", "inproc", "a://b", true},
		{"tcp://", "", "", false},
		{"://x", "", "", false},
		{"tcp:/x", "", "", false},
		{"", "", "", false},
	} {
		s, a, err := registry.SplitEndpoint(tc.in)
		if (err == nil) != tc.ok || s != tc.scheme || a != tc.addr {
			t.Errorf("%q: %q %q %v", tc.in, s, a, err)
		}
		if err != nil && !errors.Is(err, transport.ErrInvalidEndpoint) {
			t.Errorf("%q: %v does not wrap ErrInvalidEndpoint", tc.in, err)
		}
	}
}

func TestReplaceAndUnregister(t *testing.T) {
	r := registry.New()
	a := &fakeTransport{[]string{"tcp"}}
	b := &fakeTransport{[]string{"tcp", "tcp6"}}
	r.RegisterTransport(a)
	if err := r.TryRegisterTransport(b); !errors.Is(err, registry.ErrRegistered) {
		t.Fatalf("TryRegisterTransport over tcp = %v, want ErrRegistered", err)
	}
	if got := strings.Join(r.Transports(), ","); got != "tcp" {
		t.Fatalf("a refused TryRegisterTransport registered something: %q", got)
	}
	old := r.ReplaceTransport(b)
	if len(old) != 1 || old["tcp"] != transport.Transport(a) {
		t.Fatalf("ReplaceTransport replaced %v, want tcp: a", old)
	}
	if got, _ := r.Transport("tcp6"); got != transport.Transport(b) {
		t.Fatalf("tcp6 is %v", got)
	}
	if r.UnregisterTransport("tcp", a) != nil {
		t.Fatal("UnregisterTransport with the wrong owner removed the entry")
	}
	if r.UnregisterTransport("tcp", b) != transport.Transport(b) || r.UnregisterTransport("tcp6", nil) == nil {
		t.Fatal("UnregisterTransport did not remove b")
	}
	if _, err := r.Transport("tcp"); !errors.Is(err, registry.ErrUnknownTransport) {
		t.Fatalf("tcp after unregistering: %v", err)
	}

	m1, m2 := &fakeMech{"CURVE"}, &fakeMech{"CURVE"}
	if err := r.TryRegisterMechanism(m1); err != nil {
		t.Fatal(err)
	}
	if err := r.TryRegisterMechanism(m2); !errors.Is(err, registry.ErrRegistered) {
		t.Fatalf("second TryRegisterMechanism = %v", err)
	}
	if r.ReplaceMechanism(m2) != mechanism.Mechanism(m1) {
		t.Fatal("ReplaceMechanism did not return m1")
	}
	if r.UnregisterMechanism("CURVE", m1) != nil || r.UnregisterMechanism("CURVE", m2) == nil {
		t.Fatal("UnregisterMechanism owner check")
	}
	if len(r.Mechanisms()) != 0 {
		t.Fatal("mechanism left")
	}
}
