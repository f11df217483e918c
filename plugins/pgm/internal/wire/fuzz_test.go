package wire

import (
	"bytes"
	"errors"
	"slices"
	"testing"
)

// FuzzParse: the packet decoder never panics, fails only with its
// sentinels, and what it accepts is self-consistent; a packet it accepts
// re-encodes to itself where an encoder exists.
func FuzzParse(f *testing.F) {
	f.Add(AppendSPM(nil, hdr, 1, 2, 3, src4, false))
	f.Add(AppendSPM(nil, hdr, 1, 2, 3, src6, true))
	f.Add(AppendData(nil, hdr, TypeODATA, 9, 1, []byte{0, 0, 4, 0, 'a', 'b', 'c'}, nil))
	f.Add(AppendData(nil, hdr, TypeRDATA, 9, 1, []byte("xyz"), &Fragment{First: 8, Offset: 3, Length: 9}))
	f.Add(AppendNAK(nil, upHdr, TypeNAK, []uint32{1, 2, 3, 4}, src4, grp4))
	f.Add(AppendNAK(nil, upHdr, TypeNCF, []uint32{1}, src6, grp6))
	f.Add(AppendSPMR(nil, upHdr))
	for _, b := range openPGMCapture(f) { // libzmq + OpenPGM's packets
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in := slices.Clone(b)
		var p Packet
		err := Parse(b, &p)
		if !bytes.Equal(in, b) {
			t.Fatal("Parse modified its input")
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrChecksum) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if p.ListLen < 0 || p.ListLen > MaxNAKList {
			t.Fatalf("list length %d", p.ListLen)
		}
		h := Hdr{SPort: p.SPort, DPort: p.DPort, GSI: p.GSI}
		var re []byte
		switch p.Type {
		case TypeODATA, TypeRDATA:
			if len(p.Payload) != int(p.TSDULen) {
				t.Fatalf("payload %d, TSDU length %d", len(p.Payload), p.TSDULen)
			}
			if p.Options == 0 {
				re = AppendData(nil, h, p.Type, p.Sqn, p.Trail, p.Payload, nil)
			}
		case TypeSPMR:
			if p.Options == 0 && len(b) == HeaderLen {
				re = AppendSPMR(nil, h)
			}
		case TypeSPM:
			if p.Options == 0 && len(b) == HeaderLen+12+NLALen(p.NLA) && b[30] == 0 && b[31] == 0 {
				re = AppendSPM(nil, h, p.SPMSqn, p.Trail, p.Lead, p.NLA, false)
			}
		}
		if re != nil && p.Checksum != 0 && !bytes.Equal(re, b) {
			t.Fatalf("re-encoded % x\n         from % x", re, b)
		}
	})
}

// FuzzDecoder: the offset + ZMTP/1.0 decoder never panics, keeps within
// MAXMSGSIZE, and delivers no more octets than it was given.
func FuzzDecoder(f *testing.F) {
	f.Add([]byte{0, 0, 6, 0, 'h', 'e', 'l', 'l', 'o'}, uint8(4), int64(-1))
	f.Add([]byte{0xFF, 0xFF, 0, 1, 'x', 2, 1, 'a', 2, 0, 'b'}, uint8(3), int64(10))
	f.Add([]byte{0, 0, 0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0}, uint8(5), int64(-1))
	f.Add([]byte{0, 0, 0, 0}, uint8(2), int64(0))
	f.Add(packAll(9, [][][]byte{{[]byte("abc"), []byte("de")}, {make([]byte, 300)}}, 0)[0], uint8(9), int64(-1))
	// libzmq's APDUs (ODATA payloads), whole and cut, with and without a
	// MAXMSGSIZE they break
	var p Packet
	for i, b := range openPGMCapture(f) {
		if Parse(b, &p) == nil && p.Type == TypeODATA {
			f.Add(slices.Clone(p.Payload), uint8(i), int64(-1))
			f.Add(slices.Clone(p.Payload), uint8(255), int64(100))
		}
	}
	f.Fuzz(func(t *testing.T, in []byte, cut uint8, max int64) {
		if max < -1 {
			max = -1
		}
		total, frames := 0, 0
		d := &Decoder{MaxMsgSize: max, Deliver: func(fr [][]byte) {
			for _, x := range fr {
				total += len(x)
				frames++
				if max >= 0 && int64(len(x)) > max {
					t.Fatalf("frame of %d over MAXMSGSIZE %d", len(x), max)
				}
			}
		}}
		step := int(cut)%17 + 1
		for i := 0; i < len(in); i += step {
			apdu := in[i:min(i+step, len(in))]
			if i/step%5 == 4 {
				d.Lost()
			}
			_ = d.Feed(apdu)
		}
		if total > len(in) {
			t.Fatalf("delivered %d octets from %d", total, len(in))
		}
		if frames > len(in) {
			t.Fatalf("delivered %d frames from %d octets", frames, len(in))
		}
	})
}

// FuzzPackRoundTrip: whatever frames go into the Packer come out of the
// Decoder unchanged, for any APDU size.
func FuzzPackRoundTrip(f *testing.F) {
	f.Add([]byte("hello\x00world\x01x"), uint16(5))
	f.Add(make([]byte, 600), uint16(3))
	f.Fuzz(func(t *testing.T, in []byte, max uint16) {
		m := int(max)%2000 + 3
		// split the input into messages at 0x00 and frames at 0x01
		var msgs [][][]byte
		var cur [][]byte
		for _, part := range bytes.Split(in, []byte{0}) {
			cur = bytes.Split(part, []byte{1})
			msgs = append(msgs, cur)
		}
		apdus := packAll(m, msgs, 2)
		var got [][][]byte
		d := &Decoder{MaxMsgSize: -1, Deliver: func(fr [][]byte) { got = append(got, fr) }}
		for _, a := range apdus {
			if len(a) > m {
				t.Fatalf("APDU %d over %d", len(a), m)
			}
			if err := d.Feed(a); err != nil {
				t.Fatal(err)
			}
		}
		if !equalMsgs(got, msgs) {
			t.Fatalf("round trip: %q\n          vs %q", got, msgs)
		}
	})
}
