// Command zmqkit-plugin-tcp serves zmqkit's tcp transport out of process: a program
// loads it with registry/external (or the perf tools' -plugin flag) and
// its sockets use it in place of the compiled-in one. It is the very
// plugins/tcp that init() registers in process, wrapped by
// registry/external/serve; it does nothing when run by hand.
//
//	go build -o zmqkit-plugin-tcp ./cmd/zmqkit-plugin-tcp
//	local_thr -plugin ./zmqkit-plugin-tcp tcp://127.0.0.1:5555 64 1000000
package main

import (
	"github.com/zmqkit/zmqkit/plugins/tcp"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(tcp.New()) }
