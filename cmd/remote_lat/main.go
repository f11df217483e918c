// Command remote_lat is zmqkit's port of libzmq's perf/remote_lat: it
// connects a REQ socket to local_lat, sends <roundtrip-count> requests of
// <message-size> zero bytes, waits for each reply, and prints the average
// latency with the same arguments and output lines as libzmq 4.3's tool.
//
//	remote_lat <connect-to> <message-size> <roundtrip-count>
//
// As in libzmq, "average latency" is half the mean round-trip time (the
// elapsed time divided by 2 x roundtrip-count), and the clock includes the
// first round trip, i.e. connection set-up if the peer was not yet there.
package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
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
	if len(os.Args) != 4 {
		fmt.Printf("usage: remote_lat <connect-to> <message-size> <roundtrip-count>\n")
		os.Exit(1)
	}
	connectTo := os.Args[1]
	messageSize := atoi(os.Args[2])
	roundtripCount := atoi(os.Args[3])

	ctx := core.NewContext()
	s, err := ctx.NewSocket(core.REQ)
	if err != nil {
		fail("zmq_socket", err)
	}
	if err := s.Connect(connectTo); err != nil {
		fail("zmq_connect", err)
	}

	c := context.Background()
	req := core.NewMsg(make([]byte, messageSize))
	var rep core.Msg
	start := time.Now()
	for i := 0; i < roundtripCount; i++ {
		if err := s.Send(c, req); err != nil {
			fail("zmq_sendmsg", err)
		}
		if err := s.RecvMsg(c, &rep); err != nil {
			fail("zmq_recvmsg", err)
		}
		if len(rep.Frames) != 1 || len(rep.Frames[0]) != messageSize {
			fmt.Printf("message of incorrect size received\n")
			os.Exit(255)
		}
	}
	elapsed := time.Since(start).Microseconds() // libzmq's stopwatch counts µs

	latency := float64(elapsed) / float64(roundtripCount*2)

	fmt.Printf("message size: %d [B]\n", messageSize)
	fmt.Printf("roundtrip count: %d\n", roundtripCount)
	fmt.Printf("average latency: %.3f [us]\n", latency)

	if err := s.Close(); err != nil {
		fail("zmq_close", err)
	}
	if err := ctx.Term(); err != nil {
		fail("zmq_ctx_term", err)
	}
}
