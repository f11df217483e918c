//go:build unix

package udp

import (
	"net"
	"net/netip"

	"golang.org/x/sys/unix"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// setReuse sets SO_REUSEADDR on a receiving socket, SO_REUSEPORT too for
// multicast (as libzmq), and the device from ZMQ_BINDTODEVICE.
func setReuse(fd uintptr, multicast bool, device string, _ *transport.Config) error {
	if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return err
	}
	if multicast {
		if err := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
			return err
		}
	}
	return setDevice(fd, device)
}

// joinGroup joins the multicast group of sp on its interface.
func joinGroup(uc *net.UDPConn, sp spec) error {
	rc, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	g := sp.target.Addr()
	return control(rc, func(fd uintptr) error {
		if g.Is4() {
			mreq := &unix.IPMreq{Multiaddr: g.As4()}
			if b := sp.bind.Addr(); b.Is4() {
				mreq.Interface = b.As4()
			}
			return unix.SetsockoptIPMreq(int(fd), unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq)
		}
		mreq := &unix.IPv6Mreq{Multiaddr: g.As16(), Interface: uint32(max(sp.ifIndex, 0))}
		return unix.SetsockoptIPv6Mreq(int(fd), unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq)
	})
}

// setMulticastSend sets the loop, hops and outgoing interface of a
// multicast sender, as libzmq's udp_engine does.
func setMulticastSend(uc *net.UDPConn, sp spec, hops int, loop bool) error {
	rc, err := uc.SyscallConn()
	if err != nil {
		return err
	}
	l := 0
	if loop {
		l = 1
	}
	return control(rc, func(fd uintptr) error {
		if sp.target.Addr().Is4() {
			if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, l); err != nil {
				return err
			}
			if hops > 0 {
				if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, hops); err != nil {
					return err
				}
			}
			if b := sp.bind.Addr(); b.Is4() && b != netip.IPv4Unspecified() {
				return unix.SetsockoptInet4Addr(int(fd), unix.IPPROTO_IP, unix.IP_MULTICAST_IF, b.As4())
			}
			return nil
		}
		if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, l); err != nil {
			return err
		}
		if hops > 0 {
			if err := unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, hops); err != nil {
				return err
			}
		}
		if sp.ifIndex > 0 {
			return unix.SetsockoptInt(int(fd), unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, sp.ifIndex)
		}
		return nil
	})
}
