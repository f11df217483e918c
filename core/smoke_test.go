package core_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

// endpoints returns one bindable endpoint per transport.
func endpoints(t *testing.T) map[string]string {
	return map[string]string{
		"tcp":    "tcp://127.0.0.1:*",
		"ipc":    "ipc://" + filepath.Join(t.TempDir(), "s"),
		"inproc": fmt.Sprintf("inproc://%s", t.Name()),
	}
}

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestPushPullSmoke(t *testing.T) {
	for name, ep := range endpoints(t) {
		t.Run(name, func(t *testing.T) {
			ctx := core.NewContext()
			defer ctx.Term()
			pull, err := ctx.NewSocket(core.PULL)
			if err != nil {
				t.Fatal(err)
			}
			if err := pull.Bind(ep); err != nil {
				t.Fatal(err)
			}
			push, err := ctx.NewSocket(core.PUSH)
			if err != nil {
				t.Fatal(err)
			}
			if err := push.Connect(pull.LastEndpoint()); err != nil {
				t.Fatal(err)
			}
			c := tctx(t)
			for i := 0; i < 100; i++ {
				if err := push.Send(c, core.NewMsgString("hello", fmt.Sprint(i))); err != nil {
					t.Fatal(err)
				}
			}
			for i := 0; i < 100; i++ {
				m, err := pull.Recv(c)
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Frames) != 2 || string(m.Frames[0]) != "hello" || string(m.Frames[1]) != fmt.Sprint(i) {
					t.Fatalf("got %q", m.Frames)
				}
			}
			push.Close()
			pull.Close()
		})
	}
}
