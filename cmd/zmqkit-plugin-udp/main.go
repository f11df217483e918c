// Command zmqkit-plugin-udp serves zmqkit's udp transport (RADIO/DISH, DGRAM) out of process: a program
// loads it with registry/external (or the perf tools' -plugin flag) and
// its sockets use it in place of the compiled-in one. It is the very
// plugins/udp that init() registers in process, wrapped by
// registry/external/serve; it does nothing when run by hand.
//
//	go build -o zmqkit-plugin-udp ./cmd/zmqkit-plugin-udp
package main

import (
	"github.com/zmqkit/zmqkit/plugins/udp"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(udp.New()) }
