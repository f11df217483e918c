package core_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/zmqkit/zmqkit/core"
)

// A streamer: PUSH → [PULL | Proxy | PUSH] → PULL, with a capture socket
// that sees every message (zmq_proxy).
func ExampleProxy() {
	zc := core.NewContext()
	defer zc.Term()
	bg := context.Background()

	front, _ := zc.NewSocket(core.PULL)
	front.Bind("inproc://example-proxy-front")
	back, _ := zc.NewSocket(core.PUSH)
	back.Bind("inproc://example-proxy-back")
	capture, _ := zc.NewSocket(core.PUSH)
	capture.Bind("inproc://example-proxy-capture")

	producer, _ := zc.NewSocket(core.PUSH)
	producer.Connect("inproc://example-proxy-front")
	consumer, _ := zc.NewSocket(core.PULL)
	consumer.Connect("inproc://example-proxy-back")
	tap, _ := zc.NewSocket(core.PULL)
	tap.Connect("inproc://example-proxy-capture")

	ctx, stop := context.WithCancel(bg)
	done := make(chan error)
	go func() { done <- core.Proxy(ctx, front, back, capture) }()

	producer.SendString(bg, "job", "1")
	producer.SendString(bg, "job", "2")
	for range 2 {
		m, _ := consumer.Recv(bg)
		c, _ := tap.Recv(bg)
		fmt.Printf("consumer %s %s, capture %s %s\n", m.Frames[0], m.Frames[1], c.Frames[0], c.Frames[1])
	}

	stop()
	fmt.Println(errors.Is(<-done, context.Canceled))
	// Output:
	// consumer job 1, capture job 1
	// consumer job 2, capture job 2
	// true
}

// Steering a proxy through a REP control socket (zmq_proxy_steerable):
// PAUSE, RESUME and TERMINATE get an empty reply, STATISTICS eight
// uint64 counters in host byte order.
func ExampleProxySteerable() {
	zc := core.NewContext()
	defer zc.Term()
	bg := context.Background()

	front, _ := zc.NewSocket(core.PULL)
	front.Bind("inproc://example-steer-front")
	back, _ := zc.NewSocket(core.PUSH)
	back.Bind("inproc://example-steer-back")
	control, _ := zc.NewSocket(core.REP)
	control.Bind("inproc://example-steer-control")

	producer, _ := zc.NewSocket(core.PUSH)
	producer.Connect("inproc://example-steer-front")
	consumer, _ := zc.NewSocket(core.PULL)
	consumer.Connect("inproc://example-steer-back")
	steer, _ := zc.NewSocket(core.REQ)
	steer.Connect("inproc://example-steer-control")

	done := make(chan error)
	go func() { done <- core.ProxySteerable(bg, front, back, nil, control) }()

	producer.SendString(bg, "hello", "world")
	m, _ := consumer.Recv(bg)
	fmt.Printf("%s %s\n", m.Frames[0], m.Frames[1])

	steer.SendString(bg, "STATISTICS")
	stats, _ := steer.Recv(bg)
	names := []string{"front recv msgs", "front recv bytes", "front sent msgs", "front sent bytes",
		"back recv msgs", "back recv bytes", "back sent msgs", "back sent bytes"}
	for i, f := range stats.Frames {
		fmt.Printf("%s: %d\n", names[i], binary.NativeEndian.Uint64(f))
	}

	steer.SendString(bg, "TERMINATE")
	reply, _ := steer.Recv(bg)
	fmt.Printf("reply %q, proxy returned %v\n", reply.Frames[0], <-done)
	// Output:
	// hello world
	// front recv msgs: 2
	// front recv bytes: 10
	// front sent msgs: 0
	// front sent bytes: 0
	// back recv msgs: 0
	// back recv bytes: 0
	// back sent msgs: 2
	// back sent bytes: 10
	// reply "", proxy returned <nil>
}
