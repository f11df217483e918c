package core_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/registry/transport"
)

// fakeTransport stands for a transport registered by a plugin (in process
// or served by a plugin binary): Has only looks at the registry.
type fakeTransport struct{ schemes []string }

func (f fakeTransport) Schemes() []string    { return f.schemes }
func (f fakeTransport) Kind() transport.Kind { return transport.KindStream }
func (f fakeTransport) Listen(context.Context, string, string, *transport.Config) (transport.Listener, error) {
	return nil, errors.New("fake")
}
func (f fakeTransport) Dial(context.Context, string, string, *transport.Config) (transport.Conn, error) {
	return nil, errors.New("fake")
}

type fakeMechanism struct{ name string }

func (f fakeMechanism) Name() string { return f.name }
func (f fakeMechanism) NewSession(*mechanism.Config) (mechanism.Session, error) {
	return nil, errors.New("fake")
}

func TestHasAnswersFromTheRegistry(t *testing.T) {
	r := registry.New()
	zctx := core.NewContext(core.WithRegistry(r))
	defer zctx.Term()
	libzmqNames := []string{"ipc", "pgm", "tipc", "norm", "curve", "gssapi", "WS", "WSS", "vmci", "vsock"}
	for _, name := range libzmqNames {
		if zctx.Has(name) {
			t.Errorf("empty registry: Has(%q) = true", name)
		}
	}
	if !zctx.Has("draft") || !zctx.Has("null") {
		t.Error(`Has("draft") and Has("null") must be true`)
	}
	if zctx.Has("") || zctx.Has("bogus") {
		t.Error("unknown capabilities must be false")
	}
	r.RegisterTransport(fakeTransport{[]string{"ws", "wss"}})
	r.RegisterTransport(fakeTransport{[]string{"vmci", "vsock"}})
	r.RegisterTransport(fakeTransport{[]string{"pgm", "epgm"}})
	r.RegisterMechanism(fakeMechanism{"CURVE"})
	for name, want := range map[string]bool{
		"WS": true, "ws": true, "WSS": true, "vmci": true, "vsock": true, "pgm": true, "epgm": true,
		"curve": true, "CURVE": true, "plain": false, "gssapi": false, "tipc": false, "norm": false, "ipc": false,
	} {
		if got := zctx.Has(name); got != want {
			t.Errorf("after registering: Has(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestHasDefaultRegistry(t *testing.T) {
	// this test binary imports plugins/all: ipc, curve and plain are there
	for _, name := range []string{"ipc", "curve", "plain", "tcp", "inproc", "udp", "draft"} {
		if !core.Has(name) {
			t.Errorf("Has(%q) = false with plugins/all imported", name)
		}
	}
	for _, name := range []string{"tipc", "norm", "gssapi"} {
		if core.Has(name) {
			t.Errorf("Has(%q) = true; no plugin provides it", name)
		}
	}
	// the transports other plugins provide count exactly when registered
	for _, name := range []string{"pgm", "WS", "WSS", "vmci", "vsock"} {
		want := slices.Contains(registry.Default.Transports(), map[string]string{"WS": "ws", "WSS": "wss"}[name]) ||
			slices.Contains(registry.Default.Transports(), name)
		if got := core.Has(name); got != want {
			t.Errorf("Has(%q) = %v, registry.Default.Transports() = %v", name, got, registry.Default.Transports())
		}
	}
}

// zmq_has's names, with plugins/all (every compiled-in plugin) imported,
// as this test binary does: libzmq's answers for a build with every
// transport zmqkit has, and false for what zmqkit lacks.
func TestHasLibzmqNamesWithPluginsAll(t *testing.T) {
	for name, want := range map[string]bool{
		"ipc": true, "pgm": true, "tipc": false, "norm": false, "curve": true, "gssapi": false,
		"draft": true, "ws": true, "wss": true, "WS": true, "WSS": true, "vmci": true, "vsock": true,
	} {
		if got := core.Has(name); got != want {
			t.Errorf("Has(%q) = %v, want %v (registry.Default.Transports() = %v)", name, got, want, registry.Default.Transports())
		}
	}
}
