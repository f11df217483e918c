// Command zmqkit-plugin-pgm serves zmqkit's pgm transport (the pgm:// and
// epgm:// schemes, reliable multicast for PUB, XPUB, SUB and XSUB) out of
// process: a program loads it with registry/external (or the perf tools'
// -plugin flag) and its sockets use it in place of a compiled-in one. It
// is the very plugins/pgm that init() registers in process, wrapped by
// registry/external/serve: the plugin opens the multicast sockets, runs
// PGM (NAKs, repairs, rate limiting, the transmit and receive windows) and
// hands the host each endpoint's whole messages over a batched local
// channel. Socket options cross (ZMQ_RATE, RECOVERY_IVL, MULTICAST_HOPS,
// MULTICAST_MAXTPDU, TOS, buffers, pgm.MulticastLoop), and so do
// EventDataLost events. Raw pgm:// needs CAP_NET_RAW in the plugin
// process only, which is a reason to run it out of process. pgm.Stats
// reports the plugin's endpoints only inside the plugin. It does nothing
// when run by hand.
//
//	go build -o zmqkit-plugin-pgm ./cmd/zmqkit-plugin-pgm
//	sudo setcap cap_net_raw+ep zmqkit-plugin-pgm    # for pgm://, not epgm://
//
// and in the program (PUB/SUB: the perf tools' PUSH/PULL can not use pgm):
//
//	p, err := external.Load(registry.Default, "./zmqkit-plugin-pgm", external.Options{Replace: true})
//	...
//	pub.Bind("epgm://eth0;239.192.1.1:5555")
package main

import (
	"github.com/zmqkit/zmqkit/plugins/pgm"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(pgm.New()) }
