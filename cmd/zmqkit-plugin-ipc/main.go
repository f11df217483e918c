// Command zmqkit-plugin-ipc serves zmqkit's ipc transport out of process: a program
// loads it with registry/external (or the perf tools' -plugin flag) and
// its sockets use it in place of the compiled-in one. It is the very
// plugins/ipc that init() registers in process, wrapped by
// registry/external/serve; it does nothing when run by hand.
//
//	go build -o zmqkit-plugin-ipc ./cmd/zmqkit-plugin-ipc
//	local_thr -plugin ./zmqkit-plugin-ipc ipc:///tmp/thr 64 1000000
package main

import (
	"github.com/zmqkit/zmqkit/plugins/ipc"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(ipc.New()) }
