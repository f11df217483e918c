// Command zmqkit-plugin-vmci serves zmqkit's vmci/vsock transport (the
// vmci:// and vsock:// schemes, AF_VSOCK) out of process: a program loads
// it with registry/external (or the perf tools' -plugin flag) and its
// sockets use it in place of a compiled-in one. It is the very
// plugins/vmci that init() registers in process, wrapped by
// registry/external/serve: the plugin binds, accepts and connects, then
// hands each connected AF_VSOCK descriptor to the host, whose engine does
// the I/O itself (sockio.FileConn: net.FileConn refuses AF_VSOCK). It
// does nothing when run by hand.
//
//	go build -o zmqkit-plugin-vmci ./cmd/zmqkit-plugin-vmci
//	local_thr -plugin ./zmqkit-plugin-vmci 'vsock://*:5555' 64 1000000
package main

import (
	"github.com/zmqkit/zmqkit/plugins/vmci"
	"github.com/zmqkit/zmqkit/registry/external/serve"
)

func main() { serve.Main(vmci.New()) }
