package ipc

import (
	"net"

	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// newConn wraps a Unix domain connection: LocalAddress is "ipc://path" on
// the accepting side and "" on the (unnamed) dialing side, RemoteAddress
// the other way round; PeerAddress is always empty. Writes use writev and
// large reads readv (sockio.Conn).
func newConn(c *net.UnixConn) *sockio.Conn {
	return sockio.NewConn(c, endpointOf(c.LocalAddr()), endpointOf(c.RemoteAddr()), "")
}
