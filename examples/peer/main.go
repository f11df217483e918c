// Command peer is the zmq_connect_peer manual's example, runnable: a PEER
// socket connects with ConnectPeer, which returns the routing id of that
// connection at once, and sends "HELLO" to it by setting the id on the
// message. Here the other side ("server001" in the manual) is a second
// PEER in the same process; it answers, and the answer carries the
// routing id of the connection it came over.
//
//	go run ./examples/peer                                   # both sides, tcp on a free port
//	go run ./examples/peer -endpoint tcp://127.0.0.1:5555
//
// PEER sockets are safe for concurrent use by many goroutines, like every
// zmqkit socket; messages are single-frame.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

func main() {
	endpoint := flag.String("endpoint", "tcp://127.0.0.1:*", "where the answering peer binds")
	flag.Parse()
	if err := run(os.Stdout, *endpoint); err != nil {
		log.Fatal(err)
	}
}

func run(w io.Writer, endpoint string) error {
	zctx := core.NewContext()
	defer zctx.Term()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	// "server001": a PEER that binds and answers whoever talks to it.
	server, err := zctx.NewSocket(core.PEER, core.WithLinger(0))
	if err != nil {
		return err
	}
	defer server.Close()
	if err := server.Bind(endpoint); err != nil {
		return err
	}
	endpoint = server.LastEndpoint()

	// The manual's example: create a PEER socket ...
	socket, err := zctx.NewSocket(core.PEER, core.WithLinger(0))
	if err != nil {
		return err
	}
	defer socket.Close()
	// ... connect it, getting the routing id of the connection ...
	routingID, err := socket.ConnectPeer(endpoint)
	if err != nil {
		return err // e.g. ErrNotSupported for a non-PEER socket
	}
	fmt.Fprintf(w, "connected to %s: routing id assigned\n", endpoint)
	// ... and send a message to the peer, right away.
	msg := core.NewMsgString("HELLO")
	if err := msg.SetRoutingID(routingID); err != nil {
		return err
	}
	if err := socket.Send(ctx, msg); err != nil {
		return err
	}

	// The other side sees the message with the routing id of the
	// connection it came over, and answers through it.
	in, err := server.Recv(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "server001 got %q\n", in.Frames[0])
	reply := core.NewMsgString("WORLD")
	reply.SetRoutingID(in.RoutingID())
	if err := server.Send(ctx, reply); err != nil {
		return err
	}
	back, err := socket.Recv(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "peer got %q from routing id %s\n", back.Frames[0], same(back.RoutingID(), routingID))

	// Messages to a routing id nobody has fail at once.
	lost := core.NewMsgString("anyone?")
	lost.SetRoutingID(routingID + 1000)
	err = socket.TrySend(lost)
	fmt.Fprintf(w, "send to an unknown routing id: host unreachable = %v\n", errors.Is(err, core.ErrHostUnreachable))
	return nil
}

func same(a, b uint32) string {
	if a == b {
		return "returned by ConnectPeer"
	}
	return fmt.Sprintf("%d (ConnectPeer returned %d)", a, b)
}
