//go:build !unix

package udp

import (
	"net"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// Without unix socket options the transport does unicast only.

func setReuse(fd uintptr, multicast bool, device string, _ *transport.Config) error {
	return setDevice(fd, device)
}

func setDevice(fd uintptr, device string) error {
	if device == "" {
		return nil
	}
	return transport.ErrNotSupported
}

func joinGroup(uc *net.UDPConn, sp spec) error { return transport.ErrNotSupported }

func setMulticastSend(uc *net.UDPConn, sp spec, hops int, loop bool) error {
	return transport.ErrNotSupported
}
