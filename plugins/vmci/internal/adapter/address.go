package adapter

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mdlayher/vsock"

	"github.com/zmqkit/zmqkit/registry/transport"
)

// The schemes the transport serves: libzmq 4.3's VMCI syntax and libzmq
// master's Linux AF_VSOCK syntax. They differ only in what "@" means.
const (
	SchemeVMCI  = "vmci"
	SchemeVSOCK = "vsock"
)

// Address is a parsed endpoint address.
type Address struct {
	CID, Port uint32
	// At says the CID was "@": the local CID for vmci (resolved at bind
	// or connect time), CIDLocal for vsock (CID is then set already).
	At bool
}

// Parse parses addr, the part of an endpoint after "scheme://", as libzmq
// does: split at the last ':'; "*" or "-1" is the wildcard CID
// (VMADDR_CID_ANY) or port (an ephemeral one); "@" is the local CID for
// vmci and VMADDR_CID_LOCAL (1) for vsock; anything else is a decimal
// uint32. Unlike libzmq's strtoul, signs, spaces and trailing characters
// are refused, and wildcards are refused on connect (bind false), where a
// peer's CID and port are needed. Errors wrap
// transport.ErrInvalidEndpoint and name the endpoint.
func Parse(scheme, addr string, bind bool) (Address, error) {
	ep := scheme + "://" + addr
	bad := func(format string, args ...any) (Address, error) {
		return Address{}, fmt.Errorf("%w %q: %s", transport.ErrInvalidEndpoint, ep, fmt.Sprintf(format, args...))
	}
	if scheme != SchemeVMCI && scheme != SchemeVSOCK {
		return bad("the vmci transport serves vmci:// and vsock://, not %s://", scheme)
	}
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return bad("want CID:PORT")
	}
	host, port := addr[:i], addr[i+1:]
	var a Address
	switch {
	case host == "":
		return bad("empty CID")
	case host == "*" || host == "-1":
		if !bind {
			return bad("a connect needs the peer's CID, not the wildcard %q", host)
		}
		a.CID = CIDAny
	case host == "@":
		a.At = true
		if scheme == SchemeVSOCK {
			a.CID = CIDLocal
		}
	default:
		n, ok := decimal(host)
		if !ok {
			return bad("CID %q is not *, -1, @ or a decimal number up to %d", host, CIDAny)
		}
		if !bind && n == uint64(CIDAny) {
			return bad("a connect needs the peer's CID, not VMADDR_CID_ANY")
		}
		a.CID = uint32(n)
	}
	switch {
	case port == "":
		return bad("empty port")
	case port == "*" || port == "-1":
		if !bind {
			return bad("a connect needs the peer's port, not the wildcard %q", port)
		}
		a.Port = PortAny
	default:
		n, ok := decimal(port)
		if !ok {
			return bad("port %q is not *, -1 or a decimal number up to %d", port, PortAny)
		}
		if !bind && n == uint64(PortAny) {
			return bad("a connect needs the peer's port, not VMADDR_PORT_ANY")
		}
		a.Port = uint32(n)
	}
	return a, nil
}

// decimal parses a run of decimal digits no larger than a uint32.
func decimal(s string) (uint64, bool) {
	if s == "" || len(s) > 20 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 32)
	return n, err == nil
}

// Format formats (cid, port) as an endpoint, as libzmq's to_string does:
// the wildcard CID or port prints as "*".
func Format(scheme string, cid, port uint32) string {
	var b strings.Builder
	b.Grow(len(scheme) + 25)
	b.WriteString(scheme)
	b.WriteString("://")
	if cid == CIDAny {
		b.WriteByte('*')
	} else {
		b.WriteString(strconv.FormatUint(uint64(cid), 10))
	}
	b.WriteByte(':')
	if port == PortAny {
		b.WriteByte('*')
	} else {
		b.WriteString(strconv.FormatUint(uint64(port), 10))
	}
	return b.String()
}

// FormatAddr formats a connection or listener address (a *vsock.Addr) as
// an endpoint; "" for anything else.
func FormatAddr(scheme string, a any) string {
	va, ok := a.(*vsock.Addr)
	if !ok || va == nil {
		return ""
	}
	return Format(scheme, va.ContextID, va.Port)
}
