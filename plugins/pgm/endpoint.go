package pgm

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// OpenPGM's default groups, used when an endpoint names none.
var (
	defaultGroup4 = netip.MustParseAddr("239.192.0.1")
	defaultGroup6 = netip.MustParseAddr("ff08::1")
)

// spec is an endpoint as written: "IFACE;GROUP:PORT" and its variants.
type spec struct {
	iface string     // interface name, address or network; "" for the default
	group netip.Addr // invalid: OpenPGM's default group
	port  uint16
}

// endpoint is a resolved spec: the interface and its address.
type endpoint struct {
	spec
	ifIndex int
	ifName  string
	local   netip.Addr // the interface's unicast address: the NLA
	group   netip.Addr
}

func invalid(ep string, format string, args ...any) error {
	return fmt.Errorf("%w %q: "+format, append([]any{transport.ErrInvalidEndpoint, ep}, args...)...)
}

// parseSpec parses addr (the endpoint after "pgm://" or "epgm://") as
// libzmq and OpenPGM do: the port after the last ':', then OpenPGM's
// network specification "INTERFACE;RECEIVE-GROUPS;SEND-GROUP", where
// every part may be empty and a lone multicast address is a group. Only
// one group is supported (the receive and send groups must agree).
func parseSpec(ep, addr string) (spec, error) {
	var sp spec
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return sp, invalid(ep, "missing port (IFACE;GROUP:PORT)")
	}
	network, ps := addr[:i], addr[i+1:]
	p, err := strconv.Atoi(ps)
	if err != nil || p <= 0 || p > 65535 || strings.TrimLeft(ps, "0123456789") != "" {
		return sp, invalid(ep, "invalid port %q", ps)
	}
	sp.port = uint16(p)
	if len(network) > 255 {
		return sp, fmt.Errorf("%w %q: network specification longer than 255 octets", transport.ErrNameTooLong, ep)
	}
	parts := strings.Split(network, ";")
	if len(parts) > 3 {
		return sp, invalid(ep, "more than three ';'-separated parts")
	}
	for _, part := range parts {
		if strings.ContainsAny(part, " \t\r\n") {
			return sp, invalid(ep, "white space in %q", part)
		}
	}
	var groups []string
	switch len(parts) {
	case 1:
		// a lone entity is the interface, unless it is a multicast group
		if g, err := parseGroup(parts[0]); err == nil && g.IsMulticast() {
			groups = []string{parts[0]}
		} else {
			sp.iface = parts[0]
		}
	case 2:
		sp.iface, groups = parts[0], []string{parts[1]}
	case 3:
		sp.iface, groups = parts[0], []string{parts[1], parts[2]}
	}
	for _, gs := range groups {
		if gs == "" {
			continue
		}
		if strings.Contains(gs, ",") {
			return sp, invalid(ep, "several groups (%q): one group per endpoint", gs)
		}
		g, err := parseGroup(gs)
		if err != nil {
			return sp, invalid(ep, "%v", err)
		}
		if !g.IsMulticast() {
			return sp, invalid(ep, "%s is not a multicast group", g)
		}
		if sp.group.IsValid() && sp.group != g {
			return sp, invalid(ep, "receive group %s and send group %s differ: one group per endpoint", sp.group, g)
		}
		sp.group = g
	}
	if sp.iface != "" {
		if a, err := parseGroup(sp.iface); err == nil && a.IsMulticast() {
			return sp, invalid(ep, "a multicast address (%s) as the interface", a)
		}
	}
	return sp, nil
}

// parseGroup parses an IP literal, bracketed or not, without a zone.
func parseGroup(s string) (netip.Addr, error) {
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("%q is not a numeric address", s)
	}
	if a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("a zone on group %q: name the interface instead", s)
	}
	return a.Unmap(), nil
}

// ifaceAddrs lists an interface's unicast addresses.
func ifaceAddrs(ifi *net.Interface) []netip.Prefix {
	addrs, _ := ifi.Addrs()
	var out []netip.Prefix
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil {
			out = append(out, netip.PrefixFrom(p.Addr().Unmap(), p.Bits()))
		}
	}
	return out
}

// pick returns the interface's first address of the family, preferring
// global to link-local ones.
func pick(ifi *net.Interface, v6 bool) (netip.Addr, bool) {
	var ll netip.Addr
	for _, p := range ifaceAddrs(ifi) {
		a := p.Addr()
		if a.Is4() == v6 {
			continue
		}
		if a.IsLinkLocalUnicast() {
			if !ll.IsValid() {
				ll = a
			}
			continue
		}
		return a, true
	}
	return ll, ll.IsValid()
}

// resolve finds the interface of sp: by name, by one of its addresses, by
// a network (CIDR) it is on, or the first multicast-capable interface that
// is up when none is named (loopback last).
func resolve(ep string, sp spec) (endpoint, error) {
	e := endpoint{spec: sp, group: sp.group}
	v6 := sp.group.IsValid() && sp.group.Is6()
	ifs, err := net.Interfaces()
	if err != nil {
		return e, fmt.Errorf("pgm: %s: listing interfaces: %w", ep, err)
	}
	use := func(ifi *net.Interface, a netip.Addr) {
		e.ifIndex, e.ifName, e.local = ifi.Index, ifi.Name, a
	}
	switch {
	case sp.iface == "":
		var lo *net.Interface
		for i := range ifs {
			ifi := &ifs[i]
			if ifi.Flags&net.FlagUp == 0 || ifi.Flags&net.FlagMulticast == 0 {
				continue
			}
			if ifi.Flags&net.FlagLoopback != 0 {
				if lo == nil {
					lo = ifi
				}
				continue
			}
			if a, ok := pick(ifi, v6); ok {
				use(ifi, a)
				break
			}
		}
		if e.ifName == "" && lo != nil {
			if a, ok := pick(lo, v6); ok {
				use(lo, a)
			}
		}
		if e.ifName == "" {
			return e, fmt.Errorf("%w %q: no multicast-capable interface is up; name one (IFACE;GROUP:PORT)", transport.ErrNoDevice, ep)
		}
	default:
		name := sp.iface
		if a, err := parseGroup(name); err == nil {
			// an address: the interface that has it
			for i := range ifs {
				for _, p := range ifaceAddrs(&ifs[i]) {
					if p.Addr() == a {
						use(&ifs[i], a)
					}
				}
			}
			if e.ifName == "" {
				return e, fmt.Errorf("%w %q: no interface has address %s", transport.ErrAddrNotAvailable, ep, a)
			}
			break
		}
		if pf, err := netip.ParsePrefix(name); err == nil {
			// a network: the first interface with an address in it
			for i := range ifs {
				for _, p := range ifaceAddrs(&ifs[i]) {
					if e.ifName == "" && pf.Contains(p.Addr()) {
						use(&ifs[i], p.Addr())
					}
				}
			}
			if e.ifName == "" {
				return e, fmt.Errorf("%w %q: no interface is on network %s", transport.ErrAddrNotAvailable, ep, pf)
			}
			break
		}
		ifi, err := net.InterfaceByName(name)
		if err != nil {
			return e, fmt.Errorf("%w %q: no interface %q", transport.ErrNoDevice, ep, name)
		}
		a, ok := pick(ifi, v6)
		if !ok && !sp.group.IsValid() {
			if a, ok = pick(ifi, true); ok {
				v6 = true
			}
		}
		if !ok {
			return e, fmt.Errorf("%w %q: interface %s has no address", transport.ErrAddrNotAvailable, ep, name)
		}
		use(ifi, a)
	}
	if !e.group.IsValid() {
		e.group = defaultGroup4
		if e.local.Is6() {
			e.group = defaultGroup6
		}
	}
	if e.group.Is4() != e.local.Is4() {
		return e, invalid(ep, "interface address %s and group %s of different families", e.local, e.group)
	}
	if e.local.Is6() && e.local.IsLinkLocalUnicast() {
		e.local = e.local.WithZone(e.ifName)
	}
	return e, nil
}
