// Package wire encodes and decodes PGM packets (RFC 3208 §8, §9) and the
// ZeroMQ framing libzmq carries inside them (a 16-bit offset to the first
// message, then ZMTP/1.0 frames).
//
// Decoding never allocates: a Packet's slices alias the input. Encoders
// append to a caller's buffer. Everything here is plain functions of bytes;
// the protocol state lives in package proto.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// Type is a PGM packet type (the low nibble of the type octet; the version
// bits are zero).
type Type uint8

// Packet types (RFC 3208 §8; ACK is PGMCC's).
const (
	TypeSPM   Type = 0x00
	TypePOLL  Type = 0x01
	TypePOLR  Type = 0x02
	TypeODATA Type = 0x04
	TypeRDATA Type = 0x05
	TypeNAK   Type = 0x08
	TypeNNAK  Type = 0x09
	TypeNCF   Type = 0x0A
	TypeSPMR  Type = 0x0C
	TypeACK   Type = 0x0D
)

var typeNames = map[Type]string{TypeSPM: "SPM", TypePOLL: "POLL", TypePOLR: "POLR", TypeODATA: "ODATA",
	TypeRDATA: "RDATA", TypeNAK: "NAK", TypeNNAK: "NNAK", TypeNCF: "NCF", TypeSPMR: "SPMR", TypeACK: "ACK"}

// String returns the packet type's name in RFC 3208 (e.g. "ODATA").
func (t Type) String() string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("type(%#x)", uint8(t))
}

// Bits of the header's options octet.
const (
	OptPresent   = 0x01 // option extensions follow the type-specific header
	OptNetwork   = 0x02 // some option is network-significant
	OptVarPktLen = 0x40 // parity packet of variable-length packets (FEC)
	OptParity    = 0x80 // parity packet (FEC)
)

// Option types (RFC 3208 §9; the top bit of the type octet is OPT_END).
const (
	OptLength   = 0x00
	OptFragment = 0x01
	OptNAKList  = 0x02
	OptJoin     = 0x03
	OptSyn      = 0x0D
	OptFin      = 0x0E
	OptRst      = 0x0F
	OptEnd      = 0x80
	optMask     = 0x7F
)

// Sizes.
const (
	HeaderLen  = 16 // the common PGM header
	DataLen    = 8  // ODATA/RDATA: sequence number and trailing edge
	MaxNAKList = 62 // sequence numbers OPT_NAK_LIST carries beside the header's
	maxOptions = 16 // RFC 3208 §9: at most 16 options per packet
	optLenLen  = 4  // OPT_LENGTH
	fragLen    = 16 // OPT_FRAGMENT: 4 octets of option header, 3 sequence numbers
)

// Address family indicators of an NLA.
const (
	AFIIPv4 = 1
	AFIIPv6 = 2
)

// GSI is a global source identifier.
type GSI [6]byte

// TSI identifies a transport session: the source's GSI and data-source
// port. It is comparable and serves as a map key.
type TSI struct {
	GSI   GSI
	SPort uint16
}

// String formats the TSI as its GSI and source port.
func (t TSI) String() string {
	g := t.GSI
	return fmt.Sprintf("%d.%d.%d.%d.%d.%d.%d", g[0], g[1], g[2], g[3], g[4], g[5], t.SPort)
}

// Fragment is OPT_FRAGMENT: where a TPDU sits in a fragmented APDU.
type Fragment struct {
	First  uint32 // sequence number of the APDU's first fragment
	Offset uint32 // offset of this fragment in the APDU
	Length uint32 // length of the whole APDU
}

// Packet is a decoded PGM packet. Payload aliases the decoded buffer.
type Packet struct {
	SPort, DPort uint16
	Type         Type
	Options      uint8 // the header's options octet
	Checksum     uint16
	GSI          GSI
	TSDULen      uint16

	// SPM: SPMSqn, Trail, Lead, NLA (the path NLA).
	// ODATA, RDATA: Sqn, Trail, Payload, and Frag if HasFrag.
	// NAK, NNAK, NCF: Sqn (the requested one), NLA (the source's), Group,
	// and List[:ListLen] from OPT_NAK_LIST.
	SPMSqn  uint32
	Sqn     uint32
	Trail   uint32
	Lead    uint32
	NLA     netip.Addr
	Group   netip.Addr
	Payload []byte

	HasFrag bool
	Frag    Fragment
	ListLen int
	List    [MaxNAKList]uint32
	Syn     bool // OPT_SYN
	Fin     bool // OPT_FIN
	Rst     bool // OPT_RST
}

// TSI returns the transport session of a packet that travels downstream
// (SPM, ODATA, RDATA, NCF): GSI and source port.
func (p *Packet) TSI() TSI { return TSI{GSI: p.GSI, SPort: p.SPort} }

// UpstreamTSI returns the transport session a packet that travels upstream
// (NAK, NNAK, SPMR) is about: GSI and destination port.
func (p *Packet) UpstreamTSI() TSI { return TSI{GSI: p.GSI, SPort: p.DPort} }

// Upstream reports whether the type travels from receivers to the source.
func (t Type) Upstream() bool {
	return t == TypeNAK || t == TypeNNAK || t == TypeSPMR || t == TypePOLR || t == TypeACK
}

// UpstreamType reports whether the packet b, unparsed, is of a type that
// travels upstream: a cheap filter before Parse.
func UpstreamType(b []byte) bool { return len(b) > 4 && b[4]&0xF0 == 0 && Type(b[4]).Upstream() }

// Errors Parse returns; each wraps ErrMalformed or ErrChecksum.
var (
	ErrMalformed = errors.New("pgm: malformed packet")
	ErrChecksum  = errors.New("pgm: bad checksum")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Parse decodes the PGM packet in b (UDP payload, or IP payload for raw
// PGM) into p. It checks the checksum (mandatory on ODATA and RDATA), the
// lengths and the options of the types it knows; packets of other types
// get their header only. p's slices alias b.
func Parse(b []byte, p *Packet) error {
	if len(b) < HeaderLen {
		return malformed("%d octets, shorter than the header", len(b))
	}
	p.SPort = binary.BigEndian.Uint16(b[0:])
	p.DPort = binary.BigEndian.Uint16(b[2:])
	typ := b[4]
	if typ&0xF0 != 0 {
		return malformed("version or reserved bits set in type %#x", typ)
	}
	p.Type = Type(typ)
	p.Options = b[5]
	p.Checksum = binary.BigEndian.Uint16(b[6:])
	copy(p.GSI[:], b[8:14])
	p.TSDULen = binary.BigEndian.Uint16(b[14:])
	p.Payload = nil
	p.HasFrag, p.ListLen, p.Syn, p.Fin, p.Rst = false, 0, false, false, false
	p.NLA, p.Group = netip.Addr{}, netip.Addr{}

	if p.Checksum != 0 {
		if !checksumOK(b) {
			return ErrChecksum
		}
	} else if p.Type == TypeODATA || p.Type == TypeRDATA {
		return fmt.Errorf("%w: missing on %v", ErrChecksum, p.Type)
	}

	body := b[HeaderLen:]
	var rest []byte // after the type-specific header: options, then payload
	switch p.Type {
	case TypeSPM:
		if len(body) < 12 {
			return malformed("SPM of %d octets", len(b))
		}
		p.SPMSqn = binary.BigEndian.Uint32(body[0:])
		p.Trail = binary.BigEndian.Uint32(body[4:])
		p.Lead = binary.BigEndian.Uint32(body[8:])
		a, r, err := parseNLA(body[12:])
		if err != nil {
			return err
		}
		p.NLA, rest = a, r
	case TypeODATA, TypeRDATA:
		if len(body) < DataLen {
			return malformed("%v of %d octets", p.Type, len(b))
		}
		p.Sqn = binary.BigEndian.Uint32(body[0:])
		p.Trail = binary.BigEndian.Uint32(body[4:])
		rest = body[DataLen:]
	case TypeNAK, TypeNNAK, TypeNCF:
		if len(body) < 4 {
			return malformed("%v of %d octets", p.Type, len(b))
		}
		p.Sqn = binary.BigEndian.Uint32(body[0:])
		a, r, err := parseNLA(body[4:])
		if err != nil {
			return err
		}
		g, r, err := parseNLA(r)
		if err != nil {
			return err
		}
		p.NLA, p.Group, rest = a, g, r
	case TypeSPMR:
		rest = body
	default:
		return nil // not for us: the header is enough to ignore it
	}

	if p.Options&OptPresent != 0 {
		n, err := p.parseOptions(rest)
		if err != nil {
			return err
		}
		rest = rest[n:]
	}
	switch p.Type {
	case TypeODATA, TypeRDATA:
		if len(rest) != int(p.TSDULen) {
			return malformed("TSDU length %d, %d octets of data", p.TSDULen, len(rest))
		}
		p.Payload = rest
		if p.HasFrag {
			f := p.Frag
			if f.Length < uint32(len(rest)) || f.Offset > f.Length-uint32(len(rest)) || SqnLess(p.Sqn, f.First) {
				return malformed("OPT_FRAGMENT %+v on %d octets at %d", f, len(rest), p.Sqn)
			}
		}
	default:
		if p.TSDULen != 0 {
			return malformed("TSDU length %d on %v", p.TSDULen, p.Type)
		}
	}
	return nil
}

// checksumOK checks a nonzero checksum without writing to b: the sum over
// the packet with the checksum in place is 0xFFFF exactly when the sender
// computed that checksum (for both encodings of a zero sum).
func checksumOK(b []byte) bool { return sum16(b) == 0xFFFF }

// parseNLA decodes an AFI, a reserved field and an address.
func parseNLA(b []byte) (netip.Addr, []byte, error) {
	if len(b) < 4 {
		return netip.Addr{}, nil, malformed("truncated NLA")
	}
	switch binary.BigEndian.Uint16(b) {
	case AFIIPv4:
		if len(b) < 8 {
			return netip.Addr{}, nil, malformed("truncated IPv4 NLA")
		}
		return netip.AddrFrom4([4]byte(b[4:8])), b[8:], nil
	case AFIIPv6:
		if len(b) < 20 {
			return netip.Addr{}, nil, malformed("truncated IPv6 NLA")
		}
		return netip.AddrFrom16([16]byte(b[4:20])), b[20:], nil
	default:
		return netip.Addr{}, nil, malformed("NLA AFI %d", binary.BigEndian.Uint16(b))
	}
}

// parseOptions decodes the option extensions at the start of b and returns
// their total length.
func (p *Packet) parseOptions(b []byte) (int, error) {
	if len(b) < optLenLen || b[0]&optMask != OptLength || b[1] != optLenLen {
		return 0, malformed("options do not start with OPT_LENGTH")
	}
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total < optLenLen+4 || total > len(b) {
		return 0, malformed("OPT_LENGTH total %d of %d octets", total, len(b))
	}
	if b[0]&OptEnd != 0 {
		return 0, malformed("OPT_LENGTH alone")
	}
	o := b[optLenLen:total]
	for i := 0; ; i++ {
		if i == maxOptions {
			return 0, malformed("more than %d options", maxOptions)
		}
		if len(o) < 4 {
			return 0, malformed("truncated option")
		}
		typ, n := o[0], int(o[1])
		if n < 4 || n > len(o) {
			return 0, malformed("option %#x of length %d, %d octets left", typ, n, len(o))
		}
		v := o[4:n] // after type, length and the two reserved/flag octets
		switch typ & optMask {
		case OptLength:
			return 0, malformed("second OPT_LENGTH")
		case OptFragment:
			if n != fragLen {
				return 0, malformed("OPT_FRAGMENT of length %d", n)
			}
			p.HasFrag = true
			p.Frag = Fragment{First: binary.BigEndian.Uint32(v), Offset: binary.BigEndian.Uint32(v[4:]),
				Length: binary.BigEndian.Uint32(v[8:])}
		case OptNAKList:
			if len(v)%4 != 0 || len(v) == 0 || len(v)/4 > MaxNAKList {
				return 0, malformed("OPT_NAK_LIST of length %d", n)
			}
			p.ListLen = len(v) / 4
			for j := range p.ListLen {
				p.List[j] = binary.BigEndian.Uint32(v[4*j:])
			}
		case OptSyn:
			p.Syn = true
		case OptFin:
			p.Fin = true
		case OptRst:
			p.Rst = true
		}
		o = o[n:]
		if typ&OptEnd != 0 {
			break
		}
	}
	if len(o) != 0 {
		return 0, malformed("%d octets after OPT_END inside OPT_LENGTH", len(o))
	}
	return total, nil
}

// SqnLess reports a < b in the circular 32-bit sequence space (RFC 3208
// §3.2: within half the space).
func SqnLess(a, b uint32) bool { return int32(a-b) < 0 }

// SqnLessEq reports a <= b in the circular sequence space.
func SqnLessEq(a, b uint32) bool { return int32(a-b) <= 0 }
