// Package importtest checks that auth works in a program that imports
// only what it needs: auth, a transport and a mechanism, and no inproc
// plugin of its own (a test binary of its own, so nothing else registers
// inproc behind its back).
package importtest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry"
)

func TestAuthWithItsOwnImports(t *testing.T) {
	zc := core.NewContext()
	defer zc.Term()
	a, err := auth.New(zc)
	if err != nil {
		t.Fatalf("auth.New without importing plugins/inproc: %v", err)
	}
	defer a.Close()
	a.SetUsers(auth.AnyDomain, map[string]string{"admin": "secret"})
	pull, err := zc.NewSocket(core.PULL, core.WithLinger(0), core.WithMechanism(plain.Server()))
	if err != nil {
		t.Fatal(err)
	}
	if err := pull.Bind("tcp://127.0.0.1:*"); err != nil {
		t.Fatal(err)
	}
	push, err := zc.NewSocket(core.PUSH, core.WithLinger(0), core.WithMechanism(plain.Client("admin", "secret")))
	if err != nil {
		t.Fatal(err)
	}
	if err := push.Connect(pull.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	c, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := push.SendString(c, "hi"); err != nil {
		t.Fatal(err)
	}
	m, err := pull.Recv(c)
	if err != nil {
		t.Fatal(err)
	}
	if uid, _ := m.Property("User-Id"); uid != "admin" {
		t.Fatalf("User-Id %q", uid)
	}
}

// A context with a registry of its own that lacks inproc gets an error
// that says what to import.
func TestAuthPrivateRegistryWithoutInproc(t *testing.T) {
	r := registry.New()
	r.RegisterTransport(tcp.New())
	zc := core.NewContext(core.WithRegistry(r))
	defer zc.Term()
	_, err := auth.New(zc)
	if !errors.Is(err, registry.ErrUnknownTransport) || !strings.Contains(err.Error(), `import _ "github.com/zmqkit/zmqkit/plugins/inproc"`) {
		t.Fatalf("auth.New: %v", err)
	}
}
