package ws_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/zmqkit/zmqkit/core"
	"github.com/zmqkit/zmqkit/plugins/ws"
)

// A REP serves requests over WebSocket; the REQ offers the bare ZWS2.0
// subprotocol first, as a client of jszmq's server must.
func Example() {
	zctx := core.NewContext()
	defer zctx.Term()

	rep, err := zctx.NewSocket(core.REP)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.Bind("ws://127.0.0.1:*/echo"); err != nil {
		log.Fatal(err)
	}
	req, err := zctx.NewSocket(core.REQ, core.WithTransportOption(ws.BareFirst(true)))
	if err != nil {
		log.Fatal(err)
	}
	if err := req.Connect(rep.LastEndpoint()); err != nil {
		log.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := req.SendString(ctx, "hello"); err != nil {
		log.Fatal(err)
	}
	m, err := rep.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	if err := rep.SendString(ctx, "echo: "+string(m.Frames[0])); err != nil {
		log.Fatal(err)
	}
	reply, err := req.Recv(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply.Frames[0]))
	// Output: echo: hello
}
