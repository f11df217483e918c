package ws_test

import (
	"testing"

	"github.com/zmqkit/zmqkit/plugins/ws"
	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

func TestConformance(t *testing.T) {
	base := func() *transport.Config {
		return &transport.Config{KeepAlive: -1, KeepAliveCount: -1, MaxMsgSize: -1, Mechanism: "NULL"}
	}
	t.Run("ws", func(t *testing.T) {
		transporttest.Run(t, transporttest.Factory{
			Transport:     ws.New(),
			Scheme:        "ws",
			Kind:          transport.KindFrame,
			Addr:          func(testing.TB) string { return "127.0.0.1:0/zmq" },
			Config:        base,
			InvalidListen: []string{"127.0.0.1", "127.0.0.1:x", "[::1", ":5555", "127.0.0.1:5555/a b", "127.0.0.1:123456"},
			InvalidDial:   []string{"127.0.0.1", "*:5555", "127.0.0.1:*", "host:5555/a\nb", "[::1]5555"},
			ExclusiveBind: true,
		})
	})
}
