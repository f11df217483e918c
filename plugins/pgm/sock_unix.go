//go:build unix

package pgm

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"

	"golang.org/x/sys/unix"
)

// dscpEF is the DSCP libzmq gives PGM traffic (Expedited Forwarding,
// pgm_socket.cpp) when ZMQ_TOS is not set.
const dscpEF = 0x2e << 2

// ipProtoPGM is PGM's IP protocol number (RFC 3208 §8).
const ipProtoPGM = 113

// sockOpts are the socket options of one endpoint.
type sockOpts struct {
	hops    int  // ZMQ_MULTICAST_HOPS
	loop    bool // multicast loopback (off, as libzmq, unless asked for)
	tos     int  // ZMQ_TOS; 0: libzmq's DSCP EF
	sndbuf  int  // ZMQ_SNDBUF; <=0: OS default
	rcvbuf  int  // ZMQ_RCVBUF; <=0: OS default
	reuse   bool // SO_REUSEADDR
	mcastTx bool // set the multicast sending options
}

func control(rc syscall.RawConn, f func(fd int) error) error {
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = f(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// setup applies o to the socket fd for endpoint e.
func (o sockOpts) setup(fd int, e *endpoint) error {
	v4 := e.group.Is4()
	if o.reuse {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
			return fmt.Errorf("SO_REUSEADDR: %w", err)
		}
		if err := setReusePort(fd); err != nil {
			return fmt.Errorf("SO_REUSEPORT: %w", err)
		}
	}
	if o.sndbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, o.sndbuf); err != nil {
			return fmt.Errorf("SO_SNDBUF: %w", err)
		}
	}
	if o.rcvbuf > 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUF, o.rcvbuf); err != nil {
			return fmt.Errorf("SO_RCVBUF: %w", err)
		}
	}
	if !o.mcastTx {
		return nil
	}
	loop := 0
	if o.loop {
		loop = 1
	}
	hops := max(o.hops, 1)
	tos := o.tos
	if v4 {
		if tos <= 0 {
			tos = dscpEF
		}
		if err := unix.SetsockoptInet4Addr(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, e.local.As4()); err != nil {
			return fmt.Errorf("IP_MULTICAST_IF: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, hops); err != nil {
			return fmt.Errorf("IP_MULTICAST_TTL: %w", err)
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, loop); err != nil {
			return fmt.Errorf("IP_MULTICAST_LOOP: %w", err)
		}
		// as libzmq: the DSCP is best effort
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IP, unix.IP_TOS, tos)
		return nil
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, e.ifIndex); err != nil {
		return fmt.Errorf("IPV6_MULTICAST_IF: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, hops); err != nil {
		return fmt.Errorf("IPV6_MULTICAST_HOPS: %w", err)
	}
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, loop); err != nil {
		return fmt.Errorf("IPV6_MULTICAST_LOOP: %w", err)
	}
	if tos > 0 {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_TCLASS, tos)
	}
	return nil
}

// join makes fd a member of the endpoint's group on its interface.
func join(fd int, e *endpoint) error {
	if e.group.Is4() {
		mreq := &unix.IPMreq{Multiaddr: e.group.As4(), Interface: e.local.As4()}
		return unix.SetsockoptIPMreq(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq)
	}
	mreq := &unix.IPv6Mreq{Multiaddr: e.group.As16(), Interface: uint32(e.ifIndex)}
	return unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq)
}

// pconn is a socket carrying PGM packets: UDP payloads (epgm) or IP
// payloads (pgm).
type pconn struct {
	udp  *net.UDPConn
	ip   *net.IPConn
	port uint16          // epgm: the port every packet goes to
	fdn  int             // the descriptor, for tryRead
	rc   syscall.RawConn // the same, through the Go poller, for writeBatch
}

func (c *pconn) read(b []byte) (int, netip.Addr, error) {
	if c.udp != nil {
		n, from, err := c.udp.ReadFromUDPAddrPort(b)
		return n, from.Addr().Unmap(), err
	}
	n, from, err := c.ip.ReadFromIP(b)
	var a netip.Addr
	if from != nil {
		a, _ = netip.AddrFromSlice(from.IP)
	}
	return n, a.Unmap(), err
}

// tryRead reads a packet already waiting on c, without blocking and
// without the Go poller (a read loop may be blocked reading c): ok is
// false when none waits. The caller keeps c open meanwhile.
func (c *pconn) tryRead(b []byte) (n int, from netip.Addr, ok bool) {
	if c.fdn < 0 {
		return 0, netip.Addr{}, false
	}
	n, sa, err := unix.Recvfrom(c.fdn, b, unix.MSG_DONTWAIT)
	if err != nil || n <= 0 {
		return 0, netip.Addr{}, false
	}
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		from = netip.AddrFrom4(a.Addr)
		if c.ip != nil { // raw IPv4 sockets read the IP header too
			ihl := int(b[0]&0x0f) * 4
			if ihl < 20 || ihl > n {
				return 0, netip.Addr{}, false
			}
			n = copy(b, b[ihl:n])
		}
	case *unix.SockaddrInet6:
		from = netip.AddrFrom16(a.Addr).Unmap()
	default:
		return 0, netip.Addr{}, false
	}
	return n, from, true
}

func (c *pconn) write(b []byte, to netip.Addr) error {
	if c.udp != nil {
		_, err := c.udp.WriteToUDPAddrPort(b, netip.AddrPortFrom(to, c.port))
		return err
	}
	_, err := c.ip.WriteToIP(b, &net.IPAddr{IP: to.AsSlice(), Zone: to.Zone()})
	return err
}

func (c *pconn) close() error {
	if c.udp != nil {
		return c.udp.Close()
	}
	return c.ip.Close()
}

func newPconn(pc net.PacketConn, port uint16) *pconn {
	c := &pconn{port: port, fdn: -1}
	switch x := pc.(type) {
	case *net.UDPConn:
		c.udp = x
	case *net.IPConn:
		c.ip = x
	}
	if sc, ok := pc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			c.rc = rc
			_ = rc.Control(func(fd uintptr) { c.fdn = int(fd) })
		}
	}
	return c
}

// listen opens a socket bound to addr (epgm: UDP; pgm: raw IP protocol
// 113) with options o; member joins the endpoint's group.
func listen(raw bool, addr netip.AddrPort, e *endpoint, o sockOpts, member bool) (*pconn, error) {
	lc := net.ListenConfig{Control: func(_, _ string, rc syscall.RawConn) error {
		return control(rc, func(fd int) error {
			if err := o.setup(fd, e); err != nil {
				return err
			}
			if member {
				if err := join(fd, e); err != nil {
					return fmt.Errorf("joining %s on %s: %w", e.group, e.ifName, err)
				}
			}
			return nil
		})
	}}
	network, laddr := "udp4", addr.String()
	if raw {
		network, laddr = fmt.Sprintf("ip4:%d", ipProtoPGM), addr.Addr().String()
		if !addr.Addr().Is4() {
			network = fmt.Sprintf("ip6:%d", ipProtoPGM)
		}
	} else if !addr.Addr().Is4() {
		network = "udp6"
	}
	pc, err := lc.ListenPacket(context.Background(), network, laddr)
	if err != nil {
		if raw && (errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)) {
			return nil, &privError{err: err}
		}
		return nil, err
	}
	return newPconn(pc, addr.Port()), nil
}

var errNetClosed = net.ErrClosed
