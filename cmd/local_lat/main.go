// Command local_lat is zmqkit's port of libzmq's perf/local_lat: it binds a
// REP socket and echoes <roundtrip-count> messages of <message-size> bytes
// back to remote_lat, which measures the latency. Same arguments and
// behaviour as libzmq 4.3's tool (it prints nothing on success, and waits a
// second before closing so the last reply gets out).
//
//	local_lat <bind-to> <message-size> <roundtrip-count>
//
// Each request is received with RecvMsg into one reused Msg and sent back
// as it is, so the loop does not allocate in steady state.
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
	bindTo, messageSize, roundtripCount, _ := perftool.Args("local_lat <bind-to> <message-size> <roundtrip-count>", false)

	ctx := core.NewContext()
	s, err := ctx.NewSocket(core.REP)
	if err != nil {
		perftool.Fail("zmq_socket", err)
	}
	if err := s.Bind(bindTo); err != nil {
		perftool.Fail("zmq_bind", err)
	}

	c := context.Background()
	var msg core.Msg
	for i := 0; i < roundtripCount; i++ {
		if err := s.RecvMsg(c, &msg); err != nil {
			perftool.Fail("zmq_recvmsg", err)
		}
		if len(msg.Frames) != 1 || len(msg.Frames[0]) != messageSize {
			fmt.Printf("message of incorrect size received\n")
			os.Exit(255)
		}
		if err := s.Send(c, msg); err != nil {
			perftool.Fail("zmq_sendmsg", err)
		}
	}

	time.Sleep(time.Second) // as libzmq's zmq_sleep (1)

	if err := s.Close(); err != nil {
		perftool.Fail("zmq_close", err)
	}
	if err := ctx.Term(); err != nil {
		perftool.Fail("zmq_ctx_term", err)
	}
}
