//go:build unix

package vmci_test

import (
	"os"
	"testing"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/vmci/vmcitest"
	"github.com/zmqkit/zmqkit/registry"
	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/external/serve"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// The test binary is also a plugin binary (go-plugin's helper-process
// pattern): with this variable set it serves the vmci transport on the
// fake layer (machine CID 3, loopback on) instead of running tests, as
// cmd/zmqkit-plugin-vmci serves the real one.
const pluginEnv = "ZMQKIT_VMCI_TEST_PLUGIN"

func TestMain(m *testing.M) {
	if os.Getenv(pluginEnv) != "" {
		n := vmcitest.NewNetwork()
		n.EnableLoopback()
		serve.Main(n.Machine(3).Transport())
		n.Close()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// loadPlugin loads the transport out of process into a new registry.
func loadPlugin(t *testing.T) *registry.Registry {
	t.Helper()
	reg := registry.New()
	for _, name := range registry.Default.Mechanisms() {
		if mech, err := registry.Default.Mechanism(name); err == nil {
			reg.RegisterMechanism(mech)
		}
	}
	if tr, err := registry.Default.Transport("inproc"); err == nil {
		reg.RegisterTransport(tr) // ZAP
	}
	p, err := external.Load(reg, os.Args[0], external.Options{
		Name: "vmci-fake", IdleTimeout: -1,
		Env: []string{pluginEnv + "=1", "GORACE=atexit_sleep_ms=0"},
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	t.Cleanup(func() { p.Close() })
	return reg
}

// Out of process, the plugin binds, accepts and connects, and hands each
// connection's descriptor to this process, whose engine does the I/O.
func TestOutOfProcess(t *testing.T) {
	reg := loadPlugin(t)
	tr, err := reg.Transport("vsock")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.Transport("vmci"); err != nil {
		t.Fatal(err)
	}
	t.Run("Conformance", func(t *testing.T) {
		transporttest.Run(t, transporttest.Factory{
			Transport:     tr,
			Scheme:        "vsock",
			Kind:          transport.KindStream,
			Addr:          func(testing.TB) string { return "3:*" },
			InvalidListen: invalidListen,
			InvalidDial:   invalidDial,
			ExclusiveBind: true,
		})
	})
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			sc.run(t, world{
				host:     newContext(t, core.WithRegistry(reg)),
				guest:    newContext(t, core.WithRegistry(reg)),
				bind:     "vsock://3:*",
				dialTo:   func(ep string) string { return ep },
				guestCID: "3",
				hostCID:  "3",
			})
		})
	}
}
