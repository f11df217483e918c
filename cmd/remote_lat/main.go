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
	"time"

	"github.com/zmqkit/zmqkit/cmd/internal/perftool"
	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

func main() {
	connectTo, messageSize, roundtripCount, _ := perftool.Args("remote_lat <connect-to> <message-size> <roundtrip-count>", false)

	ctx := core.NewContext()
	s, err := ctx.NewSocket(core.REQ)
	if err != nil {
		perftool.Fail("zmq_socket", err)
	}
	if err := s.Connect(connectTo); err != nil {
		perftool.Fail("zmq_connect", err)
	}

	c := context.Background()
	req := core.NewMsg(make([]byte, messageSize))
	var rep core.Msg
	start := time.Now()
	for i := 0; i < roundtripCount; i++ {
		if err := s.Send(c, req); err != nil {
			perftool.Fail("zmq_sendmsg", err)
		}
		if err := s.RecvMsg(c, &rep); err != nil {
			perftool.Fail("zmq_recvmsg", err)
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
		perftool.Fail("zmq_close", err)
	}
	if err := ctx.Term(); err != nil {
		perftool.Fail("zmq_ctx_term", err)
	}
}
