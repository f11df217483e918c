package tcp

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

// hostPort is a parsed "host:port" with any brackets and zone removed.
type hostPort struct {
	host string // "*" for the wildcard
	zone string // IPv6 zone, "" if none
	port int    // 0 = ephemeral (bind) or any (source)
}

// parseHostPort parses "host:port" the way libzmq's ip_resolver does: the
// port follows the last ':', brackets around the host are optional, a zone
// follows the last '%'. wildcardPort allows "*" as the port. The returned
// error is a bare reason; callers wrap it with the endpoint.
func parseHostPort(s string, wildcardPort bool) (hostPort, error) {
	var hp hostPort
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return hp, errors.New("missing port")
	}
	host, ps := s[:i], s[i+1:]
	if ps == "*" {
		if !wildcardPort {
			return hp, errors.New(`port "*" is only valid for a local address`)
		}
	} else {
		p, err := parsePort(ps)
		if err != nil {
			return hp, err
		}
		hp.port = p
	}
	if strings.HasPrefix(host, "[") {
		if len(host) < 2 || !strings.HasSuffix(host, "]") {
			return hp, errors.New("unbalanced '['")
		}
		host = host[1 : len(host)-1]
	}
	if strings.ContainsAny(host, "[]; \t\r\n/") {
		return hp, fmt.Errorf("invalid host %q", host)
	}
	if j := strings.LastIndexByte(host, '%'); j >= 0 {
		hp.zone = host[j+1:]
		host = host[:j]
		if hp.zone == "" {
			return hp, errors.New("empty IPv6 zone")
		}
		if a, err := netip.ParseAddr(host); err != nil || !a.Is6() || a.Is4In6() {
			return hp, fmt.Errorf("zone %q on %q, which is not an IPv6 address", hp.zone, host)
		}
	}
	if host == "" {
		return hp, errors.New("missing host")
	}
	hp.host = host
	return hp, nil
}

// parsePort parses a decimal port number, 0 to 65535.
func parsePort(s string) (int, error) {
	if s == "" {
		return 0, errors.New("missing port")
	}
	if len(s) > 5 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	p, err := strconv.Atoi(s)
	if err != nil || p > 65535 {
		return 0, fmt.Errorf("invalid port %q", s)
	}
	return p, nil
}

// dialSpec is a parsed connect address.
type dialSpec struct {
	src *hostPort // nil without a source address
	dst hostPort
}

// parseDial checks the syntax of a connect address "[SRC;]HOST:PORT". As in
// libzmq the source part ends at the last ';'.
func parseDial(addr string) (dialSpec, error) {
	var ds dialSpec
	dst := addr
	if i := strings.LastIndexByte(addr, ';'); i >= 0 {
		src, err := parseHostPort(addr[:i], true)
		if err != nil {
			return ds, fmt.Errorf("source address: %w", err)
		}
		ds.src = &src
		dst = addr[i+1:]
	}
	hp, err := parseHostPort(dst, false)
	if err != nil {
		return ds, err
	}
	if hp.host == "*" {
		return ds, errors.New(`host "*" is only valid for a local address`)
	}
	ds.dst = hp
	return ds, nil
}

// invalid wraps a syntax error for endpoint ep.
func invalid(ep string, reason error) error {
	return fmt.Errorf("%w %q: %w", transport.ErrInvalidEndpoint, ep, reason)
}

// checkZone validates an IPv6 zone as libzmq does: a name must be an
// existing interface, a number must not be 0.
func checkZone(zone string) error {
	if zone == "" {
		return nil
	}
	c := zone[0]
	if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
		if _, err := net.InterfaceByName(zone); err != nil {
			return fmt.Errorf("unknown zone %q", zone)
		}
		return nil
	}
	if n, err := strconv.ParseUint(zone, 10, 32); err != nil || n == 0 {
		return fmt.Errorf("invalid zone %q", zone)
	}
	return nil
}

// literal returns hp.host as an IP address if it is one.
func literal(hp hostPort) (netip.Addr, bool) {
	a, err := netip.ParseAddr(hp.host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// pick chooses the address to use among a host's addresses: IPv4 only
// without ipv6, IPv6 first (then IPv4) with it.
func pick(addrs []netip.Addr, ipv6 bool) (netip.Addr, bool) {
	if ipv6 {
		for _, a := range addrs {
			if a.Is6() && !a.Is4In6() {
				return a, true
			}
		}
	}
	for _, a := range addrs {
		if a.Unmap().Is4() {
			return a.Unmap(), true
		}
	}
	return netip.Addr{}, false
}

// resolveLocal resolves a bind or source address: "*", a numeric address,
// an interface name or, with allowDNS, a host name. Unknown names wrap
// transport.ErrNoDevice, as libzmq reports ENODEV for them.
func resolveLocal(ctx context.Context, hp hostPort, ipv6, allowDNS bool) (*net.TCPAddr, error) {
	if hp.host == "*" {
		if ipv6 {
			return &net.TCPAddr{IP: net.IPv6unspecified, Port: hp.port}, nil
		}
		return &net.TCPAddr{IP: net.IPv4zero.To4(), Port: hp.port}, nil
	}
	if a, ok := literal(hp); ok {
		if err := checkZone(hp.zone); err != nil {
			return nil, fmt.Errorf("%w: %w", transport.ErrInvalidEndpoint, err)
		}
		return &net.TCPAddr{IP: a.AsSlice(), Zone: hp.zone, Port: hp.port}, nil
	}
	if ifi, err := net.InterfaceByName(hp.host); err == nil {
		return nicAddr(ifi, hp.port, ipv6)
	}
	if allowDNS {
		addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", hp.host)
		if err == nil {
			if a, ok := pick(addrs, ipv6); ok {
				return &net.TCPAddr{IP: a.AsSlice(), Zone: a.Zone(), Port: hp.port}, nil
			}
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
	}
	return nil, fmt.Errorf("%w: no interface or address %q", transport.ErrNoDevice, hp.host)
}

// nicAddr returns the first address of the wanted family on ifi.
func nicAddr(ifi *net.Interface, port int, ipv6 bool) (*net.TCPAddr, error) {
	addrs, err := ifi.Addrs()
	if err != nil {
		return nil, fmt.Errorf("%w: interface %s: %w", transport.ErrNoDevice, ifi.Name, err)
	}
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		v4 := ipn.IP.To4()
		switch {
		case !ipv6 && v4 != nil:
			return &net.TCPAddr{IP: v4, Port: port}, nil
		case ipv6 && v4 == nil:
			ta := &net.TCPAddr{IP: ipn.IP, Port: port}
			if ipn.IP.IsLinkLocalUnicast() {
				ta.Zone = ifi.Name
			}
			return ta, nil
		}
	}
	family := "IPv4"
	if ipv6 {
		family = "IPv6"
	}
	return nil, fmt.Errorf("%w: interface %s has no %s address", transport.ErrNoDevice, ifi.Name, family)
}

// resolveRemote resolves a connect address: numeric, or a host name
// looked up now (libzmq resolves again at every connect attempt).
func resolveRemote(ctx context.Context, hp hostPort, ipv6 bool) (*net.TCPAddr, error) {
	if a, ok := literal(hp); ok {
		if err := checkZone(hp.zone); err != nil {
			return nil, fmt.Errorf("%w: %w", transport.ErrInvalidEndpoint, err)
		}
		return &net.TCPAddr{IP: a.AsSlice(), Zone: hp.zone, Port: hp.port}, nil
	}
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", hp.host)
	if err != nil {
		return nil, err
	}
	a, ok := pick(addrs, ipv6)
	if !ok {
		return nil, fmt.Errorf("%w: %q has no IPv4 address (set IPv6 to use IPv6)", transport.ErrAddrNotAvailable, hp.host)
	}
	return &net.TCPAddr{IP: a.AsSlice(), Zone: a.Zone(), Port: hp.port}, nil
}

// network returns the Go network for a: "tcp4", "tcp6", or "tcp" (dual
// stack) for the IPv6 wildcard.
func network(a *net.TCPAddr) string {
	switch {
	case a.IP.To4() != nil:
		return "tcp4"
	case a.IP.IsUnspecified():
		return "tcp"
	default:
		return "tcp6"
	}
}

// hostString formats a's IP as getnameinfo(NI_NUMERICHOST) does: IPv6
// without brackets, with "%zone" if any.
func hostString(a *net.TCPAddr) string {
	if a == nil {
		return ""
	}
	h := a.IP.String()
	if a.Zone != "" {
		h += "%" + a.Zone
	}
	return h
}

// endpointOf formats a as "tcp://host:port", IPv6 in brackets.
func endpointOf(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || ta == nil {
		return ""
	}
	return "tcp://" + net.JoinHostPort(hostString(ta), strconv.Itoa(ta.Port))
}
