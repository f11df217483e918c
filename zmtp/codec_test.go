package zmtp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/zmqkit/zmqkit/registry/mechanism"
)

func reader(b []byte) *Reader { return NewReader(bytes.NewReader(b), 512) }

// golden reads a hex file from testdata (whitespace and #-comments ignored).
func golden(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		sb.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(sb.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func TestGoldenGreeting(t *testing.T) {
	for _, tc := range []struct {
		file     string
		mech     string
		asServer bool
	}{
		{"greeting_null.hex", "NULL", false},
		{"greeting_plain_server.hex", "PLAIN", true},
		{"greeting_curve.hex", "CURVE", false},
	} {
		want := golden(t, tc.file)
		got := AppendGreeting(nil, tc.mech, tc.asServer)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", tc.file, got, want)
		}
		if len(got) != GreetingSize {
			t.Errorf("greeting is %d octets", len(got))
		}
		// the parts libzmq sends separately add up to the whole
		parts := AppendSignature(nil, 0)
		parts = append(parts, 3)
		parts = AppendGreetingTail(parts, tc.mech, tc.asServer)
		if !bytes.Equal(parts, want) {
			t.Errorf("signature+major+tail differs from the golden greeting")
		}
		g, err := ParseGreeting(want)
		if err != nil || g.MechanismName() != tc.mech || g.AsServer != tc.asServer || g.Major != 3 || g.Minor != 1 {
			t.Errorf("ParseGreeting(%s) = %+v, %v", tc.file, g, err)
		}
	}
}

// libzmq's testutil.hpp zmtp_greeting_null (a 3.0 greeting) parses.
func TestParseLibzmqGreeting(t *testing.T) {
	b := golden(t, "libzmq_greeting_null_3_0.hex")
	g, err := ParseGreeting(b)
	if err != nil {
		t.Fatal(err)
	}
	if g.Major != 3 || g.Minor != 0 || g.MechanismName() != "NULL" || PeerVersion(g.Major, g.Minor) != V30 {
		t.Fatalf("%+v", g)
	}
	if g.Mechanism != MechanismField("NULL") {
		t.Fatal("mechanism field mismatch")
	}
}

func TestGoldenReady(t *testing.T) {
	for _, tc := range []struct {
		file  string
		props []mechanism.Property
	}{
		// testutil.hpp zmtp_ready_dealer (without its 2-octet frame header)
		{"ready_dealer.hex", []mechanism.Property{{Name: "Socket-Type", Value: []byte("DEALER")}, {Name: "Identity", Value: nil}}},
		{"ready_sub.hex", []mechanism.Property{{Name: "Socket-Type", Value: []byte("SUB")}}},
		{"ready_xpub.hex", []mechanism.Property{{Name: "Socket-Type", Value: []byte("XPUB")}}},
	} {
		want := golden(t, tc.file)
		got := AppendFrame(nil, AppendReady(nil, tc.props), FlagCommand)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got % x\nwant % x", tc.file, got, want)
		}
		// and back
		rd := reader(want)
		flags, size, err := rd.ReadHeader(-1, true)
		if err != nil || flags != FlagCommand {
			t.Fatalf("%s header: %v %#x", tc.file, err, flags)
		}
		body, _ := rd.ReadBody(nil, size)
		name, data, err := ParseCommand(body)
		if err != nil || string(name) != CmdReady || !IsCommand(body, CmdReady) {
			t.Fatalf("%s: %q %v", tc.file, name, err)
		}
		props, err := ParseProperties(data)
		if err != nil || len(props) != len(tc.props) {
			t.Fatalf("%s props: %v %v", tc.file, props, err)
		}
		for i := range props {
			if props[i].Name != tc.props[i].Name || !bytes.Equal(props[i].Value, tc.props[i].Value) {
				t.Fatalf("%s prop %d: %+v", tc.file, i, props[i])
			}
		}
	}
}

func TestSignature(t *testing.T) {
	for _, n := range []int{0, 1, 5, 255} {
		b := AppendSignature(nil, n)
		if len(b) != SignatureSize || b[0] != 0xFF || b[9] != 0x7F || binary.BigEndian.Uint64(b[1:9]) != uint64(n)+1 {
			t.Errorf("AppendSignature(%d) = % x", n, b)
		}
		if IsV1Signature(b) {
			t.Errorf("our signature looks like ZMTP/1.0")
		}
	}
	for _, tc := range []struct {
		b  []byte
		v1 bool
	}{
		{[]byte{0x01}, true},
		{[]byte{0x00}, true},
		{[]byte{0xFE}, true},
		{append(append([]byte{0xFF}, make([]byte, 8)...), 0x7E), true},
		{append(append([]byte{0xFF}, make([]byte, 8)...), 0x7F), false},
		{append(append([]byte{0xFF}, make([]byte, 8)...), 0x01), false},
		{nil, false},
	} {
		if got := IsV1Signature(tc.b); got != tc.v1 {
			t.Errorf("IsV1Signature(% x) = %v", tc.b, got)
		}
	}
}

func TestPeerVersion(t *testing.T) {
	for _, tc := range []struct {
		major, minor byte
		v            Version
	}{
		{0, 0, V10}, {1, 0, V20}, {1, 9, V20}, {3, 0, V30}, {3, 1, V31}, {3, 7, V31}, {2, 0, V31}, {4, 0, V31}, {0xFF, 0, V31},
	} {
		if got := PeerVersion(tc.major, tc.minor); got != tc.v {
			t.Errorf("PeerVersion(%d,%d) = %v, want %v", tc.major, tc.minor, got, tc.v)
		}
	}
}

func TestParseGreetingErrors(t *testing.T) {
	good := AppendGreeting(nil, "NULL", false)
	if _, err := ParseGreeting(good[:63]); !errors.Is(err, ErrBadGreeting) {
		t.Errorf("short greeting: %v", err)
	}
	bad := append([]byte(nil), good...)
	bad[0] = 0xFE
	if _, err := ParseGreeting(bad); !errors.Is(err, ErrBadGreeting) {
		t.Errorf("bad first octet: %v", err)
	}
	bad = append([]byte(nil), good...)
	bad[9] = 0x7E
	if _, err := ParseGreeting(bad); !errors.Is(err, ErrBadGreeting) {
		t.Errorf("bad octet 9: %v", err)
	}
	// a 20-octet mechanism name without NUL
	full := append([]byte(nil), good...)
	copy(full[12:32], "ABCDEFGHIJKLMNOPQRST")
	g, err := ParseGreeting(full)
	if err != nil || g.MechanismName() != "ABCDEFGHIJKLMNOPQRST" {
		t.Errorf("full-width mechanism: %q %v", g.MechanismName(), err)
	}
}

// Frame headers: short form up to 255 octets, long form from 256.
func TestFrameHeaderBoundary(t *testing.T) {
	for _, tc := range []struct {
		size  int
		flags byte
		want  []byte
	}{
		{0, 0, []byte{0x00, 0x00}},
		{1, FlagMore, []byte{0x01, 0x01}},
		{255, 0, []byte{0x00, 0xFF}},
		{255, FlagMore | FlagCommand, []byte{0x05, 0xFF}},
		{256, 0, []byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0}},
		{256, FlagMore, []byte{0x03, 0, 0, 0, 0, 0, 0, 1, 0}},
		{256, FlagCommand, []byte{0x06, 0, 0, 0, 0, 0, 0, 1, 0}},
		{1 << 20, 0, []byte{0x02, 0, 0, 0, 0, 0, 0x10, 0, 0}},
		{10, FlagLong, []byte{0x00, 10}}, // a stray LONG flag is cleared for short frames
	} {
		got := AppendFrameHeader(nil, tc.size, tc.flags)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("AppendFrameHeader(%d, %#x) = % x, want % x", tc.size, tc.flags, got, tc.want)
		}
		if HeaderSize(tc.size) != len(tc.want) {
			t.Errorf("HeaderSize(%d) = %d", tc.size, HeaderSize(tc.size))
		}
		body := bytes.Repeat([]byte{'x'}, tc.size)
		rd := reader(AppendFrame(nil, body, tc.flags))
		fl, size, err := rd.ReadHeader(-1, true)
		if err != nil || size != tc.size || fl != tc.flags&^FlagLong {
			t.Errorf("ReadHeader of %d-octet frame: %#x %d %v", tc.size, fl, size, err)
		}
		got2, err := rd.ReadBody(nil, size)
		if err != nil || !bytes.Equal(got2, body) {
			t.Errorf("ReadBody(%d): %v", tc.size, err)
		}
	}
}

func TestReadHeaderLimits(t *testing.T) {
	// exactly at the limit is fine, one over is not
	rd := reader(AppendFrameHeader(nil, 100, 0))
	if _, n, err := rd.ReadHeader(100, true); err != nil || n != 100 {
		t.Errorf("at limit: %d %v", n, err)
	}
	rd = reader(AppendFrameHeader(nil, 101, 0))
	if _, _, err := rd.ReadHeader(100, true); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("over limit: %v", err)
	}
	// a huge long size is refused even with no limit
	huge := []byte{0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}
	if _, _, err := reader(huge).ReadHeader(-1, true); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("2^64-1 octets: %v", err)
	}
	// libzmq accepts a long frame carrying <= 255 octets
	rd = reader([]byte{0x02, 0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c'})
	if _, n, err := rd.ReadHeader(-1, true); err != nil || n != 3 {
		t.Errorf("long form, 3 octets: %d %v", n, err)
	}
	// ZMTP 2.0: the COMMAND bit is an error
	if _, _, err := reader([]byte{0x04, 0}).ReadHeader(-1, false); !errors.Is(err, ErrMalformed) {
		t.Errorf("command in 2.0: %v", err)
	}
	// truncated headers
	for _, b := range [][]byte{{}, {0x00}, {0x02, 0, 0, 0}} {
		if _, _, err := reader(b).ReadHeader(-1, true); err == nil {
			t.Errorf("truncated % x: no error", b)
		} else if len(b) > 0 && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("truncated % x: %v, want io.ErrUnexpectedEOF", b, err)
		}
	}
	// a truncated body
	rd = reader([]byte{0x00, 0x05, 'a', 'b'})
	_, n, _ := rd.ReadHeader(-1, true)
	if _, err := rd.ReadBody(nil, n); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body: %v", err)
	}
}

// ZMTP/1.0 headers: the length counts the flags octet; 0xFF escapes to 8 octets.
func TestV1Header(t *testing.T) {
	for _, tc := range []struct {
		size int
		more bool
		want []byte
	}{
		{0, false, []byte{0x01, 0x00}},
		{5, true, []byte{0x06, 0x01}},
		{253, false, []byte{0xFE, 0x00}},
		{254, false, []byte{0xFF, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0x00}},
		{255, true, []byte{0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x01}},
		{1000, false, []byte{0xFF, 0, 0, 0, 0, 0, 0, 0x03, 0xE9, 0x00}},
	} {
		got := AppendV1FrameHeader(nil, tc.size, tc.more)
		if !bytes.Equal(got, tc.want) {
			t.Errorf("AppendV1FrameHeader(%d,%v) = % x, want % x", tc.size, tc.more, got, tc.want)
		}
		fl, n, err := reader(got).ReadV1Header(-1)
		if err != nil || n != tc.size || (fl&FlagMore != 0) != tc.more {
			t.Errorf("ReadV1Header(% x) = %#x %d %v", got, fl, n, err)
		}
	}
	if _, _, err := reader([]byte{0x00, 0x00}).ReadV1Header(-1); !errors.Is(err, ErrMalformed) {
		t.Errorf("zero length: %v", err)
	}
	if _, _, err := reader([]byte{0x0B, 0x00}).ReadV1Header(9); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("over limit: %v", err)
	}
	if _, _, err := reader([]byte{0x0A, 0x00}).ReadV1Header(9); err != nil {
		t.Errorf("at limit: %v", err)
	}
	// only MORE is reported
	if fl, _, _ := reader([]byte{0x02, 0xFE}).ReadV1Header(-1); fl != 0 {
		t.Errorf("flags %#x, want only the MORE bit", fl)
	}
}

func TestCommands(t *testing.T) {
	body := AppendCommand(nil, "SUBSCRIBE", []byte("topic"))
	if !bytes.Equal(body, []byte("\x09SUBSCRIBEtopic")) {
		t.Fatalf("% x", body)
	}
	name, data, err := ParseCommand(body)
	if err != nil || string(name) != "SUBSCRIBE" || string(data) != "topic" {
		t.Fatalf("%q %q %v", name, data, err)
	}
	if !IsCommand(body, CmdSubscribe) || IsCommand(body, CmdCancel) || IsCommand([]byte("\x09SUBSCRIB"), CmdSubscribe) {
		t.Fatal("IsCommand")
	}
	for _, b := range [][]byte{nil, {0}, {5, 'R', 'E'}, {0xFF}} {
		if _, _, err := ParseCommand(b); !errors.Is(err, ErrBadCommand) {
			t.Errorf("ParseCommand(% x) = %v", b, err)
		}
	}
	// ERROR
	e := AppendError(nil, "400")
	if !bytes.Equal(e, []byte("\x05ERROR\x03400")) {
		t.Fatalf("% x", e)
	}
	_, data, _ = ParseCommand(e)
	if r, err := ParseError(data); err != nil || r != "400" {
		t.Fatalf("%q %v", r, err)
	}
	long := AppendError(nil, strings.Repeat("r", 300))
	_, data, _ = ParseCommand(long)
	if r, err := ParseError(data); err != nil || len(r) != 255 {
		t.Fatalf("long reason: %d %v", len(r), err)
	}
	for _, d := range [][]byte{nil, {3, 'a'}, {1, 'a', 'b'}} {
		if _, err := ParseError(d); !errors.Is(err, ErrBadCommand) {
			t.Errorf("ParseError(% x) = %v", d, err)
		}
	}
	// PING / PONG
	p := AppendPing(nil, 300, []byte("ctx"))
	if !bytes.Equal(p, []byte("\x04PING\x01\x2cctx")) {
		t.Fatalf("% x", p)
	}
	_, data, _ = ParseCommand(p)
	ttl, c, err := ParsePing(data)
	if err != nil || ttl != 300 || string(c) != "ctx" {
		t.Fatalf("%d %q %v", ttl, c, err)
	}
	p = AppendPing(nil, 0, bytes.Repeat([]byte{'c'}, 20))
	_, data, _ = ParseCommand(p)
	if _, c, _ := ParsePing(data); len(c) != 16 {
		t.Fatalf("ping context kept %d octets, want 16", len(c))
	}
	if _, _, err := ParsePing([]byte{1}); !errors.Is(err, ErrBadCommand) {
		t.Fatalf("short PING: %v", err)
	}
	if pong := AppendPong(nil, bytes.Repeat([]byte{'c'}, 20)); !bytes.Equal(pong, append([]byte("\x04PONG"), bytes.Repeat([]byte{'c'}, 16)...)) {
		t.Fatalf("PONG % x", pong)
	}
}

func TestProperties(t *testing.T) {
	props := []mechanism.Property{{Name: "Socket-Type", Value: []byte("REQ")}, {Name: "Identity", Value: nil}, {Name: "X-Big", Value: bytes.Repeat([]byte{1}, 70000)}}
	b := AppendProperties(nil, props)
	got, err := ParseProperties(b)
	if err != nil || len(got) != 3 || got[0].Name != "Socket-Type" || string(got[0].Value) != "REQ" || len(got[1].Value) != 0 || len(got[2].Value) != 70000 {
		t.Fatalf("%v", err)
	}
	// values are copies
	b[len("\x0bSocket-Type\x00\x00\x00\x03")] = 'X'
	if string(got[0].Value) != "REQ" {
		t.Fatal("ParseProperties aliases its input")
	}
	if p, err := ParseProperties(nil); err != nil || len(p) != 0 {
		t.Fatalf("empty list: %v %v", p, err)
	}
	for _, bad := range [][]byte{
		{0},                                   // zero-length name
		{5, 'a', 'b'},                         // truncated name
		{1, 'a', 0, 0, 0},                     // truncated length
		{1, 'a', 0, 0, 0, 2, 'x'},             // truncated value
		{1, 'a', 0xFF, 0xFF, 0xFF, 0xFF, 'x'}, // huge value length
		append(AppendProperty(nil, "a", []byte("v")), 7), // trailing garbage
	} {
		if _, err := ParseProperties(bad); !errors.Is(err, ErrBadMetadata) {
			t.Errorf("ParseProperties(% x) = %v", bad, err)
		}
	}
}

// ReadBody reads bodies larger than the buffer straight into the destination.
func TestReaderLargeBody(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 10000)
	var stream []byte
	stream = AppendFrame(stream, []byte("small"), FlagMore)
	stream = AppendFrame(stream, body, 0)
	stream = AppendFrame(stream, []byte("after"), 0)
	rd := NewReader(iotestHalf{bytes.NewReader(stream)}, 512)
	for _, want := range [][]byte{[]byte("small"), body, []byte("after")} {
		_, n, err := rd.ReadHeader(-1, true)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rd.ReadBody([]byte("prefix"), n)
		if err != nil || !bytes.Equal(got[6:], want) || string(got[:6]) != "prefix" {
			t.Fatalf("body of %d octets: %v", n, err)
		}
	}
	if _, _, err := rd.ReadHeader(-1, true); err != io.EOF {
		t.Fatalf("at end: %v, want io.EOF", err)
	}
}

// iotestHalf returns at most 7 octets per Read, to exercise refills.
type iotestHalf struct{ r io.Reader }

func (h iotestHalf) Read(p []byte) (int, error) {
	if len(p) > 7 {
		p = p[:7]
	}
	return h.r.Read(p)
}

// Without a limit, a size that does not fit in an int must be refused, not
// returned negative (on 32-bit platforms int(n) wraps: a peer announcing a
// 3 GB frame would yield a negative size and a slice panic in ReadBody).
func TestReadHeaderSizeFitsInt(t *testing.T) {
	for _, n := range []uint64{1 << 31, 3_000_000_000, 1<<32 - 2} {
		h := binary.BigEndian.AppendUint64([]byte{FlagLong}, n)
		_, size, err := reader(h).ReadHeader(-1, true)
		if err == nil && (size < 0 || uint64(size) != n) {
			t.Errorf("long header %d: size %d with no error", n, size)
		}
		v1 := binary.BigEndian.AppendUint64([]byte{0xFF}, n+1)
		_, size, err = reader(append(v1, 0)).ReadV1Header(-1)
		if err == nil && (size < 0 || uint64(size) != n) {
			t.Errorf("v1 header %d: size %d with no error", n, size)
		}
	}
}

// scatterReader serves ReadBuffers (readv) from a byte stream, filling the
// buffers in order with at most max octets per call, and counts calls.
type scatterReader struct {
	r     *bytes.Reader
	max   int
	calls int
}

func (s *scatterReader) Read(p []byte) (int, error) {
	s.calls++
	if len(p) > s.max {
		p = p[:s.max]
	}
	return s.r.Read(p)
}

func (s *scatterReader) ReadBuffers(bufs [][]byte) (int, error) {
	s.calls++
	n, budget := 0, s.max
	for _, b := range bufs {
		if budget == 0 {
			break
		}
		if len(b) > budget {
			b = b[:budget]
		}
		k, err := s.r.Read(b)
		n += k
		budget -= k
		if err != nil || k < len(b) {
			if n > 0 {
				return n, nil
			}
			return n, err
		}
	}
	return n, nil
}

// Large bodies are read straight into the destination with readv, which
// also fetches the start of what follows: runs of large frames, small
// frames after large ones, and reads cut anywhere all come out intact, and
// a stream of large frames costs about one read per frame.
func TestReaderDirectScatter(t *testing.T) {
	large := func(i int) []byte { return bytes.Repeat([]byte{byte(i)}, 64<<10+i) }
	var frames [][]byte
	for i := 0; i < 20; i++ {
		frames = append(frames, large(i))
	}
	for i := 0; i < 10; i++ {
		frames = append(frames, []byte(fmt.Sprintf("small %d", i)), large(100+i))
	}
	var stream []byte
	for _, f := range frames {
		stream = AppendFrame(stream, f, 0)
	}
	for _, max := range []int{1 << 30, 70 << 10, 4096, 100} {
		sr := &scatterReader{r: bytes.NewReader(stream), max: max}
		rd := NewReader(sr, 8192)
		for i, want := range frames {
			_, n, err := rd.ReadHeader(-1, true)
			if err != nil {
				t.Fatalf("max %d, frame %d: %v", max, i, err)
			}
			got, err := rd.ReadBody(nil, n)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("max %d, frame %d: body differs (%v)", max, i, err)
			}
		}
		if _, _, err := rd.ReadHeader(-1, true); err != io.EOF {
			t.Fatalf("max %d: at end: %v, want io.EOF", max, err)
		}
		if max == 1<<30 && sr.calls > 2*len(frames) {
			t.Errorf("%d reads for %d frames", sr.calls, len(frames))
		}
	}
}

// A body larger than the first allocation (bodyChunk) is read in several
// direct reads; only the last may read ahead into the buffer, since the
// bytes after an earlier piece are still the body's.
func TestReaderDirectScatterHugeBody(t *testing.T) {
	var frames [][]byte
	for i, n := range []int{bodyChunk + 12345, 3<<20 + 7, 10, 2 << 20} {
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(j*7 + i)
		}
		frames = append(frames, b)
	}
	var stream []byte
	for _, f := range frames {
		stream = AppendFrame(stream, f, 0)
	}
	for _, max := range []int{1 << 30, 1<<20 + 3, 70 << 10} {
		rd := NewReader(&scatterReader{r: bytes.NewReader(stream), max: max}, 8192)
		for i, want := range frames {
			_, n, err := rd.ReadHeader(-1, true)
			if err != nil {
				t.Fatalf("max %d, frame %d: %v", max, i, err)
			}
			got, err := rd.ReadBody(nil, n)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("max %d, frame %d: body differs (%v)", max, i, err)
			}
		}
	}
}
