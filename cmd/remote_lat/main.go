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
//
// -h prints the usage; bad arguments print it and exit 2 (see
// cmd/internal/perftool).
package main

import (
	"github.com/zmqkit/zmqkit/cmd/internal/perftool"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	_ "github.com/zmqkit/zmqkit/plugins/vmci" // vmci:// and vsock:// endpoints
)

func main() { perftool.RemoteLat.Exec() }
