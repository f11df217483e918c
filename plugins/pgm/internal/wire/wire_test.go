package wire

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
)

// refSum is RFC 1071's reference: 16-bit big-endian words, end-around carry.
func refSum(b []byte) uint16 {
	var s uint32
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xFFFF {
		s = s>>16 + s&0xFFFF
	}
	return uint16(s)
}

func TestChecksumMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		for range 20 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			if r.IntN(4) == 0 {
				for i := range b {
					b[i] = 0xFF
				}
			}
			if got, want := sum16(b), refSum(b); got != want && !(got|want == 0xFFFF && got&want == 0) {
				t.Fatalf("len %d: sum16 %#x, reference %#x", n, got, want)
			}
		}
	}
}

// A checksum from RFC 1071 §3's worked example (as a PGM-style check).
func TestChecksumKnown(t *testing.T) {
	b := []byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}
	if s := sum16(b); s != 0xddf2 {
		t.Fatalf("sum %#x, want 0xddf2", s)
	}
	if c := Checksum(b); c != ^uint16(0xddf2) {
		t.Fatalf("checksum %#x", c)
	}
	// a zero sum is sent as all ones, never 0
	if c := Checksum(make([]byte, 6)); c != 0xFFFF {
		t.Fatalf("checksum of zeros %#x", c)
	}
}

var (
	hdr   = Hdr{SPort: 4242, DPort: 5555, GSI: GSI{1, 2, 3, 4, 5, 6}}
	src4  = netip.MustParseAddr("192.0.2.1")
	grp4  = netip.MustParseAddr("239.192.7.7")
	src6  = netip.MustParseAddr("fe80::1")
	grp6  = netip.MustParseAddr("ff02::7")
	upHdr = Hdr{SPort: 5555, DPort: 4242, GSI: GSI{1, 2, 3, 4, 5, 6}}
)

func mustParse(t *testing.T, b []byte) *Packet {
	t.Helper()
	var p Packet
	if err := Parse(b, &p); err != nil {
		t.Fatalf("Parse(% x): %v", b, err)
	}
	return &p
}

func TestRoundTrip(t *testing.T) {
	p := mustParse(t, AppendSPM(nil, hdr, 7, 100, 200, src4, false))
	if p.Type != TypeSPM || p.SPMSqn != 7 || p.Trail != 100 || p.Lead != 200 || p.NLA != src4 || p.Fin ||
		p.TSI() != (TSI{hdr.GSI, 4242}) || p.DPort != 5555 {
		t.Errorf("SPM: %+v", p)
	}
	p = mustParse(t, AppendSPM(nil, hdr, 8, 1, 0, src6, true))
	if !p.Fin || p.NLA != src6 {
		t.Errorf("SPM FIN v6: %+v", p)
	}

	payload := []byte("\x00\x00\x06\x00hello")
	p = mustParse(t, AppendData(nil, hdr, TypeODATA, 0xFFFFFFFF, 0xFFFFFFF0, payload, nil))
	if p.Type != TypeODATA || p.Sqn != 0xFFFFFFFF || p.Trail != 0xFFFFFFF0 || !bytes.Equal(p.Payload, payload) || p.HasFrag {
		t.Errorf("ODATA: %+v", p)
	}
	f := Fragment{First: 9, Offset: 1000, Length: 3000}
	p = mustParse(t, AppendData(nil, hdr, TypeRDATA, 10, 5, payload, &f))
	if p.Type != TypeRDATA || !p.HasFrag || p.Frag != f || !bytes.Equal(p.Payload, payload) {
		t.Errorf("RDATA fragment: %+v", p)
	}

	// PutData / Resend: the zero-copy path
	b := append(make([]byte, DataHeaderLen), payload...)
	PutData(b, hdr, TypeODATA, 77, 70)
	p = mustParse(t, b)
	if p.Sqn != 77 || p.Trail != 70 || !bytes.Equal(p.Payload, payload) {
		t.Errorf("PutData: %+v", p)
	}
	if !bytes.Equal(b, AppendData(nil, hdr, TypeODATA, 77, 70, payload, nil)) {
		t.Error("PutData and AppendData differ")
	}
	Resend(b, 75)
	p = mustParse(t, b)
	if p.Type != TypeRDATA || p.Sqn != 77 || p.Trail != 75 {
		t.Errorf("Resend: %+v", p)
	}

	for _, n := range []int{1, 2, 63, 64} {
		sqns := make([]uint32, n)
		for i := range sqns {
			sqns[i] = uint32(1000 + 3*i)
		}
		for _, typ := range []Type{TypeNAK, TypeNCF} {
			for _, a := range [][2]netip.Addr{{src4, grp4}, {src6, grp6}} {
				p = mustParse(t, AppendNAK(nil, upHdr, typ, sqns, a[0], a[1]))
				want := sqns[:min(n, 63)]
				got := append([]uint32{p.Sqn}, p.List[:p.ListLen]...)
				if p.Type != typ || p.NLA != a[0] || p.Group != a[1] || !slices.Equal(got, want) {
					t.Errorf("%v %d: %+v, sqns %v", typ, n, p, got)
				}
				if p.UpstreamTSI() != (TSI{hdr.GSI, 4242}) {
					t.Errorf("upstream TSI %v", p.UpstreamTSI())
				}
			}
		}
	}
	p = mustParse(t, AppendSPMR(nil, upHdr))
	if p.Type != TypeSPMR || p.UpstreamTSI() != (TSI{hdr.GSI, 4242}) {
		t.Errorf("SPMR: %+v", p)
	}
}

func TestParseRejects(t *testing.T) {
	good := AppendData(nil, hdr, TypeODATA, 1, 1, []byte("abc"), nil)
	withSum := func(b []byte) []byte { seal(b); return b }
	mod := func(f func(b []byte)) []byte {
		b := slices.Clone(good)
		f(b)
		return b
	}
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrMalformed},
		{"short", good[:10], ErrMalformed},
		{"bad checksum", mod(func(b []byte) { b[len(b)-1] ^= 1 }), ErrChecksum},
		{"no checksum on ODATA", mod(func(b []byte) { b[6], b[7] = 0, 0 }), ErrChecksum},
		{"version bits", withSum(mod(func(b []byte) { b[4] |= 0x40 })), ErrMalformed},
		{"TSDU too long", withSum(mod(func(b []byte) { b[15]++ })), ErrMalformed},
		{"TSDU too short", withSum(mod(func(b []byte) { b[15]-- })), ErrMalformed},
		{"truncated data header", withSum(slices.Clone(good[:20])), ErrMalformed},
		{"options without OPT_LENGTH", withSum(mod(func(b []byte) { b[5] |= OptPresent })), ErrMalformed},
		{"bad AFI", withSum(mod2(AppendSPM(nil, hdr, 1, 1, 1, src4, false), func(b []byte) { b[29] = 9 })), ErrMalformed},
		{"truncated NLA", withSum(slices.Clone(AppendSPM(nil, hdr, 1, 1, 1, src6, false)[:40])), ErrMalformed},
		{"NAK list overflowing", withSum(mod2(AppendNAK(nil, upHdr, TypeNAK, []uint32{1, 2, 3}, src4, grp4), func(b []byte) { b[len(b)-11] = 200 })), ErrMalformed},
		{"fragment outside APDU", withSum(mod2(AppendData(nil, hdr, TypeODATA, 5, 1, []byte("abcd"), &Fragment{First: 5, Offset: 10, Length: 12}), func([]byte) {})), ErrMalformed},
		{"fragment first after sqn", withSum(mod2(AppendData(nil, hdr, TypeODATA, 5, 1, []byte("abcd"), &Fragment{First: 6, Offset: 0, Length: 12}), func([]byte) {})), ErrMalformed},
	}
	for _, tc := range cases {
		var p Packet
		if err := Parse(tc.b, &p); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
	// unknown types parse as a header only
	b := withSum(mod(func(b []byte) { b[4] = byte(TypePOLL) }))
	if err := Parse(b, new(Packet)); err != nil {
		t.Errorf("POLL: %v", err)
	}
}

func mod2(b []byte, f func([]byte)) []byte { f(b); return b }

// packAll packs messages with the given APDU size and returns the APDUs.
func packAll(max int, msgs [][][]byte, flushEvery int) [][]byte {
	var out [][]byte
	p := &Packer{Max: max, Headroom: 3,
		Alloc: func() []byte { return make([]byte, 3, 3+max) },
		Emit:  func(b []byte) { out = append(out, slices.Clone(b[3:])) }}
	for i, m := range msgs {
		for j, f := range m {
			p.WriteFrame(f, j < len(m)-1)
		}
		if flushEvery > 0 && i%flushEvery == 0 {
			p.Flush()
		}
	}
	p.Flush()
	return out
}

func randMsgs(r *rand.Rand, n int) [][][]byte {
	msgs := make([][][]byte, n)
	for i := range msgs {
		nf := 1 + r.IntN(3)
		for range nf {
			size := r.IntN(40)
			switch r.IntN(10) {
			case 0:
				size = 250 + r.IntN(10) // around the short/long header switch
			case 1:
				size = r.IntN(5000)
			}
			f := make([]byte, size)
			for k := range f {
				f[k] = byte(r.Uint32())
			}
			msgs[i] = append(msgs[i], f)
		}
	}
	return msgs
}

func TestPackerDecoderRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, max := range []int{3, 4, 11, 100, 1448} {
		for _, flush := range []int{0, 1, 3} {
			msgs := randMsgs(r, 200)
			apdus := packAll(max, msgs, flush)
			var got [][][]byte
			d := &Decoder{MaxMsgSize: -1, Deliver: func(f [][]byte) { got = append(got, f) }}
			for _, a := range apdus {
				if len(a) > max {
					t.Fatalf("APDU of %d > %d", len(a), max)
				}
				if err := d.Feed(a); err != nil {
					t.Fatalf("max %d: %v", max, err)
				}
			}
			if !equalMsgs(got, msgs) {
				t.Fatalf("max %d flush %d: %d messages back of %d", max, flush, len(got), len(msgs))
			}
		}
	}
}

func equalMsgs(a, b [][][]byte) bool {
	return slices.EqualFunc(a, b, func(x, y [][]byte) bool { return slices.EqualFunc(x, y, bytes.Equal) })
}

// The offsets are libzmq's: 0 for an APDU starting with a message, the
// position of the first message start otherwise, 0xFFFF for a middle.
func TestPackerOffsets(t *testing.T) {
	apdus := packAll(12, [][][]byte{{[]byte("abcdefghij")}, {[]byte("xy")}}, 0)
	// message 1: header 0x0B 0x00 + 10 octets = 12 octets of stream
	want := [][]byte{
		{0x00, 0x00, 0x0B, 0x00, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'},
		{0x00, 0x02, 'i', 'j', 0x03, 0x00, 'x', 'y'},
	}
	if len(apdus) != 2 || !bytes.Equal(apdus[0], want[0]) || !bytes.Equal(apdus[1], want[1]) {
		t.Fatalf("APDUs % x, want % x", apdus, want)
	}
	apdus = packAll(6, [][][]byte{{[]byte("abcdefghij")}}, 0)
	if len(apdus) != 3 || binary.BigEndian.Uint16(apdus[1]) != NoOffset || binary.BigEndian.Uint16(apdus[2]) != NoOffset {
		t.Fatalf("middle APDUs % x", apdus)
	}
	// a long frame uses 0xFF and 8 octets, the length counting the flags
	apdus = packAll(1000, [][][]byte{{make([]byte, 254)}}, 0)
	if !bytes.Equal(apdus[0][:12], []byte{0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0}) {
		t.Fatalf("long header % x", apdus[0][:12])
	}
}

// After a loss the decoder drops the partial message and rejoins at the
// next message start; a late joiner skips until a message starts.
func TestDecoderLossAndJoin(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for trial := range 200 {
		msgs := randMsgs(r, 60)
		apdus := packAll(30, msgs, 0)
		// tag each message with its index so we can check order and exactness
		drop := r.IntN(len(apdus))
		start := 0
		if trial%2 == 1 {
			start = r.IntN(len(apdus))
		}
		var got [][][]byte
		d := &Decoder{MaxMsgSize: -1, Deliver: func(f [][]byte) { got = append(got, f) }}
		for i := start; i < len(apdus); i++ {
			if i == drop {
				d.Lost()
				continue
			}
			if err := d.Feed(apdus[i]); err != nil {
				t.Fatal(err)
			}
		}
		// every delivered message must be one of the sent ones, in order
		k := 0
		for _, g := range got {
			for k < len(msgs) && !slices.EqualFunc(g, msgs[k], bytes.Equal) {
				k++
			}
			if k == len(msgs) {
				t.Fatalf("trial %d: delivered a message that was not sent in order", trial)
			}
			k++
		}
	}
}

func TestDecoderErrors(t *testing.T) {
	var got [][][]byte
	d := &Decoder{MaxMsgSize: 10, Deliver: func(f [][]byte) { got = append(got, f) }}
	feed := func(b ...byte) error { return d.Feed(b) }
	if err := feed(0); !errors.Is(err, ErrShortAPDU) {
		t.Errorf("short: %v", err)
	}
	if err := feed(0, 5, 1); !errors.Is(err, ErrBadOffset) {
		t.Errorf("offset: %v", err)
	}
	if err := feed(0, 0, 2, 0, 'a', 0, 0); !errors.Is(err, ErrZeroLength) || len(got) != 1 {
		t.Errorf("zero length: %v, %d delivered", err, len(got))
	}
	if err := feed(0, 0, 12, 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("too large: %v", err)
	}
	if err := feed(0, 0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge: %v", err)
	}
	// not joined after an error: a middle APDU is skipped, a start rejoins
	if err := feed(0xFF, 0xFF, 2, 0, 'z'); err != nil || len(got) != 1 {
		t.Errorf("middle after error: %v %d", err, len(got))
	}
	if err := feed(0, 1, 'q', 2, 0, 'b'); err != nil || len(got) != 2 || string(got[1][0]) != "b" {
		t.Errorf("rejoin: %v %q", err, got)
	}
	// a sender offset that disagrees with our parse wins
	if err := feed(0, 0, 5, 0, 'a'); err != nil { // 4 octets of body still missing
		t.Fatal(err)
	}
	if err := feed(0, 1, 'x', 2, 0, 'c'); err != nil || len(got) != 3 || string(got[2][0]) != "c" ||
		d.Stats.Dropped == 0 {
		t.Errorf("offset mismatch: %v %q %+v", err, got, d.Stats)
	}
}

// A borrowing decoder delivers the same messages as an owning one, and in
// steady state decodes without allocating.
func TestDecoderBorrow(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	msgs := randMsgs(r, 300)
	apdus := packAll(1448, msgs, 7)
	var got [][][]byte
	d := &Decoder{MaxMsgSize: -1, Borrow: true, Deliver: func(f [][]byte) {
		m := make([][]byte, len(f))
		for i := range f {
			m[i] = slices.Clone(f[i])
		}
		got = append(got, m)
	}}
	for _, a := range apdus {
		if err := d.Feed(a); err != nil {
			t.Fatal(err)
		}
	}
	if !equalMsgs(got, msgs) {
		t.Fatalf("%d messages back of %d, or different", len(got), len(msgs))
	}

	// 64-octet messages, some of two frames, back to back: the stream
	// ends at a message boundary, so it can be fed again and again
	small := make([][][]byte, 100)
	for i := range small {
		small[i] = [][]byte{bytes.Repeat([]byte{byte(i)}, 64)}
		if i%3 == 0 {
			small[i] = append(small[i], []byte("second"))
		}
	}
	apdus = packAll(1448, small, 0)
	n := 0
	d = &Decoder{MaxMsgSize: -1, Borrow: true, Deliver: func(f [][]byte) {
		if want := small[n%len(small)]; !slices.EqualFunc(f, want, bytes.Equal) {
			t.Fatalf("message %d: %q, want %q", n, f, want)
		}
		n++
	}}
	feed := func() {
		for _, a := range apdus {
			if err := d.Feed(a); err != nil {
				t.Fatal(err)
			}
		}
	}
	feed()
	if allocs := testing.AllocsPerRun(20, feed); allocs != 0 && !raceOn {
		t.Fatalf("%.1f allocations per %d messages, want 0", allocs, len(small))
	}
	if n != 22*len(small) {
		t.Fatalf("%d messages, want %d", n, 22*len(small))
	}
}
