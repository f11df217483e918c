package core_test

import (
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
