// Package all registers zmqkit's default set of transports: tcp, ipc,
// inproc and udp (RADIO/DISH and DGRAM), the ones libzmq always has.
// Import it for its side effect:
//
//	import _ "github.com/zmqkit/zmqkit/plugins/all"
//
// Programs that want fewer transports import the plugins they need
// instead.
package all

import (
	// Register the default transports in registry.Default.
	_ "github.com/zmqkit/zmqkit/plugins/inproc"
	_ "github.com/zmqkit/zmqkit/plugins/ipc"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
	_ "github.com/zmqkit/zmqkit/plugins/udp"
)
