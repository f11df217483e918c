//go:build !linux

package tcp

import (
	"testing"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// checkSockopts is a no-op where options can not be read back portably.
func checkSockopts(*testing.T, transport.Conn, *transport.Config) {}
