package zmtp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
)

// Every decoder must never panic, must never return sizes beyond the limit
// it was given, and must round-trip what it accepts where an encoder exists.

const fuzzLimit = 1 << 16

func FuzzReadHeader(f *testing.F) {
	f.Add([]byte{0x00, 0x05, 'h', 'e', 'l', 'l', 'o'}, int64(-1), true)
	f.Add([]byte{0x02, 0, 0, 0, 0, 0, 0, 1, 0}, int64(255), true)
	f.Add([]byte{0x06, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}, int64(-1), true)
	f.Add([]byte{0x04, 0x06, 0x04, 'P', 'I', 'N', 'G', 0}, int64(10), false)
	f.Add([]byte{0x03}, int64(0), true)
	f.Fuzz(func(t *testing.T, in []byte, limit int64, allowCommand bool) {
		if limit < 0 || limit > fuzzLimit {
			limit = fuzzLimit // bodies are read below: keep allocations bounded
		}
		rd := NewReader(bytes.NewReader(in), 512)
		for i := 0; i < 64; i++ {
			flags, size, err := rd.ReadHeader(limit, allowCommand)
			if err != nil {
				if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrMalformed) || err == io.EOF || err == io.ErrUnexpectedEOF {
					return
				}
				t.Fatalf("unexpected error type: %v", err)
			}
			if size < 0 || int64(size) > limit {
				t.Fatalf("size %d beyond limit %d", size, limit)
			}
			if flags&FlagLong != 0 {
				t.Fatalf("LONG flag leaked: %#x", flags)
			}
			if !allowCommand && flags&FlagCommand != 0 {
				t.Fatalf("COMMAND flag accepted in ZMTP/2.0")
			}
			body, err := rd.ReadBody(nil, size)
			if err != nil {
				return
			}
			if len(body) != size {
				t.Fatalf("body %d octets, want %d", len(body), size)
			}
		}
	})
}

func FuzzReadV1Header(f *testing.F) {
	f.Add([]byte{0x01, 0x00}, int64(-1))
	f.Add([]byte{0x06, 0x01, 'h', 'e', 'l', 'l', 'o'}, int64(5))
	f.Add([]byte{0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0}, int64(-1))
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0}, int64(-1))
	f.Add([]byte{0x00, 0x00}, int64(-1))
	f.Fuzz(func(t *testing.T, in []byte, limit int64) {
		if limit < 0 || limit > fuzzLimit {
			limit = fuzzLimit
		}
		rd := NewReader(bytes.NewReader(in), 512)
		for i := 0; i < 64; i++ {
			flags, size, err := rd.ReadV1Header(limit)
			if err != nil {
				if errors.Is(err, ErrFrameTooLarge) || errors.Is(err, ErrMalformed) || err == io.EOF || err == io.ErrUnexpectedEOF {
					return
				}
				t.Fatalf("unexpected error type: %v", err)
			}
			if size < 0 || int64(size) > limit {
				t.Fatalf("size %d beyond limit %d", size, limit)
			}
			if flags&^FlagMore != 0 {
				t.Fatalf("flags %#x beyond MORE", flags)
			}
			// re-encoding gives a header that decodes the same
			h := AppendV1FrameHeader(nil, size, flags&FlagMore != 0)
			f2, s2, err := NewReader(bytes.NewReader(h), 512).ReadV1Header(-1)
			if err != nil || f2 != flags || s2 != size {
				t.Fatalf("round trip of size %d: %v", size, err)
			}
			if _, err := rd.ReadBody(nil, size); err != nil {
				return
			}
		}
	})
}

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte("\x05READY\x0bSocket-Type\x00\x00\x00\x03REQ"))
	f.Add([]byte("\x04PING\x00\x0actx"))
	f.Add([]byte("\x09SUBSCRIBE"))
	f.Add([]byte{0})
	f.Add([]byte{0xFF, 'a'})
	f.Fuzz(func(t *testing.T, in []byte) {
		name, data, err := ParseCommand(in)
		if err != nil {
			if !errors.Is(err, ErrBadCommand) {
				t.Fatalf("error %v does not wrap ErrBadCommand", err)
			}
			return
		}
		if len(name) == 0 || len(name) != int(in[0]) || 1+len(name)+len(data) != len(in) {
			t.Fatalf("name %q data %q from % x", name, data, in)
		}
		if !IsCommand(in, string(name)) {
			t.Fatalf("IsCommand disagrees for %q", name)
		}
		if !bytes.Equal(AppendCommand(nil, string(name), data), in) {
			t.Fatal("round trip")
		}
	})
}

func FuzzParseProperties(f *testing.F) {
	f.Add([]byte("\x0bSocket-Type\x00\x00\x00\x06DEALER\x08Identity\x00\x00\x00\x00"))
	f.Add([]byte("\x01a\xff\xff\xff\xffx"))
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte("\x01a\x00\x00\x00\x01vtrailing"))
	f.Fuzz(func(t *testing.T, in []byte) {
		props, err := ParseProperties(in)
		if err != nil {
			if !errors.Is(err, ErrBadMetadata) {
				t.Fatalf("error %v does not wrap ErrBadMetadata", err)
			}
			return
		}
		total := 0
		for _, p := range props {
			if len(p.Name) == 0 || len(p.Name) > 255 {
				t.Fatalf("name length %d", len(p.Name))
			}
			total += 1 + len(p.Name) + 4 + len(p.Value)
		}
		if total != len(in) {
			t.Fatalf("properties cover %d of %d octets", total, len(in))
		}
		if !bytes.Equal(AppendProperties(nil, props), in) {
			t.Fatal("round trip")
		}
	})
}

func FuzzParseGreeting(f *testing.F) {
	f.Add(AppendGreeting(nil, "NULL", false))
	f.Add(AppendGreeting(nil, "CURVE", true))
	f.Add(append(AppendSignature(nil, 0), 1, 8))
	f.Add(bytes.Repeat([]byte{0xFF}, 64))
	f.Add([]byte{0x01, 0x00})
	f.Fuzz(func(t *testing.T, in []byte) {
		_ = IsV1Signature(in)
		if len(in) > 11 {
			_ = PeerVersion(in[10], in[11])
		}
		g, err := ParseGreeting(in)
		if err != nil {
			if !errors.Is(err, ErrBadGreeting) {
				t.Fatalf("error %v does not wrap ErrBadGreeting", err)
			}
			return
		}
		if len(in) < GreetingSize || in[0] != 0xFF || in[9]&1 == 0 {
			t.Fatalf("accepted a bad greeting % x", in)
		}
		if IsV1Signature(in) {
			t.Fatal("a parsed greeting looks like ZMTP/1.0")
		}
		name := g.MechanismName()
		if len(name) > MechanismSize || bytes.IndexByte([]byte(name), 0) >= 0 {
			t.Fatalf("mechanism name %q", name)
		}
		if g.Major != in[10] || g.Minor != in[11] || g.AsServer != (in[32] == 1) {
			t.Fatalf("fields %+v from % x", g, in[:33])
		}
	})
}

func FuzzParsePing(f *testing.F) {
	f.Add([]byte{0, 0})
	f.Add([]byte{0x01, 0x2c, 'c', 't', 'x'})
	f.Add([]byte{1})
	f.Add(append([]byte{0xFF, 0xFF}, bytes.Repeat([]byte{'c'}, 40)...))
	f.Fuzz(func(t *testing.T, in []byte) {
		ttl, ctx, err := ParsePing(in)
		if err != nil {
			if !errors.Is(err, ErrBadCommand) || len(in) >= 2 {
				t.Fatalf("ParsePing(% x): %v", in, err)
			}
			return
		}
		if ttl != binary.BigEndian.Uint16(in) || !bytes.Equal(ctx, in[2:]) {
			t.Fatal("fields")
		}
		pong := AppendPong(nil, ctx)
		name, echoed, err := ParseCommand(pong)
		if err != nil || string(name) != CmdPong || len(echoed) > 16 || !bytes.HasPrefix(ctx, echoed) {
			t.Fatalf("PONG % x for context % x", pong, ctx)
		}
		ping := AppendPing(nil, ttl, ctx)
		_, data, _ := ParseCommand(ping)
		if t2, c2, err := ParsePing(data); err != nil || t2 != ttl || len(c2) > 16 || !bytes.HasPrefix(ctx, c2) {
			t.Fatalf("PING round trip")
		}
	})
}

func FuzzParseError(f *testing.F) {
	f.Add([]byte("\x03400"))
	f.Add([]byte{})
	f.Add([]byte{5, 'a'})
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, in []byte) {
		reason, err := ParseError(in)
		if err != nil {
			if !errors.Is(err, ErrBadCommand) {
				t.Fatalf("error %v does not wrap ErrBadCommand", err)
			}
			return
		}
		if len(reason) != int(in[0]) || len(in) != 1+len(reason) {
			t.Fatalf("reason %q from % x", reason, in)
		}
		_, data, err := ParseCommand(AppendError(nil, reason))
		if err != nil {
			t.Fatal(err)
		}
		if r2, err := ParseError(data); err != nil || r2 != reason {
			t.Fatal("round trip")
		}
	})
}
