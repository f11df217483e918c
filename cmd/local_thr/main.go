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
//
// -h prints the usage; bad arguments print it and exit 2 (see
// cmd/internal/perftool).
package main

import (
	"github.com/zmqkit/zmqkit/cmd/internal/perftool"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	_ "github.com/zmqkit/zmqkit/plugins/vmci" // vmci:// and vsock:// endpoints
)

func main() { perftool.LocalThr.Exec() }
