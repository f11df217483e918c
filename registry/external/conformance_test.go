package external_test

import (
	"testing"

	"github.com/zmqkit/zmqkit/registry/external"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// The conformance suite passes against every transport loaded out of
// process, as it does in process.
func TestConformance(t *testing.T) {
	keep := external.Options{IdleTimeout: -1}
	t.Run("tcp", func(t *testing.T) {
		reg, _ := load(t, "tcp", keep)
		tr, _ := reg.Transport("tcp")
		transporttest.Run(t, transporttest.Factory{
			Transport:     tr,
			Kind:          transport.KindStream,
			Addr:          func(testing.TB) string { return "127.0.0.1:0" },
			InvalidListen: []string{"127.0.0.1", "127.0.0.1:x", ":5555", "[::1:5555", "127.0.0.1:70000"},
			InvalidDial:   []string{"127.0.0.1:*", "host:*", "*:5555", ":5555", "a;b:1", "nohost"},
			ExclusiveBind: true,
		})
	})
	t.Run("ipc", func(t *testing.T) {
		reg, _ := load(t, "ipc", keep)
		tr, _ := reg.Transport("ipc")
		transporttest.Run(t, transporttest.Factory{
			Transport:     tr,
			Kind:          transport.KindStream,
			Addr:          tempIPC,
			InvalidListen: []string{"@"},
			InvalidDial:   []string{"@"},
		})
	})
	t.Run("udp", func(t *testing.T) {
		reg, _ := load(t, "udp", keep)
		tr, _ := reg.Transport("udp")
		transporttest.Run(t, transporttest.Factory{
			Transport:     tr,
			Kind:          transport.KindDatagram,
			Addr:          func(testing.TB) string { return "127.0.0.1:0" },
			InvalidListen: []string{"127.0.0.1", "127.0.0.1:70000"},
			InvalidDial:   []string{"127.0.0.1:0", "*:5555"},
		})
	})
	t.Run("frame", func(t *testing.T) {
		// the suite's in-memory frame transport, served by the plugin:
		// both ends live in the plugin, the host reaches each over a
		// local channel
		reg, _ := load(t, "memframe", keep)
		tr, _ := reg.Transport("memframe")
		transporttest.Run(t, transporttest.Factory{
			Transport:     tr,
			Kind:          transport.KindFrame,
			Addr:          func(testing.TB) string { return "*" },
			Config:        func() *transport.Config { return &transport.Config{MaxMsgSize: -1} },
			ExclusiveBind: true,
		})
	})
}
