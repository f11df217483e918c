package core_test

import (
	"context"
	"fmt"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// A Poller waits on several sockets at once (zmq_poller_wait_all).
func ExamplePoller() {
	zc := core.NewContext()
	defer zc.Term()

	jobs, _ := zc.NewSocket(core.PULL)
	jobs.Bind("inproc://example-poller-jobs")
	alerts, _ := zc.NewSocket(core.PULL)
	alerts.Bind("inproc://example-poller-alerts")

	sender, _ := zc.NewSocket(core.PUSH)
	sender.Connect("inproc://example-poller-alerts")
	sender.SendString(context.Background(), "disk full")

	p := core.NewPoller()
	p.Add(jobs, core.PollIn)
	p.Add(alerts, core.PollIn)

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	ready, err := p.Wait(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, it := range ready {
		m, _ := it.Socket.TryRecv()
		fmt.Printf("alerts=%v: %s\n", it.Socket == alerts, m.Frames[0])
	}

	// Nothing else is pending: a zero timeout just checks.
	_, err = p.WaitTimeout(0)
	fmt.Println(err)
	// Output:
	// alerts=true: disk full
	// zmq: poll: resource temporarily unavailable
}

// Poll is the zmq_poll equivalent: it fills in each item's Revents.
func ExamplePoll() {
	zc := core.NewContext()
	defer zc.Term()

	pull, _ := zc.NewSocket(core.PULL)
	pull.Bind("inproc://example-poll")
	push, _ := zc.NewSocket(core.PUSH)
	push.Connect("inproc://example-poll")
	push.SendString(context.Background(), "hello")

	items := []core.PollItem{
		{Socket: pull, Events: core.PollIn},
		{Socket: push, Events: core.PollIn | core.PollOut},
	}
	// Wait for the message to arrive.
	n, err := core.Poll(context.Background(), items[:1])
	fmt.Println(n, err)
	// Now both are ready; PUSH never reports PollIn.
	n, err = core.Poll(context.Background(), items)
	fmt.Println(n, err)
	fmt.Println(items[0].Revents == core.PollIn, items[1].Revents == core.PollOut)
	// Output:
	// 1 <nil>
	// 2 <nil>
	// true true
}
