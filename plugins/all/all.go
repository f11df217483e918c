// Package all registers zmqkit's default set of plugins: the transports
// tcp, ipc, inproc and udp (RADIO/DISH and DGRAM), the ones libzmq always
// has, and the security mechanisms PLAIN and CURVE (NULL is in the core).
// Import it for its side effect:
//
//	import _ "github.com/zmqkit/zmqkit/plugins/all"
//
// Programs that want fewer transports import the plugins they need
// instead.
package all

import (
	// Register the default transports and mechanisms in registry.Default.
	_ "github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/inproc"
	_ "github.com/zmqkit/zmqkit/plugins/ipc"
	_ "github.com/zmqkit/zmqkit/plugins/plain"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
	_ "github.com/zmqkit/zmqkit/plugins/udp"
)
