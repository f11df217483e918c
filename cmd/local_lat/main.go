// Command local_lat is zmqkit's port of libzmq's perf/local_lat: it binds a
// REP socket and echoes <roundtrip-count> messages of <message-size> bytes
// back to remote_lat, which measures the latency. Same arguments and
// behaviour as libzmq 4.3's tool (it prints nothing on success; closing
// waits until the last reply is out, as libzmq's tool sleeps a second for).
//
//	local_lat <bind-to> <message-size> <roundtrip-count>
//
// Each request is received with RecvMsg into one reused Msg and sent back
// as it is, so the loop does not allocate in steady state.
//
// -h prints the usage; bad arguments print it and exit 2 (see
// cmd/internal/perftool).
package main

import (
	"github.com/zmqkit/zmqkit/cmd/internal/perftool"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	_ "github.com/zmqkit/zmqkit/plugins/vmci" // vmci:// and vsock:// endpoints
)

func main() { perftool.LocalLat.Exec() }
