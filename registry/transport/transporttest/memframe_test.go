package transporttest_test

import (
	"context"
	"testing"

	"github.com/zmqkit/zmqkit/registry/transport"
	"github.com/zmqkit/zmqkit/registry/transport/transporttest"
)

// The suite's frame tests against its own in-memory frame transport, in
// each mode and with each optional interface.
func TestMemFrame(t *testing.T) {
	for _, o := range []transporttest.MemFrameOptions{
		{},
		{Pings: true, Mode: transport.FrameRoutingID},
		{NoBuffer: true, Mode: transport.FrameNone},
		{Pings: true, NoBuffer: true, Handshake: func(context.Context, bool) error { return nil }},
	} {
		t.Run(o.Mode.String(), func(t *testing.T) {
			transporttest.Run(t, transporttest.Factory{
				Transport:     transporttest.NewMemFrame(o),
				Kind:          transport.KindFrame,
				Addr:          func(testing.TB) string { return "*" },
				Config:        func() *transport.Config { return &transport.Config{MaxMsgSize: -1} },
				ExclusiveBind: true,
			})
		})
	}
}
