// Command remote_thr is zmqkit's port of libzmq's perf/remote_thr: it
// connects a PUSH socket and sends <message-count> messages of
// <message-size> zero bytes, then closes the socket and terminates the
// context, which (with the default infinite linger) waits until every
// message has been handed to the peer. Same arguments as libzmq 4.3's tool;
// like it, it prints nothing on success. Pair it with local_thr.
//
//	remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]
//
// Each message is made with Msg.InitSize and sent with SendMsg, which hands
// it over without copying (libzmq's zmq_msg_init_size + zmq_sendmsg), so
// the loop neither copies nor allocates in steady state.
package main

import (
	"context"

	"github.com/zmqkit/zmqkit/cmd/internal/perftool"
	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

func main() {
	connectTo, messageSize, messageCount, curve := perftool.Args(
		"remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]", true)

	ctx := core.NewContext()
	s, err := ctx.NewSocket(core.PUSH, perftool.CurveClient(curve)...)
	if err != nil {
		perftool.Fail("zmq_socket", err)
	}
	if err := s.Connect(connectTo); err != nil {
		perftool.Fail("zmq_connect", err)
	}

	c := context.Background()
	var msg core.Msg
	for i := 0; i < messageCount; i++ {
		// as libzmq's tool: zmq_msg_init_size, then zmq_sendmsg, which
		// hands the message over without copying it
		msg.InitSize(messageSize)
		if err := s.SendMsg(c, &msg); err != nil {
			perftool.Fail("zmq_sendmsg", err)
		}
	}

	if err := s.Close(); err != nil {
		perftool.Fail("zmq_close", err)
	}
	if err := ctx.Term(); err != nil {
		perftool.Fail("zmq_ctx_term", err)
	}
}
