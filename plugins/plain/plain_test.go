package plain_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/zmqkit/zmqkit/plugins/plain"
	"github.com/zmqkit/zmqkit/registry/mechanism"
)

func TestParseHello(t *testing.T) {
	u, p, err := plain.ParseHello(plain.AppendHello(nil, []byte("admin"), []byte("secret")))
	if err != nil || string(u) != "admin" || string(p) != "secret" {
		t.Fatalf("%q %q %v", u, p, err)
	}
	good := plain.AppendHello(nil, []byte("a"), []byte("b"))
	for _, c := range []struct {
		name string
		cmd  []byte
		code uint32
	}{
		{"empty", nil, mechanism.ErrZMTPMalformedCommandUnspec},
		{"not HELLO", []byte("\x07WELCOME"), mechanism.ErrZMTPUnexpectedCommand},
		{"no user", []byte("\x05HELLO"), mechanism.ErrZMTPMalformedCommandHello},
		{"short user", []byte("\x05HELLO\x05ab"), mechanism.ErrZMTPMalformedCommandHello},
		{"no password", []byte("\x05HELLO\x01a"), mechanism.ErrZMTPMalformedCommandHello},
		{"trailing", append(append([]byte(nil), good...), 'x'), mechanism.ErrZMTPMalformedCommandHello},
		{"truncated", good[:len(good)-1], mechanism.ErrZMTPMalformedCommandHello},
	} {
		_, _, err := plain.ParseHello(c.cmd)
		var pe *mechanism.ProtocolError
		if !errors.As(err, &pe) || pe.Code != c.code {
			t.Errorf("%s: %v, want %#x", c.name, err, c.code)
		}
	}
}

// The client side: libzmq's PLAIN ERROR spelling ("^RROR") and the
// malformed or out-of-order commands.
func TestClientCommands(t *testing.T) {
	mk := func() mechanism.Session {
		_, _, opts := plain.Client("u", "p")
		s, err := plain.Mechanism{}.NewSession(&mechanism.Config{Options: opts})
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := s.Next(); !bytes.Equal(h, plain.AppendHello(nil, []byte("u"), []byte("p"))) {
			t.Fatalf("HELLO %q", h)
		}
		return s
	}
	var ae *mechanism.AuthError
	if err := mk().Process(plain.AppendLibzmqError(nil, "400")); !errors.As(err, &ae) || ae.Status != 400 {
		t.Fatalf("libzmq ERROR: %v", err)
	}
	var pe *mechanism.ProtocolError
	if err := mk().Process([]byte("^RROR\x09400")); !errors.As(err, &pe) || pe.Code != mechanism.ErrZMTPMalformedCommandError {
		t.Fatalf("bad ERROR: %v", err)
	}
	if err := mk().Process([]byte("\x07WELCOMEx")); !errors.As(err, &pe) || pe.Code != mechanism.ErrZMTPMalformedCommandWelcome {
		t.Fatalf("long WELCOME: %v", err)
	}
	if err := mk().Process([]byte("\x05READY")); !errors.As(err, &pe) || pe.Code != mechanism.ErrZMTPUnexpectedCommand {
		t.Fatalf("READY first: %v", err)
	}
	s := mk()
	if err := s.Process([]byte("\x07WELCOME")); err != nil {
		t.Fatal(err)
	}
	s.Next()
	if err := s.Process([]byte("\x05READY\x03abc")); !errors.As(err, &pe) || pe.Code != mechanism.ErrZMTPInvalidMetadata {
		t.Fatalf("bad metadata: %v", err)
	}
}

func TestServerWithoutZAP(t *testing.T) {
	_, asServer, opts := plain.Server()
	s, _ := plain.Mechanism{}.NewSession(&mechanism.Config{AsServer: asServer, Options: opts})
	if err := s.Process(plain.AppendHello(nil, []byte("u"), []byte("p"))); !errors.Is(err, mechanism.ErrNoZAPHandler) {
		t.Fatalf("no handler: %v", err)
	}
}

func FuzzParseHello(f *testing.F) {
	f.Add(plain.AppendHello(nil, []byte("admin"), []byte("secret")))
	f.Add([]byte("\x05HELLO\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, p, err := plain.ParseHello(b)
		if err == nil && !bytes.Equal(plain.AppendHello(nil, u, p), b) {
			t.Fatal("round trip")
		}
	})
}

func FuzzClient(f *testing.F) {
	f.Add([]byte("\x07WELCOME"))
	f.Add([]byte("^RROR\x03400"))
	f.Add([]byte("\x05READY"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, opts := plain.Client("u", "p")
		s, _ := plain.Mechanism{}.NewSession(&mechanism.Config{Options: opts})
		s.Next()
		if s.Process(b) == nil {
			s.Next()
			s.Process(b)
		}
	})
}
