// Command reqrep is the ZeroMQ "hello world": a REP server and a REQ
// client over tcp, in one process.
//
//	go run ./examples/reqrep               # server and client, 5 requests
//	go run ./examples/reqrep -n 3 -endpoint tcp://127.0.0.1:5555
//
// Each request waits at most -timeout for its reply: a REQ socket whose
// request or reply is lost stays stuck in the "expecting a reply" state,
// so bounding every call with a context is the usual way out.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/tcp" // only the transport we use
)

func main() {
	endpoint := flag.String("endpoint", "tcp://127.0.0.1:*", "where the server binds (\"*\" picks a free port)")
	n := flag.Int("n", 5, "number of requests")
	timeout := flag.Duration("timeout", 2*time.Second, "how long each request waits for its reply")
	flag.Parse()

	zctx := core.NewContext()
	defer zctx.Term()

	// The server: REP receives a request, then must reply before the next.
	rep, err := zctx.NewSocket(core.REP)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.Bind(*endpoint); err != nil {
		log.Fatal(err) // e.g. "zmq: bind tcp://...: address already in use"
	}
	fmt.Println("server bound to", rep.LastEndpoint())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			req, err := rep.Recv(context.Background())
			if errors.Is(err, core.ErrTerminated) {
				return // the context was shut down: we are finished
			}
			if err != nil {
				log.Print("server: ", err)
				return
			}
			reply := fmt.Sprintf("world #%s", req.Frames[1])
			if err := rep.SendString(context.Background(), reply); err != nil {
				log.Print("server: ", err)
				return
			}
		}
	}()

	// The client: REQ sends, then must receive the reply before sending again.
	req, err := zctx.NewSocket(core.REQ)
	if err != nil {
		log.Fatal(err)
	}
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		log.Fatal(err)
	}
	for i := 1; i <= *n; i++ {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		err := req.SendString(ctx, "hello", fmt.Sprint(i))
		var reply core.Msg
		if err == nil {
			reply, err = req.Recv(ctx)
		}
		cancel()
		if errors.Is(err, context.DeadlineExceeded) {
			log.Fatalf("request %d: no reply within %v", i, *timeout)
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("request %d: hello -> %s\n", i, reply.Frames[0])
	}

	zctx.Shutdown() // wakes the server's Recv with ErrTerminated
	<-done
}
