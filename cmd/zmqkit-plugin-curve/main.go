// Command zmqkit-plugin-curve serves zmqkit's CURVE mechanism out of process: a program
// loads it with registry/external (or the perf tools' -plugin flag) and
// its sockets use it in place of the compiled-in one. It is the very
// plugins/curve that init() registers in process, wrapped by
// registry/external/serve; it does nothing when run by hand.
//
//	go build -o zmqkit-plugin-curve ./cmd/zmqkit-plugin-curve
//	local_thr -plugin ./zmqkit-plugin-curve tcp://127.0.0.1:5555 64 1000000 1
package main

import (
	"github.com/zmqkit/zmqkit/plugins/curve"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(&curve.Mechanism{}) }
