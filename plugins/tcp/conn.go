package tcp

import (
	"net"

	"github.com/zmqkit/zmqkit/registry/transport/sockio"
)

// newConn wraps a TCP connection: endpoints as "tcp://ip:port" and the
// Peer-Address property as the peer's numeric IP without port (IPv6
// without brackets), as ZMQ's Peer-Address gives it. Writes use writev and
// large reads readv (sockio.Conn).
func newConn(c *net.TCPConn) *sockio.Conn {
	ra, _ := c.RemoteAddr().(*net.TCPAddr)
	return sockio.NewConn(c, endpointOf(c.LocalAddr()), endpointOf(c.RemoteAddr()), hostString(ra))
}
