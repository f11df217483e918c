package wire

import (
	"encoding/binary"
	"net/netip"
)

// Hdr holds the header fields an encoder needs besides the type: the ports
// and the GSI. Downstream packets (SPM, ODATA, RDATA, NCF) carry the
// data-source port in SPort; upstream ones (NAK, SPMR) carry the
// data-destination port in SPort and the data-source port in DPort
// (RFC 3208 §8.3).
type Hdr struct {
	SPort, DPort uint16
	GSI          GSI
}

func putHeader(b []byte, h Hdr, typ Type, opts uint8, tsdu int) {
	binary.BigEndian.PutUint16(b[0:], h.SPort)
	binary.BigEndian.PutUint16(b[2:], h.DPort)
	b[4] = byte(typ)
	b[5] = opts
	b[6], b[7] = 0, 0
	copy(b[8:14], h.GSI[:])
	binary.BigEndian.PutUint16(b[14:], uint16(tsdu))
}

// seal puts the checksum of the packet b into its header.
func seal(b []byte) {
	b[6], b[7] = 0, 0
	binary.BigEndian.PutUint16(b[6:], Checksum(b))
}

// NLALen is the encoded size of an NLA for a.
func NLALen(a netip.Addr) int {
	if a.Is4() || a.Is4In6() {
		return 8
	}
	return 20
}

func appendNLA(dst []byte, a netip.Addr) []byte {
	if a.Is4() || a.Is4In6() {
		v := a.Unmap().As4()
		dst = append(dst, 0, AFIIPv4, 0, 0)
		return append(dst, v[:]...)
	}
	v := a.As16()
	dst = append(dst, 0, AFIIPv6, 0, 0)
	return append(dst, v[:]...)
}

func grow(dst []byte, n int) ([]byte, []byte) {
	l := len(dst)
	if cap(dst)-l < n {
		nd := make([]byte, l, l+n)
		copy(nd, dst)
		dst = nd
	}
	return dst[:l+n], dst[l : l+n]
}

// AppendSPM appends an SPM: its sequence number, the transmit window's
// trailing and leading edges and the source's NLA; fin adds OPT_FIN (the
// session ends).
func AppendSPM(dst []byte, h Hdr, spmSqn, trail, lead uint32, nla netip.Addr, fin bool) []byte {
	start := len(dst)
	dst, b := grow(dst, HeaderLen+12)
	opts := uint8(0)
	if fin {
		opts = OptPresent
	}
	putHeader(b, h, TypeSPM, opts, 0)
	binary.BigEndian.PutUint32(b[16:], spmSqn)
	binary.BigEndian.PutUint32(b[20:], trail)
	binary.BigEndian.PutUint32(b[24:], lead)
	dst = appendNLA(dst, nla)
	if fin {
		dst = append(dst, OptLength, optLenLen, 0, optLenLen+4, OptFin|OptEnd, 4, 0, 0)
	}
	seal(dst[start:])
	return dst
}

// DataHeaderLen is the size of an ODATA or RDATA header without options:
// where the payload of a TPDU that PutData seals starts.
const DataHeaderLen = HeaderLen + DataLen

// PutData turns b, a TPDU whose payload already sits at b[DataHeaderLen:],
// into an ODATA or RDATA packet and computes its checksum. The payload
// must be at most 65535 octets.
func PutData(b []byte, h Hdr, typ Type, sqn, trail uint32) {
	putHeader(b, h, typ, 0, len(b)-DataHeaderLen)
	binary.BigEndian.PutUint32(b[16:], sqn)
	binary.BigEndian.PutUint32(b[20:], trail)
	seal(b)
}

// Resend turns a sealed ODATA packet without options into an RDATA packet
// with a new trailing edge, in place.
func Resend(b []byte, trail uint32) {
	b[4] = byte(TypeRDATA)
	binary.BigEndian.PutUint32(b[20:], trail)
	seal(b)
}

// AppendData appends an ODATA or RDATA packet with an optional
// OPT_FRAGMENT.
func AppendData(dst []byte, h Hdr, typ Type, sqn, trail uint32, payload []byte, frag *Fragment) []byte {
	start := len(dst)
	hl := DataHeaderLen
	if frag != nil {
		hl += optLenLen + fragLen
	}
	dst, b := grow(dst, hl)
	opts := uint8(0)
	if frag != nil {
		opts = OptPresent
	}
	putHeader(b, h, typ, opts, len(payload))
	binary.BigEndian.PutUint32(b[16:], sqn)
	binary.BigEndian.PutUint32(b[20:], trail)
	if frag != nil {
		o := b[DataHeaderLen:]
		o[0], o[1] = OptLength, optLenLen
		binary.BigEndian.PutUint16(o[2:], optLenLen+fragLen)
		o[4], o[5], o[6], o[7] = OptFragment|OptEnd, fragLen, 0, 0
		binary.BigEndian.PutUint32(o[8:], frag.First)
		binary.BigEndian.PutUint32(o[12:], frag.Offset)
		binary.BigEndian.PutUint32(o[16:], frag.Length)
	}
	dst = append(dst, payload...)
	seal(dst[start:])
	return dst
}

// AppendNAK appends a NAK or an NCF (typ) for sqns, 1 to 1+MaxNAKList
// sequence numbers (more are left out): the first in the header, the rest
// in OPT_NAK_LIST. src is the source's NLA, grp the group's.
func AppendNAK(dst []byte, h Hdr, typ Type, sqns []uint32, src, grp netip.Addr) []byte {
	if len(sqns) > 1+MaxNAKList {
		sqns = sqns[:1+MaxNAKList]
	}
	start := len(dst)
	dst, b := grow(dst, HeaderLen+4)
	opts := uint8(0)
	if len(sqns) > 1 {
		opts = OptPresent | OptNetwork
	}
	putHeader(b, h, typ, opts, 0)
	binary.BigEndian.PutUint32(b[16:], sqns[0])
	dst = appendNLA(dst, src)
	dst = appendNLA(dst, grp)
	if n := len(sqns) - 1; n > 0 {
		ol := 4 + 4*n
		dst = append(dst, OptLength, optLenLen, 0, 0, OptNAKList|OptEnd, byte(ol), 0, 0)
		binary.BigEndian.PutUint16(dst[len(dst)-6:], uint16(optLenLen+ol))
		for _, s := range sqns[1:] {
			dst = binary.BigEndian.AppendUint32(dst, s)
		}
	}
	seal(dst[start:])
	return dst
}

// AppendSPMR appends an SPM request (upstream: SPort is the destination
// port, DPort the source's port, GSI the source's).
func AppendSPMR(dst []byte, h Hdr) []byte {
	start := len(dst)
	dst, b := grow(dst, HeaderLen)
	putHeader(b, h, TypeSPMR, 0, 0)
	seal(dst[start:])
	return dst
}
