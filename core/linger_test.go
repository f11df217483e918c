package core_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// Closing a PUSH right after sending large messages to a receiver that is
// still asleep loses nothing with the default (infinite) linger: Close
// waits until the writer has handed every frame to the kernel, including
// frames already taken off the queue but still being written.
func TestCloseLingerLargeMessagesSlowReceiver(t *testing.T) {
	for _, ep := range []string{"tcp://127.0.0.1:*", "ipc://" + filepath.Join(t.TempDir(), "l")} {
		t.Run(ep[:3], func(t *testing.T) {
			zc := core.NewContext()
			defer zc.Term()
			pull, err := zc.NewSocket(core.PULL)
			if err != nil {
				t.Fatal(err)
			}
			if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			push, err := zc.NewSocket(core.PUSH)
			if err != nil {
				t.Fatal(err)
			}
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			const n, size = 600, 64 << 10
			got := make(chan error, 1)
			go func() {
				c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				time.Sleep(300 * time.Millisecond) // the receiver is slow to start
				var m core.Msg
				for i := 0; i < n; i++ {
					if err := pull.RecvMsg(c, &m); err != nil {
						got <- fmt.Errorf("message %d of %d: %w", i, n, err)
						return
					}
					if m.Len() != size {
						got <- fmt.Errorf("message %d: %d bytes", i, m.Len())
						return
					}
				}
				got <- nil
			}()
			msg := core.NewMsg(make([]byte, size))
			c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for i := 0; i < n; i++ {
				if err := push.Send(c, msg); err != nil {
					t.Fatal(err)
				}
			}
			push.Close()
			if err := <-got; err != nil {
				t.Fatal(err)
			}
		})
	}
}
