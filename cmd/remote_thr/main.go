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
//
// -h prints the usage; bad arguments print it and exit 2 (see
// cmd/internal/perftool).
package main

import (
	"github.com/zmqkit/zmqkit/cmd/internal/perftool"
	_ "github.com/zmqkit/zmqkit/plugins/all"
	_ "github.com/zmqkit/zmqkit/plugins/vmci" // vmci:// and vsock:// endpoints
)

func main() { perftool.RemoteThr.Exec() }
