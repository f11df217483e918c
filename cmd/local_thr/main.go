// Command local_thr is zmqkit's port of libzmq's perf/local_thr: it binds a
// PULL socket, receives <message-count> messages of <message-size> bytes
// and prints the mean throughput, with the same arguments and output lines
// as libzmq 4.3's tool. Run it with remote_thr (zmqkit's or libzmq's):
//
//	local_thr tcp://127.0.0.1:5555 64 1000000
//	remote_thr tcp://127.0.0.1:5555 64 1000000
//
// As in libzmq, the clock starts when the first message arrives, so the
// figure does not include connection set-up. The optional fourth argument
// enables CURVE with libzmq's fixed perf-tool keys (needs the CURVE plugin).
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
	bindTo, messageSize, messageCount, curve := perftool.Args(
		"local_thr <bind-to> <message-size> <message-count> [<enable_curve>]", true)

	ctx := core.NewContext()
	s, err := ctx.NewSocket(core.PULL, perftool.CurveServer(curve)...)
	if err != nil {
		perftool.Fail("zmq_socket", err)
	}
	if err := s.Bind(bindTo); err != nil {
		perftool.Fail("zmq_bind", err)
	}

	c := context.Background()
	var msg core.Msg
	if err := s.RecvMsg(c, &msg); err != nil {
		perftool.Fail("zmq_recvmsg", err)
	}
	if len(msg.Frames) != 1 || len(msg.Frames[0]) != messageSize {
		fmt.Printf("message of incorrect size received\n")
		os.Exit(255)
	}

	start := time.Now()
	for i := 0; i < messageCount-1; i++ {
		if err := s.RecvMsg(c, &msg); err != nil {
			perftool.Fail("zmq_recvmsg", err)
		}
		if len(msg.Frames) != 1 || len(msg.Frames[0]) != messageSize {
			fmt.Printf("message of incorrect size received\n")
			os.Exit(255)
		}
	}
	elapsed := time.Since(start).Microseconds() // libzmq's stopwatch counts µs
	if elapsed == 0 {
		elapsed = 1
	}

	throughput := float64(messageCount) / float64(elapsed) * 1000000
	megabits := throughput * float64(messageSize) * 8 / 1000000

	fmt.Printf("message size: %d [B]\n", messageSize)
	fmt.Printf("message count: %d\n", messageCount)
	fmt.Printf("mean throughput: %d [msg/s]\n", int(throughput))
	fmt.Printf("mean throughput: %.3f [Mb/s]\n", megabits)

	if err := s.Close(); err != nil {
		perftool.Fail("zmq_close", err)
	}
	if err := ctx.Term(); err != nil {
		perftool.Fail("zmq_ctx_term", err)
	}
}
