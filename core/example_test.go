package core_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all" // tcp, ipc and inproc
)

// The examples use inproc:// so they run anywhere, and bound every blocking
// call with a context deadline so a broken build fails instead of hanging.

// A PUSH socket hands messages to a PULL socket.
func ExampleContext_NewSocket() {
	zctx := core.NewContext()
	defer zctx.Term()

	pull, err := zctx.NewSocket(core.PULL)
	if err != nil {
		log.Fatal(err)
	}
	if err := pull.Bind("inproc://example-newsocket"); err != nil {
		log.Fatal(err)
	}
	push, err := zctx.NewSocket(core.PUSH, core.WithSendHWM(100), core.WithLinger(time.Second))
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-newsocket"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := push.SendString(ctx, "hello", "world"); err != nil {
		log.Fatal(err)
	}
	m, err := pull.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d frames: %q\n", len(m.Frames), m.Frames)
	fmt.Println("send HWM:", push.Options().SendHWM)
	// Output:
	// 2 frames: ["hello" "world"]
	// send HWM: 100
}

// REQ and REP alternate strictly: request, reply, request, reply. (Both
// ends run in one goroutine here; a server would usually loop in its own.)
func ExampleSocket_Send() {
	zctx := core.NewContext()
	defer zctx.Term()

	rep, err := zctx.NewSocket(core.REP)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.Bind("inproc://example-send"); err != nil {
		log.Fatal(err)
	}
	req, err := zctx.NewSocket(core.REQ)
	if err != nil {
		log.Fatal(err)
	}
	if err := req.Connect("inproc://example-send"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	for _, q := range []string{"ping", "pong"} {
		if err := req.Send(ctx, core.NewMsgString(q)); err != nil {
			log.Fatal(err)
		}
		// The server side: receive the request, send the reply.
		m, err := rep.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if err := rep.Send(ctx, core.NewMsgString("re: "+string(m.Frames[0]))); err != nil {
			log.Fatal(err)
		}
		// The client side: the reply.
		reply, err := req.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(string(reply.Frames[0]))
	}
	// A second Send before the reply was received is out of turn.
	if err := req.SendString(ctx, "one"); err != nil {
		log.Fatal(err)
	}
	err = req.SendString(ctx, "two")
	fmt.Println(errors.Is(err, core.ErrFSM), err)
	// Output:
	// re: ping
	// re: pong
	// true zmq: send: operation cannot be accomplished in current state
}

// SUB receives only the messages whose first frame starts with a topic it
// subscribed to. The subscription travels to the publisher after the
// connection is made, so messages published before it arrives are dropped
// (the "slow joiner"). The example waits for the publisher to see the
// subscription by publishing a hello until the subscriber gets one.
func ExampleSocket_Subscribe() {
	zctx := core.NewContext()
	defer zctx.Term()

	pub, err := zctx.NewSocket(core.PUB)
	if err != nil {
		log.Fatal(err)
	}
	if err := pub.Bind("inproc://example-subscribe"); err != nil {
		log.Fatal(err)
	}
	sub, err := zctx.NewSocket(core.SUB)
	if err != nil {
		log.Fatal(err)
	}
	if err := sub.Subscribe("weather."); err != nil {
		log.Fatal(err)
	}
	if err := sub.Connect("inproc://example-subscribe"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// Wait until the subscription reached the publisher.
	for {
		if err := pub.SendString(ctx, "weather.hello"); err != nil {
			log.Fatal(err)
		}
		wctx, wcancel := context.WithTimeout(ctx, 10*time.Millisecond)
		_, err := sub.Recv(wctx)
		wcancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			log.Fatal("subscription never arrived")
		}
	}

	for _, topic := range []string{"sports.football", "weather.paris", "news.world", "weather.oslo", "end"} {
		if err := pub.SendString(ctx, topic, "data for "+topic); err != nil {
			log.Fatal(err)
		}
	}
	// Messages arrive in order; skip hellos that were still in flight.
	for got := 0; got < 2; {
		m, err := sub.Recv(ctx)
		if err != nil {
			log.Fatal(err)
		}
		if string(m.Frames[0]) == "weather.hello" {
			continue
		}
		fmt.Printf("%s: %s\n", m.Frames[0], m.Frames[1])
		got++
	}
	// Output:
	// weather.paris: data for weather.paris
	// weather.oslo: data for weather.oslo
}

// RecvMsg reuses the Msg's storage, so a receive loop allocates nothing in
// steady state. The frames are only valid until the next RecvMsg into the
// same Msg: copy (or Clone) what must outlive the iteration.
func ExampleSocket_RecvMsg() {
	zctx := core.NewContext()
	defer zctx.Term()

	pull, err := zctx.NewSocket(core.PULL)
	if err != nil {
		log.Fatal(err)
	}
	if err := pull.Bind("inproc://example-recvmsg"); err != nil {
		log.Fatal(err)
	}
	push, err := zctx.NewSocket(core.PUSH)
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-recvmsg"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 1; i <= 3; i++ {
		if err := push.SendString(ctx, fmt.Sprintf("sample %d", i)); err != nil {
			log.Fatal(err)
		}
	}

	var m core.Msg // reused by every receive
	total := 0
	for i := 0; i < 3; i++ {
		if err := pull.RecvMsg(ctx, &m); err != nil {
			log.Fatal(err)
		}
		total += m.Len()
		fmt.Println(string(m.Frames[0]))
	}
	fmt.Println("bytes:", total)
	// Output:
	// sample 1
	// sample 2
	// sample 3
	// bytes: 24
}

// Received messages carry their connection's properties, as zmq_msg_gets.
func ExampleMsg_Property() {
	zctx := core.NewContext()
	defer zctx.Term()

	router, err := zctx.NewSocket(core.ROUTER)
	if err != nil {
		log.Fatal(err)
	}
	if err := router.Bind("inproc://example-property"); err != nil {
		log.Fatal(err)
	}
	dealer, err := zctx.NewSocket(core.DEALER, core.WithRoutingID([]byte("worker-7")))
	if err != nil {
		log.Fatal(err)
	}
	if err := dealer.Connect("inproc://example-property"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := dealer.SendString(ctx, "ready"); err != nil {
		log.Fatal(err)
	}
	m, err := router.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	typ, _ := m.Property("Socket-Type")
	id, _ := m.Property("Routing-Id")
	fmt.Printf("from %s %s: %s\n", typ, id, m.Frames[1])
	// Output:
	// from DEALER worker-7: ready
}

// SendFrame and RecvFrame give the libzmq frame-at-a-time style
// (ZMQ_SNDMORE / ZMQ_RCVMORE). The frames of one message are still sent
// and delivered whole: nothing leaves until the last frame. The partial
// message belongs to the socket, so, unlike Send, SendFrame should be used
// by one goroutine at a time.
func ExampleSocket_SendFrame() {
	zctx := core.NewContext()
	defer zctx.Term()

	pull, err := zctx.NewSocket(core.PULL)
	if err != nil {
		log.Fatal(err)
	}
	if err := pull.Bind("inproc://example-sendframe"); err != nil {
		log.Fatal(err)
	}
	push, err := zctx.NewSocket(core.PUSH)
	if err != nil {
		log.Fatal(err)
	}
	if err := push.Connect("inproc://example-sendframe"); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	frames := []string{"header", "body", "trailer"}
	for i, f := range frames {
		more := i < len(frames)-1
		if err := push.SendFrame(ctx, []byte(f), more); err != nil {
			log.Fatal(err)
		}
	}

	for {
		frame, more, err := pull.RecvFrame(ctx)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%s more=%v\n", frame, more)
		if !more {
			break
		}
	}
	// Output:
	// header more=true
	// body more=true
	// trailer more=false
}
