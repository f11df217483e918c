package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"testing"
)

// testdata/libzmq-epgm.cap holds the PGM packets (UDP payloads) of a
// libzmq 4.3.4 + OpenPGM 5.3 publisher and subscriber over epgm, captured
// on both ends of a veth pair (the publisher 192.0.2.1, the subscriber
// 192.0.2.2, group 239.192.x.y, port 7500) while the subscriber's side
// dropped 30 % of what it received: SPMs, ODATA, RDATA, NCFs and NAKs.
// Each record is a 16-bit big-endian length and the packet. The publisher
// sent five messages "w", then twenty [topicI, body of I*180 octets,
// octet j = I+j].
func openPGMCapture(t testing.TB) [][]byte {
	t.Helper()
	b, err := os.ReadFile("testdata/libzmq-epgm.cap")
	if err != nil {
		t.Fatal(err)
	}
	var pkts [][]byte
	for len(b) > 0 {
		if len(b) < 2 || len(b) < 2+int(binary.BigEndian.Uint16(b)) {
			t.Fatal("truncated capture")
		}
		n := int(binary.BigEndian.Uint16(b))
		pkts = append(pkts, b[2:2+n])
		b = b[2+n:]
	}
	return pkts
}

// Every packet OpenPGM sent parses; NAKs name the publisher and the
// group; RDATA repeats its ODATA; and libzmq's framing in the ODATA
// payloads decodes to the messages sent.
func TestOpenPGMCapture(t *testing.T) {
	pkts := openPGMCapture(t)
	pub := netip.MustParseAddr("192.0.2.1")
	odata := map[uint32][]byte{}
	count := map[Type]int{}
	var tsi TSI
	var p Packet
	for i, b := range pkts {
		if err := Parse(b, &p); err != nil {
			t.Fatalf("packet %d (% x): %v", i, b[:min(len(b), 32)], err)
		}
		count[p.Type]++
		if p.Type.Upstream() {
			if p.UpstreamTSI() != tsi || p.NLA != pub || !p.Group.IsMulticast() {
				t.Errorf("packet %d: %v for %v, NLA %v, group %v", i, p.Type, p.UpstreamTSI(), p.NLA, p.Group)
			}
			continue
		}
		if tsi == (TSI{}) {
			tsi = p.TSI()
		}
		if p.TSI() != tsi {
			t.Fatalf("packet %d: TSI %v, then %v", i, tsi, p.TSI())
		}
		switch p.Type {
		case TypeSPM:
			if p.NLA != pub {
				t.Errorf("SPM NLA %v", p.NLA)
			}
		case TypeODATA:
			odata[p.Sqn] = append([]byte(nil), p.Payload...)
		case TypeRDATA:
			if o, ok := odata[p.Sqn]; !ok || string(o) != string(p.Payload) {
				t.Errorf("RDATA %d differs from its ODATA", p.Sqn)
			}
		}
	}
	t.Logf("packets: %v", count)
	for _, ty := range []Type{TypeSPM, TypeODATA, TypeRDATA, TypeNCF, TypeNAK} {
		if count[ty] == 0 {
			t.Errorf("no %v in the capture", ty)
		}
	}
	var first uint32
	for q := range odata {
		if _, ok := odata[q-1]; !ok {
			first = q
		}
	}
	var got [][][]byte
	d := &Decoder{MaxMsgSize: -1, Deliver: func(f [][]byte) {
		m := make([][]byte, len(f))
		for i := range f {
			m[i] = append([]byte(nil), f[i]...)
		}
		got = append(got, m)
	}}
	for q := first; ; q++ {
		apdu, ok := odata[q]
		if !ok {
			break
		}
		if err := d.Feed(apdu); err != nil {
			t.Fatalf("ODATA %d: %v", q, err)
		}
	}
	var want [][][]byte
	for range 5 {
		want = append(want, [][]byte{[]byte("w")})
	}
	for i := range 20 {
		body := make([]byte, i*180)
		for j := range body {
			body[j] = byte(i + j)
		}
		want = append(want, [][]byte{[]byte(fmt.Sprintf("topic%d", i)), body})
	}
	if !equalMsgs(got, want) {
		t.Fatalf("decoded %d messages, want %d", len(got), len(want))
	}
}
