package core_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// Once a ROUTER reports HANDSHAKE_SUCCEEDED, the peer's pipe is the
// socket's: a message to its routing id sent then is not refused as
// unroutable (ROUTER_MANDATORY), as in libzmq.
func TestHandshakeSucceededThenRoutable(t *testing.T) {
	for _, tr := range []string{"ipc", "tcp", "ws"} {
		t.Run(tr, func(t *testing.T) {
			e := cfNewEnv(t, tr)
			r, ep := e.bound(core.ROUTER, core.WithRouterMandatory(true))
			ev, err := r.WatchEvents(cfCtx(t, time.Minute), core.EventHandshakeSucceeded)
			if err != nil {
				t.Fatal(err)
			}
			for round := range 20 {
				id := fmt.Sprint("peer-", round)
				d := e.connected(core.DEALER, ep, core.WithRoutingID([]byte(id)))
				select {
				case <-ev:
				case <-time.After(10 * time.Second):
					t.Fatalf("round %d: no HANDSHAKE_SUCCEEDED", round)
				}
				if err := r.TrySend(core.NewMsgString(id, "hello")); err != nil {
					t.Fatalf("round %d: send to %s right after HANDSHAKE_SUCCEEDED: %v", round, id, err)
				}
				cfExpectFrames(t, cfRecv(t, d), "hello")
				d.Close()
			}
		})
	}
}
