package external_test

import (
	"testing"

	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// The conformance suite passes against every transport loaded out of
// process, as it does in process: with descriptors handed over (stream
// transports), with every connection kept by the plugin behind a local
// channel (KeepConns), and with local channels that dial back over
// loopback tcp, as on systems without descriptor passing.
func TestConformance(t *testing.T) {
	tcpFactory := func(tr transport.Transport) transporttest.Factory {
		return transporttest.Factory{
			Transport:     tr,
			Kind:          transport.KindStream,
			Addr:          func(testing.TB) string { return "127.0.0.1:0" },
			InvalidListen: []string{"127.0.0.1", "127.0.0.1:x", ":5555", "[::1:5555", "127.0.0.1:70000"},
			InvalidDial:   []string{"127.0.0.1:*", "host:*", "*:5555", ":5555", "a;b:1", "nohost"},
			ExclusiveBind: true,
		}
	}
	tr := func(t *testing.T, k sharedKind, scheme string) transport.Transport {
		reg, _ := shared(t, k)
		tr, err := reg.Transport(scheme)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	udp := func(tr transport.Transport) transporttest.Factory {
		return transporttest.Factory{
			Transport:     tr,
			Kind:          transport.KindDatagram,
			Addr:          func(testing.TB) string { return "127.0.0.1:0" },
			InvalidListen: []string{"127.0.0.1", "127.0.0.1:70000"},
			InvalidDial:   []string{"127.0.0.1:0", "*:5555"},
		}
	}
	t.Run("tcp", func(t *testing.T) { transporttest.Run(t, tcpFactory(tr(t, sharedFD, "tcp"))) })
	t.Run("tcp-keepconns", func(t *testing.T) { transporttest.Run(t, tcpFactory(tr(t, sharedKeepConns, "tcp"))) })
	t.Run("tcp-dialback", func(t *testing.T) { transporttest.Run(t, tcpFactory(tr(t, sharedDialBack, "tcp"))) })
	t.Run("ipc", func(t *testing.T) {
		transporttest.Run(t, transporttest.Factory{
			Transport:     tr(t, sharedFD, "ipc"),
			Kind:          transport.KindStream,
			Addr:          tempIPC,
			InvalidListen: []string{"@"},
			InvalidDial:   []string{"@"},
		})
	})
	t.Run("udp", func(t *testing.T) { transporttest.Run(t, udp(tr(t, sharedFD, "udp"))) })
	t.Run("udp-dialback", func(t *testing.T) { transporttest.Run(t, udp(tr(t, sharedDialBack, "udp"))) })
	// frame transports: the suite's in-memory one, served by the plugin
	// (both ends live in the plugin, the host reaches each over a local
	// channel), with each capability a frame connection may have: pings
	// and read-ahead (mfmech), a transport handshake giving the
	// routing-id mode (mfhsok), no handshake and no read-ahead (mfnone)
	frame := func(tr transport.Transport) transporttest.Factory {
		return transporttest.Factory{
			Transport:     tr,
			Kind:          transport.KindFrame,
			Addr:          func(testing.TB) string { return "*" },
			Config:        func() *transport.Config { return &transport.Config{MaxMsgSize: -1} },
			ExclusiveBind: true,
		}
	}
	for _, scheme := range []string{"mfmech", "mfhsok", "mfnone"} {
		t.Run("frame-"+scheme, func(t *testing.T) { transporttest.Run(t, frame(tr(t, sharedFD, scheme))) })
	}
	t.Run("frame-mfmech-dialback", func(t *testing.T) { transporttest.Run(t, frame(tr(t, sharedDialBack, "mfmech"))) })
}
