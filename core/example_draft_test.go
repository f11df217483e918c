package core_test

import (
	"context"
	"fmt"
	"time"

	"github.com/zmqkit/zmqkit/core"
)

// The zmq_connect_peer manual's example: ConnectPeer returns the routing
// id of the new connection, usable at once to address a message.
func ExampleSocket_ConnectPeer() {
	zctx := core.NewContext()
	defer zctx.Term()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()

	server, _ := zctx.NewSocket(core.PEER)
	defer server.Close()
	server.Bind("inproc://server001")

	socket, _ := zctx.NewSocket(core.PEER)
	defer socket.Close()
	routingID, err := socket.ConnectPeer("inproc://server001")
	if err != nil {
		fmt.Println(err)
		return
	}
	msg := core.NewMsgString("HELLO")
	msg.SetRoutingID(routingID)
	socket.Send(ctx, msg)

	in, _ := server.Recv(ctx)
	fmt.Printf("%s from a peer with a routing id: %v\n", in.Frames[0], in.RoutingID() != 0)
	// Output: HELLO from a peer with a routing id: true
}

// RADIO publishes to groups; a DISH receives the groups it joined.
func ExampleSocket_Join() {
	zctx := core.NewContext()
	defer zctx.Term()

	radio, _ := zctx.NewSocket(core.RADIO)
	defer radio.Close()
	radio.Bind("inproc://radio")
	dish, _ := zctx.NewSocket(core.DISH)
	defer dish.Close()
	dish.Connect("inproc://radio")
	dish.Join("weather")

	// over inproc the JOIN reaches the radio before its next send
	for _, g := range []string{"sports", "weather"} {
		m := core.NewMsgString("news about " + g)
		m.SetGroup(g)
		radio.Send(context.Background(), m)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	m, _ := dish.Recv(ctx)
	fmt.Printf("%s: %s\n", m.Group(), m.Frames[0])
	// Output: weather: news about weather
}
