package udp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// spec is a resolved udp address (libzmq's udp_address_t).
type spec struct {
	target    netip.AddrPort // destination (connect) or bind/group address (bind)
	bind      netip.AddrPort // local address to bind (bind) or multicast source interface
	ifIndex   int            // interface index for IPv6 multicast, 0 = any
	multicast bool
	wildPort  bool // bind: port 0 or "*", resolved at bind time
}

func invalid(ep string, reason error) error {
	return fmt.Errorf("%w %q: %w", transport.ErrInvalidEndpoint, ep, reason)
}

// splitHostPort splits "host:port" at the last ':'; brackets around the
// host are optional.
func splitHostPort(s string, bind bool) (host string, port int, wild bool, err error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", 0, false, errors.New("missing port")
	}
	host, ps := s[:i], s[i+1:]
	if strings.HasPrefix(host, "[") {
		if len(host) < 2 || !strings.HasSuffix(host, "]") {
			return "", 0, false, errors.New("unbalanced '['")
		}
		host = host[1 : len(host)-1]
	}
	if host == "" {
		return "", 0, false, errors.New("missing host")
	}
	if strings.ContainsAny(host, "[]; \t\r\n/") {
		return "", 0, false, fmt.Errorf("invalid host %q", host)
	}
	if ps == "*" && bind {
		return host, 0, true, nil
	}
	if ps == "" || len(ps) > 5 || strings.TrimLeft(ps, "0123456789") != "" {
		return "", 0, false, fmt.Errorf("invalid port %q", ps)
	}
	p, _ := strconv.Atoi(ps)
	if p > 65535 {
		return "", 0, false, fmt.Errorf("invalid port %q", ps)
	}
	if p == 0 {
		if !bind {
			return "", 0, false, errors.New("port 0")
		}
		wild = true
	}
	return host, p, wild, nil
}

// nicAddr returns the first address of interface name of the wanted
// family, and its index.
func nicAddr(name string, ipv6 bool) (netip.Addr, int, bool) {
	ifi, err := net.InterfaceByName(name)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	addrs, _ := ifi.Addrs()
	var v4, v6 netip.Addr
	for _, a := range addrs {
		pfx, err := netip.ParsePrefix(a.String())
		if err != nil {
			continue
		}
		ad := pfx.Addr().Unmap()
		if ad.Is4() && !v4.IsValid() {
			v4 = ad
		}
		if ad.Is6() && !v6.IsValid() {
			v6 = ad
		}
	}
	if ipv6 && v6.IsValid() {
		return v6, ifi.Index, true
	}
	if v4.IsValid() {
		return v4, ifi.Index, true
	}
	if ipv6 && v6.IsValid() {
		return v6, ifi.Index, true
	}
	return netip.Addr{}, ifi.Index, true // an interface without addresses
}

func anyAddr(ipv6 bool) netip.Addr {
	if ipv6 {
		return netip.IPv6Unspecified()
	}
	return netip.IPv4Unspecified()
}

// resolveHost resolves a host: "*" (when allowed), a literal, an
// interface name (when allowed), else DNS (when resolve is set).
func resolveHost(ctx context.Context, host string, star, nic, dns, ipv6 bool) (addr netip.Addr, ifIndex int, err error) {
	if host == "*" {
		if !star {
			return addr, 0, errors.New(`"*" is only valid for a local address`)
		}
		return anyAddr(ipv6), 0, nil
	}
	if h, zone, ok := strings.Cut(host, "%"); ok {
		a, err := netip.ParseAddr(h)
		if err != nil || !a.Is6() {
			return addr, 0, fmt.Errorf("zone on %q, which is not an IPv6 address", h)
		}
		if ifi, err := net.InterfaceByName(zone); err == nil {
			ifIndex = ifi.Index
		} else if n, err := strconv.Atoi(zone); err == nil && n > 0 {
			ifIndex = n
		} else {
			return addr, 0, fmt.Errorf("unknown zone %q", zone)
		}
		return a.WithZone(zone), ifIndex, nil
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		if a.Is6() && !ipv6 {
			return addr, 0, fmt.Errorf("IPv6 address %q without IPv6 enabled", host)
		}
		return a, 0, nil
	}
	if nic {
		if a, idx, ok := nicAddr(host, ipv6); ok {
			if !a.IsValid() {
				return addr, 0, fmt.Errorf("interface %q has no address", host)
			}
			return a, idx, nil
		}
	}
	if !dns {
		return addr, 0, fmt.Errorf("%q is not an address", host)
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil || len(ips) == 0 {
		return addr, 0, fmt.Errorf("cannot resolve %q", host)
	}
	for _, a := range ips {
		a = a.Unmap()
		if a.Is4() || ipv6 {
			return a, 0, nil
		}
	}
	return addr, 0, fmt.Errorf("%q has no IPv4 address", host)
}

// checkSyntax checks a connect address without resolving names.
func checkSyntax(ep, addr string) error {
	dst := addr
	srcMcast := false
	if i := strings.LastIndexByte(addr, ';'); i >= 0 {
		src := addr[:i]
		if src == "" {
			return invalid(ep, errors.New("empty interface"))
		}
		if a, err := netip.ParseAddr(src); err == nil && a.IsMulticast() {
			return invalid(ep, errors.New("a multicast address as the source"))
		}
		srcMcast = true
		dst = addr[i+1:]
	}
	host, _, _, err := splitHostPort(dst, false)
	if err != nil {
		return invalid(ep, err)
	}
	if host == "*" {
		return invalid(ep, errors.New(`"*" is only valid for a local address`))
	}
	if a, err := netip.ParseAddr(host); err == nil && srcMcast && !a.IsMulticast() {
		return invalid(ep, errors.New("an interface requires a multicast address"))
	}
	return nil
}

// parse resolves addr as libzmq's udp_address_t::resolve does: an
// optional "IFACE;" source, then the destination (connect) or the local or
// multicast address (bind).
func parse(ctx context.Context, ep, addr string, bind, ipv6 bool) (spec, error) {
	var sp spec
	hasIface := false
	var src netip.Addr
	if i := strings.LastIndexByte(addr, ';'); i >= 0 {
		srcName := addr[:i]
		if srcName == "" {
			return sp, invalid(ep, errors.New("empty interface"))
		}
		a, idx, err := resolveHost(ctx, srcName, true, true, false, ipv6)
		if err != nil {
			if _, ierr := net.InterfaceByName(srcName); ierr != nil && strings.Contains(err.Error(), "not an address") {
				return sp, fmt.Errorf("%w %q: no interface %q", transport.ErrNoDevice, ep, srcName)
			}
			return sp, invalid(ep, err)
		}
		if a.IsMulticast() {
			return sp, invalid(ep, errors.New("a multicast address as the source"))
		}
		src, sp.ifIndex = a, idx
		hasIface = true
		addr = addr[i+1:]
	}
	host, port, wild, err := splitHostPort(addr, bind)
	if err != nil {
		return sp, invalid(ep, err)
	}
	tgt, idx, err := resolveHost(ctx, host, bind, bind, true, ipv6)
	if err != nil {
		return sp, invalid(ep, err)
	}
	if !hasIface && idx != 0 {
		sp.ifIndex = idx
	}
	sp.target = netip.AddrPortFrom(tgt, uint16(port))
	sp.multicast = tgt.IsMulticast()
	sp.wildPort = wild
	switch {
	case hasIface:
		if !sp.multicast {
			return sp, invalid(ep, errors.New("an interface requires a multicast address"))
		}
		if src.IsUnspecified() {
			src = anyAddr(tgt.Is6())
		}
		if src.Is4() != tgt.Is4() {
			return sp, invalid(ep, errors.New("interface and group of different families"))
		}
		sp.bind = netip.AddrPortFrom(src, uint16(port))
	case sp.multicast || !bind:
		sp.bind = netip.AddrPortFrom(anyAddr(tgt.Is6()), uint16(port))
	default:
		sp.bind = sp.target
	}
	if hasIface && sp.multicast && tgt.Is6() && sp.ifIndex <= 0 && !src.IsUnspecified() {
		return sp, fmt.Errorf("%w %q: IPv6 multicast needs an interface name", transport.ErrNoDevice, ep)
	}
	return sp, nil
}

// formatAddr renders an address as DGRAM's address frames carry it:
// "a.b.c.d:port" ("[v6]:port" for IPv6).
func formatAddr(ap netip.AddrPort) string {
	a := ap.Addr().Unmap()
	return netip.AddrPortFrom(a, ap.Port()).String()
}

// parseTo parses a DGRAM destination "ip:port" (no DNS, as libzmq's
// inet_addr); port 0 is invalid.
func parseTo(s string) (netip.AddrPort, error) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return netip.AddrPort{}, fmt.Errorf("%w %q: missing port", transport.ErrInvalidEndpoint, s)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(s[:i], "["), "]")
	a, err := netip.ParseAddr(host)
	p, perr := strconv.Atoi(s[i+1:])
	if err != nil || perr != nil || p <= 0 || p > 65535 {
		return netip.AddrPort{}, fmt.Errorf("%w %q: not ip:port", transport.ErrInvalidEndpoint, s)
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}
