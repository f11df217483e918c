package core

import (
	"errors"
	"testing"

	"github.com/zmqkit/zmqkit/registry/mechanism"
	"github.com/zmqkit/zmqkit/zmtp"
)

func TestParseZAPReply(t *testing.T) {
	ok := func() [][]byte {
		return [][]byte{nil, []byte("1.0"), []byte("1"), []byte("200"), []byte("OK"), []byte("alice"),
			zmtp.AppendProperty(nil, "X-Role", []byte("admin"))}
	}
	r, err := parseZAPReply(ok())
	if err != nil || r.StatusCode != "200" || r.UserID != "alice" || len(r.Metadata) != 1 || string(r.Metadata[0].Value) != "admin" {
		t.Fatalf("good reply: %+v %v", r, err)
	}
	for _, c := range []struct {
		name string
		mod  func([][]byte) [][]byte
		code uint32
	}{
		{"6 frames", func(f [][]byte) [][]byte { return f[:6] }, mechanism.ErrZAPMalformedReply},
		{"8 frames", func(f [][]byte) [][]byte { return append(f, nil) }, mechanism.ErrZAPMalformedReply},
		{"delimiter", func(f [][]byte) [][]byte { f[0] = []byte("x"); return f }, mechanism.ErrZAPUnspecified},
		{"version", func(f [][]byte) [][]byte { f[1] = []byte("2.0"); return f }, mechanism.ErrZAPBadVersion},
		{"request id", func(f [][]byte) [][]byte { f[2] = []byte("2"); return f }, mechanism.ErrZAPBadRequestID},
		{"status 600", func(f [][]byte) [][]byte { f[3] = []byte("600"); return f }, mechanism.ErrZAPInvalidStatusCode},
		{"status 20", func(f [][]byte) [][]byte { f[3] = []byte("20"); return f }, mechanism.ErrZAPInvalidStatusCode},
		{"status 201", func(f [][]byte) [][]byte { f[3] = []byte("201"); return f }, mechanism.ErrZAPInvalidStatusCode},
		{"metadata", func(f [][]byte) [][]byte { f[6] = []byte{5, 'a'}; return f }, mechanism.ErrZAPInvalidMetadata},
	} {
		_, err := parseZAPReply(c.mod(ok()))
		var pe *mechanism.ProtocolError
		if !errors.As(err, &pe) || pe.Code != c.code {
			t.Errorf("%s: %v, want %#x", c.name, err, c.code)
		}
	}
}

func FuzzParseZAPReply(f *testing.F) {
	f.Add([]byte("1.0"), []byte("1"), []byte("200"), []byte{})
	f.Add([]byte("1.0"), []byte("1"), []byte("400"), []byte{3, 'a', 'b', 'c', 0, 0, 0, 1, 'x'})
	f.Fuzz(func(t *testing.T, v, id, st, meta []byte) {
		r, err := parseZAPReply([][]byte{nil, v, id, st, nil, nil, meta})
		if err == nil && len(r.StatusCode) != 3 {
			t.Fatal("bad status accepted")
		}
	})
}
