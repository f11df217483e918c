// Package all registers every transport and mechanism plugin that can be
// compiled in: import it for a binary that speaks everything zmqkit does.
// Import the plugin packages one by one instead to pay only for what a
// program uses (each adds its own dependencies: ws coder/websocket, vmci
// mdlayher/vsock; pgm nothing beyond golang.org/x/sys).
package all

import (
	// Register every compiled-in transport and mechanism in registry.Default.
	_ "github.com/zmqkit/zmqkit/plugins/curve"
	_ "github.com/zmqkit/zmqkit/plugins/inproc"
	_ "github.com/zmqkit/zmqkit/plugins/ipc"
	_ "github.com/zmqkit/zmqkit/plugins/pgm"
	_ "github.com/zmqkit/zmqkit/plugins/plain"
	_ "github.com/zmqkit/zmqkit/plugins/tcp"
	_ "github.com/zmqkit/zmqkit/plugins/udp"
	_ "github.com/zmqkit/zmqkit/plugins/vmci"
	_ "github.com/zmqkit/zmqkit/plugins/ws"
)
