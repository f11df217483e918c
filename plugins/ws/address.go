package ws

import (
	"errors"
	"fmt"
	"strings"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// address is a parsed "HOST:PORT[/PATH]".
type address struct {
	hostPort string // "HOST:PORT" as given, brackets kept: what tcp parses
	host     string // HOST without brackets
	port     string
	path     string // "/" when none was given
}

// parseAddress splits a ws endpoint address (after "ws://") into its
// host, port and path, as libzmq's ws_address does: the port is
// required, the host may be an IPv6 address in brackets, the path starts
// at the first '/' after the host and defaults to "/". wildcard allows
// "*" as the port (bind).
func parseAddress(s string, wildcard bool) (address, error) {
	var a address
	rest := s
	if strings.HasPrefix(s, "[") {
		i := strings.IndexByte(s, ']')
		if i < 0 {
			return a, errors.New("unbalanced '['")
		}
		a.host = s[1:i]
		rest = s[i+1:]
		if !strings.HasPrefix(rest, ":") {
			return a, errors.New("missing port")
		}
		a.hostPort = s[:i+1]
		rest = rest[1:]
	} else {
		hp := s
		if i := strings.IndexByte(s, '/'); i >= 0 {
			hp = s[:i]
		}
		i := strings.LastIndexByte(hp, ':')
		if i < 0 {
			return a, errors.New("missing port")
		}
		a.host = hp[:i]
		a.hostPort = hp[:i]
		rest = s[i+1:]
	}
	port := rest
	a.path = "/"
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		port, a.path = rest[:i], rest[i:]
	}
	if a.host == "" {
		return a, errors.New("missing host")
	}
	if strings.ContainsAny(a.host, "/;?# \t\r\n") {
		return a, fmt.Errorf("invalid host %q", a.host)
	}
	switch {
	case port == "":
		return a, errors.New("missing port")
	case port == "*":
		if !wildcard {
			return a, errors.New(`port "*" is only valid for a local address`)
		}
	case len(port) > 5 || strings.Trim(port, "0123456789") != "":
		return a, fmt.Errorf("invalid port %q", port)
	}
	if err := checkPath(a.path); err != nil {
		return a, err
	}
	a.port = port
	a.hostPort += ":" + port
	return a, nil
}

// checkPath refuses what can not go into an HTTP request line.
func checkPath(p string) error {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c <= ' ' || c == 0x7f || c == '#' {
			return fmt.Errorf("invalid character %q in path %q", c, p)
		}
	}
	return nil
}

// invalid wraps a syntax error for endpoint ep.
func invalid(ep string, reason error) error {
	return fmt.Errorf("%w %q: %w", transport.ErrInvalidEndpoint, ep, reason)
}

// wsEndpoint turns "tcp://IP:PORT" into "SCHEME://IP:PORT" + path.
func wsEndpoint(scheme, tcpEndpoint, path string) string {
	rest, ok := strings.CutPrefix(tcpEndpoint, "tcp://")
	if !ok || rest == "" {
		return ""
	}
	return scheme + "://" + rest + path
}
