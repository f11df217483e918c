package core_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// A stream of small messages arrives whole while the connection's writer
// goroutine ends and starts again, and changes buffers (a run that starts
// with commands only, or on a stale wake, takes a small buffer; messages
// that come then take the large one): every message arrives, in order.
// The sender pauses now and then so that the writer ends between bursts.
func TestWriterRestartsLoseNothing(t *testing.T) {
	for _, tr := range []string{"ipc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			e := cfNewEnv(t, tr)
			pull, ep := e.bound(core.PULL)
			push := e.connected(core.PUSH, ep, core.WithHeartbeat(time.Millisecond, 0, time.Minute))
			const n = 100_000
			done := make(chan error, 1)
			go func() {
				ctx := cfCtx(t, 60*time.Second)
				var m core.Msg
				for i := 0; i < n; i++ {
					if err := pull.RecvMsg(ctx, &m); err != nil {
						done <- err
						return
					}
					if got := int(m.Frames[0][0]) | int(m.Frames[0][1])<<8 | int(m.Frames[0][2])<<16; got != i {
						t.Errorf("message %d arrived as number %d", got, i)
						done <- nil
						return
					}
				}
				done <- nil
			}()
			ctx := cfCtx(t, 60*time.Second)
			body := make([]byte, 64)
			for i := 0; i < n; i++ {
				body[0], body[1], body[2] = byte(i), byte(i>>8), byte(i>>16)
				if err := push.Send(ctx, core.NewMsg(body)); err != nil {
					t.Fatal(err)
				}
				if i%5000 == 4999 {
					time.Sleep(2 * time.Millisecond) // the writer may end
				}
			}
			if err := <-done; err != nil {
				t.Fatalf("receiving: %v", err)
			}
		})
	}
}

// A message sent once DISCONNECTED is seen is not taken by the ended
// connection's writer: it waits in the pipe and reaches the peer bound
// again at the endpoint (libzmq's engine is gone by the time it reports
// the event). Several rounds, as the window is small.
func TestSendAfterDisconnectedReachesNextPeer(t *testing.T) {
	for _, tr := range []string{"ipc", "tcp"} {
		t.Run(tr, func(t *testing.T) {
			e := cfNewEnv(t, tr)
			pull, ep := e.bound(core.PULL)
			push := e.connected(core.PUSH, ep, core.WithReconnectInterval(5*time.Millisecond))
			ev, err := push.WatchEvents(cfCtx(t, time.Minute), core.EventDisconnected)
			if err != nil {
				t.Fatal(err)
			}
			for round := range 10 {
				cfSend(t, push, fmt.Sprint("before ", round))
				cfExpectFrames(t, cfRecv(t, pull), fmt.Sprint("before ", round))
				if err := pull.Close(); err != nil {
					t.Fatal(err)
				}
				select {
				case <-ev:
				case <-time.After(10 * time.Second):
					t.Fatalf("round %d: no DISCONNECTED", round)
				}
				cfSend(t, push, fmt.Sprint("after ", round))
				pull = e.sock(core.PULL)
				for i := 0; ; i++ { // the old listener's port may take a moment to free
					if err = pull.Bind(ep); err == nil {
						break
					}
					if i == 100 {
						t.Fatalf("round %d: bind %s again: %v", round, ep, err)
					}
					time.Sleep(10 * time.Millisecond)
				}
				cfExpectFrames(t, cfRecv(t, pull), fmt.Sprint("after ", round))
			}
		})
	}
}
