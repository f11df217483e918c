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
	"fmt"
	"os"
	"strconv"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

// libzmq's perf-tool keys (Z85); they match local_thr's server secret key.
const (
	serverPublicKey = "DX4nh=yUn{-9ugra0X3Src4SU-4xTgqxcYY.+<SH"
	clientPublicKey = "<n^oA}I:66W+*ds3tAmi1+KJzv-}k&fC2aA5Bj0K"
	clientSecretKey = "9R9bV}[6z6DC-%$!jTVTKvWc=LEL{4i4gzUe$@Zx"
)

func fail(what string, err error) {
	fmt.Printf("error in %s: %v\n", what, err)
	os.Exit(255)
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fmt.Printf("usage: remote_thr <connect-to> <message-size> <message-count> [<enable_curve>]\n")
		os.Exit(1)
	}
	connectTo := os.Args[1]
	messageSize := atoi(os.Args[2])
	messageCount := atoi(os.Args[3])
	curve := len(os.Args) >= 5 && atoi(os.Args[4]) != 0

	ctx := core.NewContext()
	opts := []core.Option{}
	if curve {
		opts = append(opts, core.WithMechanism("CURVE", false, map[string][]byte{
			"CURVE_SECRETKEY": []byte(clientSecretKey),
			"CURVE_PUBLICKEY": []byte(clientPublicKey),
			"CURVE_SERVERKEY": []byte(serverPublicKey),
		}))
	}
	s, err := ctx.NewSocket(core.PUSH, opts...)
	if err != nil {
		fail("zmq_socket", err)
	}
	if err := s.Connect(connectTo); err != nil {
		fail("zmq_connect", err)
	}

	c := context.Background()
	var msg core.Msg
	for i := 0; i < messageCount; i++ {
		// as libzmq's tool: zmq_msg_init_size, then zmq_sendmsg, which
		// hands the message over without copying it
		msg.InitSize(messageSize)
		if err := s.SendMsg(c, &msg); err != nil {
			fail("zmq_sendmsg", err)
		}
	}

	if err := s.Close(); err != nil {
		fail("zmq_close", err)
	}
	if err := ctx.Term(); err != nil {
		fail("zmq_ctx_term", err)
	}
}
