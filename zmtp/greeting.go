package zmtp

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Sizes of the greeting and its parts.
const (
	GreetingSize  = 64 // a whole ZMTP 3.x greeting
	SignatureSize = 10 // 0xFF, 8 padding octets, 0x7F
	MechanismSize = 20 // NUL-padded mechanism name
)

// Version is a ZMTP protocol revision as negotiated with a peer.
type Version int

// Protocol revisions.
const (
	V10 Version = 10 // ZMTP/1.0 (RFC 13)
	V20 Version = 20 // ZMTP/2.0 (RFC 15)
	V30 Version = 30 // ZMTP/3.0 (RFC 23)
	V31 Version = 31 // ZMTP/3.1 (RFC 37)
)

// ErrBadGreeting is wrapped by greeting parse errors.
var ErrBadGreeting = errors.New("zmtp: malformed greeting")

// AppendSignature appends the 10-octet signature libzmq sends first: 0xFF,
// the routing-id length + 1 as 8 big-endian octets, 0x7F.
func AppendSignature(dst []byte, routingIDLen int) []byte {
	dst = append(dst, 0xFF)
	dst = binary.BigEndian.AppendUint64(dst, uint64(routingIDLen)+1)
	return append(dst, 0x7F)
}

// AppendGreetingTail appends octets 11 to 63 of a ZMTP 3.1 greeting: minor
// version 1, the mechanism name, the as-server octet and the filler.
func AppendGreetingTail(dst []byte, mechanism string, asServer bool) []byte {
	dst = append(dst, 1)
	var mech [MechanismSize]byte
	copy(mech[:], mechanism)
	dst = append(dst, mech[:]...)
	if asServer {
		dst = append(dst, 1)
	} else {
		dst = append(dst, 0)
	}
	var filler [31]byte
	return append(dst, filler[:]...)
}

// AppendGreeting appends a whole 64-octet ZMTP 3.1 greeting.
func AppendGreeting(dst []byte, mechanism string, asServer bool) []byte {
	dst = AppendSignature(dst, 0)
	dst = append(dst, 3)
	return AppendGreetingTail(dst, mechanism, asServer)
}

// IsV1Signature reports whether the first octets a peer sent identify a
// ZMTP/1.0 peer without a version: b must hold at least 1 octet, and 10
// when the first is 0xFF.
func IsV1Signature(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	if b[0] != 0xFF {
		return true
	}
	return len(b) >= SignatureSize && b[9]&0x01 == 0
}

// PeerVersion maps the peer's major version octet (octet 10) and, for 3.x,
// its minor octet (octet 11) to a Version.
func PeerVersion(major, minor byte) Version {
	switch major {
	case 0:
		return V10
	case 1:
		return V20
	case 3:
		if minor == 0 {
			return V30
		}
		return V31
	}
	return V31
}

// Greeting is the parsed tail of a ZMTP 3.x greeting.
type Greeting struct {
	Major, Minor byte
	Mechanism    [MechanismSize]byte
	AsServer     bool
}

// MechanismName returns the mechanism name without its padding.
func (g *Greeting) MechanismName() string {
	n := 0
	for n < MechanismSize && g.Mechanism[n] != 0 {
		n++
	}
	return string(g.Mechanism[:n])
}

// ParseGreeting parses a whole 64-octet 3.x greeting.
func ParseGreeting(b []byte) (Greeting, error) {
	var g Greeting
	if len(b) < GreetingSize {
		return g, fmt.Errorf("%w: %d octets", ErrBadGreeting, len(b))
	}
	if b[0] != 0xFF || b[9]&1 == 0 {
		return g, fmt.Errorf("%w: bad signature", ErrBadGreeting)
	}
	g.Major, g.Minor = b[10], b[11]
	copy(g.Mechanism[:], b[12:32])
	g.AsServer = b[32] == 1
	return g, nil
}

// MechanismField returns name NUL-padded to 20 octets, to compare with a
// peer's greeting byte for byte, as libzmq does.
func MechanismField(name string) [MechanismSize]byte {
	var f [MechanismSize]byte
	copy(f[:], name)
	return f
}
