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
	"strconv"
	"time"

	"github.com/zmqkit/zmqkit/core"
	_ "github.com/zmqkit/zmqkit/plugins/all"
)

// The server secret key libzmq's perf tools use (Z85); it matches the
// server public key in remote_thr.
const serverSecretKey = "{X}#>t#jRGaQ}gMhv=30r(Mw+87YGs+5%kh=i@f8"

func fail(what string, err error) {
	fmt.Printf("error in %s: %v\n", what, err)
	os.Exit(255) // libzmq's tools return -1
}

// atoi parses like C's atoi: leading digits, 0 on garbage.
func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0
	}
	return n
}

func main() {
	if len(os.Args) != 4 && len(os.Args) != 5 {
		fmt.Printf("usage: local_thr <bind-to> <message-size> <message-count> [<enable_curve>]\n")
		os.Exit(1)
	}
	bindTo := os.Args[1]
	messageSize := atoi(os.Args[2])
	messageCount := atoi(os.Args[3])
	curve := len(os.Args) >= 5 && atoi(os.Args[4]) != 0

	ctx := core.NewContext()
	opts := []core.Option{}
	if curve {
		opts = append(opts, core.WithMechanism("CURVE", true, map[string][]byte{
			"CURVE_SECRETKEY": []byte(serverSecretKey),
		}))
	}
	s, err := ctx.NewSocket(core.PULL, opts...)
	if err != nil {
		fail("zmq_socket", err)
	}
	if err := s.Bind(bindTo); err != nil {
		fail("zmq_bind", err)
	}

	c := context.Background()
	var msg core.Msg
	if err := s.RecvMsg(c, &msg); err != nil {
		fail("zmq_recvmsg", err)
	}
	if len(msg.Frames) != 1 || len(msg.Frames[0]) != messageSize {
		fmt.Printf("message of incorrect size received\n")
		os.Exit(255)
	}

	start := time.Now()
	for i := 0; i < messageCount-1; i++ {
		if err := s.RecvMsg(c, &msg); err != nil {
			fail("zmq_recvmsg", err)
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
		fail("zmq_close", err)
	}
	if err := ctx.Term(); err != nil {
		fail("zmq_ctx_term", err)
	}
}
