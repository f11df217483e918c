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

func pair(t *testing.T, ctx *core.Context, ep string, bt, ct core.SocketType, bopts, copts []core.Option) (*core.Socket, *core.Socket) {
	t.Helper()
	b, err := ctx.NewSocket(bt, bopts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Bind(ep); err != nil {
		t.Fatal(err)
	}
	c, err := ctx.NewSocket(ct, copts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Connect(b.LastEndpoint()); err != nil {
		t.Fatal(err)
	}
	return b, c
}

func TestPatternsSmoke(t *testing.T) {
	sfx := func(ep, s string) string {
		if ep[:3] == "tcp" {
			return ep
		}
		return ep + s
	}
	for name, ep := range endpoints(t) {
		t.Run(name+"/reqrep", func(t *testing.T) {
			ctx := core.NewContext()
			defer ctx.Term()
			rep, req := pair(t, ctx, sfx(ep, "rr"), core.REP, core.REQ, nil, nil)
			c := tctx(t)
			for i := 0; i < 10; i++ {
				if err := req.SendString(c, "ping", fmt.Sprint(i)); err != nil {
					t.Fatal(err)
				}
				m, err := rep.Recv(c)
				if err != nil || len(m.Frames) != 2 || string(m.Frames[1]) != fmt.Sprint(i) {
					t.Fatalf("rep got %q %v", m.Frames, err)
				}
				if err := rep.SendString(c, "pong"); err != nil {
					t.Fatal(err)
				}
				m, err = req.Recv(c)
				if err != nil || len(m.Frames) != 1 || string(m.Frames[0]) != "pong" {
					t.Fatalf("req got %q %v", m.Frames, err)
				}
			}
		})
		t.Run(name+"/dealerrouter", func(t *testing.T) {
			ctx := core.NewContext()
			defer ctx.Term()
			router, dealer := pair(t, ctx, sfx(ep, "dr"), core.ROUTER, core.DEALER, nil, []core.Option{core.WithRoutingID([]byte("D1"))})
			c := tctx(t)
			if err := dealer.SendString(c, "hi"); err != nil {
				t.Fatal(err)
			}
			m, err := router.Recv(c)
			if err != nil || len(m.Frames) != 2 || string(m.Frames[0]) != "D1" || string(m.Frames[1]) != "hi" {
				t.Fatalf("router got %q %v", m.Frames, err)
			}
			if err := router.SendString(c, "D1", "back"); err != nil {
				t.Fatal(err)
			}
			m, err = dealer.Recv(c)
			if err != nil || string(m.Frames[0]) != "back" {
				t.Fatalf("dealer got %q %v", m.Frames, err)
			}
		})
		t.Run(name+"/pubsub", func(t *testing.T) {
			ctx := core.NewContext()
			defer ctx.Term()
			pub, sub := pair(t, ctx, sfx(ep, "ps"), core.PUB, core.SUB, nil, []core.Option{core.WithSubscribe("A")})
			c := tctx(t)
			// wait for the subscription to arrive
			deadline := time.Now().Add(5 * time.Second)
			for {
				pub.SendString(c, "B", "no")
				pub.SendString(c, "A", "yes")
				sc, cancel := context.WithTimeout(c, 20*time.Millisecond)
				m, err := sub.Recv(sc)
				cancel()
				if err == nil {
					if string(m.Frames[0]) != "A" {
						t.Fatalf("sub got %q", m.Frames)
					}
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no message reached the subscriber")
				}
			}
		})
	}
}
