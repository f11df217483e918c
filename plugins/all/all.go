// Package all registers zmqkit's default set of transports: tcp, ipc and
// inproc. Import it for its side effect:
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
)
