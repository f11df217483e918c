// Command zmqkit-plugin-plain serves zmqkit's PLAIN mechanism out of process: a program
// loads it with registry/external (or the perf tools' -plugin flag) and
// its sockets use it in place of the compiled-in one. It is the very
// plugins/plain that init() registers in process, wrapped by
// registry/external/serve; it does nothing when run by hand.
//
//	go build -o zmqkit-plugin-plain ./cmd/zmqkit-plugin-plain
package main

import (
	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(plain.Mechanism{}) }
