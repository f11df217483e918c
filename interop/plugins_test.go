//go:build cgo && !nolibzmq

package interop

import (
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/auth"
	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

// Out-of-process plugins against libzmq: a zmqkit socket whose tcp
// transport and CURVE mechanism are both served by plugin processes
// (registry/external) talks to a libzmq peer, as server and as client,
// binding and connecting; its monitor events are those of the same socket
// with compiled-in plugins.
//
// The test binary is its own plugin binary (go-plugin's helper-process
// pattern): with pluginEnv set, TestMain serves what it names.
const pluginEnv = "ZMQKIT_INTEROP_PLUGIN"

// servePlugin serves the plugin named which and exits.
func servePlugin(which string) {
	switch which {
	case "tcp":
		serve.Main(tcp.New())
	case "curve":
		serve.Main(&curve.Mechanism{})
	}
	fmt.Fprintln(os.Stderr, "unknown plugin", which)
	os.Exit(2)
}

// loadPlugins returns a registry where tcp and CURVE are served out of
// process, each by its own plugin process (the CURVE data phase in this
// process with handOff).
func loadPlugins(t *testing.T, handOff bool) *registry.Registry {
	t.Helper()
	reg := registry.Default.Clone()
	for _, which := range []string{"tcp", "curve"} {
		p, err := external.Load(reg, os.Args[0], external.Options{
			Name: which, Replace: true, HandOff: handOff && which == "curve", IdleTimeout: -1,
			Env: []string{pluginEnv + "=" + which, "GORACE=atexit_sleep_ms=0"},
		})
		if err != nil {
			t.Fatalf("loading the %s plugin: %v", which, err)
		}
		t.Cleanup(func() { p.Close() })
	}
	// the socket's tcp and CURVE are the plugins' adapters
	for _, name := range []string{"tcp", "CURVE"} {
		var mine, builtin any
		if name == "tcp" {
			mine, _ = reg.Transport(name)
			builtin, _ = registry.Default.Transport(name)
		} else {
			mine, _ = reg.Mechanism(name)
			builtin, _ = registry.Default.Mechanism(name)
		}
		if mine == builtin {
			t.Fatalf("%s is still the compiled-in one", name)
		}
	}
	return reg
}

func TestOutOfProcessTCPAndCURVE(t *testing.T) {
	srv, cli, stranger := keyPair(t), keyPair(t), keyPair(t)
	cases := []secCase{
		{name: "good", ok: true, userID: cli.PublicZ85(),
			kitCli: []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, cli))},
			libCli: []libOption{libCurveClient(srv.Public, cli)}},
		{name: "unknown-client-key", serverEv: auth400(), clientEv: auth400(),
			kitCli: []core.Option{core.WithMechanism(curve.ClientKeys(srv.Public, stranger))},
			libCli: []libOption{libCurveClient(srv.Public, stranger)}},
	}
	for i := range cases {
		cases[i].kitServer = []core.Option{core.WithMechanism(curve.ServerKeys(srv))}
		cases[i].libServer = []libOption{libCurveServer(srv)}
	}
	for _, mode := range []struct {
		name    string
		handOff bool
	}{{"plugin-data-phase", false}, {"handed-off-data-phase", true}} {
		t.Run(mode.name, func(t *testing.T) {
			reg := loadPlugins(t, mode.handOff)
			for _, c := range cases {
				for _, kitSrv := range []bool{true, false} {
					role := "zmqkit-binds-as-server"
					if !kitSrv {
						role = "libzmq-binds-as-server"
					}
					t.Run(c.name+"/"+role, func(t *testing.T) {
						run := func(opts ...core.ContextOption) []core.Event {
							e := newSecEnv(t, opts...)
							if err := e.auth.AllowCurveKeys(auth.AnyDomain, cli.PublicZ85()); err != nil {
								t.Fatal(err)
							}
							e.zapKeys[cli.PublicZ85()] = true
							rec := runSecCase(t, e, c, "tcp", kitSrv)
							return rec.upTo(t, c.ok, kitSrv)
						}
						out := run(core.WithRegistry(reg))
						in := run()
						if !slices.Equal(in, out) {
							t.Errorf("monitor events differ:\n compiled in:    %v\n out of process: %v", in, out)
						}
					})
				}
			}
		})
	}
}

// upTo waits for the zmqkit socket's events up to the handshake's
// outcome and returns their kinds.
func (r *evRec) upTo(t *testing.T, ok, server bool) []core.Event {
	t.Helper()
	want := []core.Event{core.EventConnectDelayed, core.EventConnected}
	if server {
		want = []core.Event{core.EventListening, core.EventAccepted}
	}
	if ok {
		want = append(want, core.EventHandshakeSucceeded)
	} else {
		want = append(want, core.EventHandshakeFailedAuth) // 400, both sides
	}
	deadline := time.Now().Add(opTimeout)
	for {
		r.mu.Lock()
		var got []core.Event
		for _, e := range r.evs {
			got = append(got, e.ev)
		}
		r.mu.Unlock()
		if len(got) >= len(want) {
			got = got[:len(want)]
			if !slices.Equal(got, want) {
				t.Errorf("zmqkit events %v, want %v", got, want)
			}
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("zmqkit events %v, want %v", got, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
