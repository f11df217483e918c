package z85

import (
	"bytes"
	"errors"
	"math/rand"
	"testing"
)

// RFC 32's example and the key pairs of its test vectors (libzmq's
// tests/test_security_curve.cpp and the RFC's reference implementation).
func TestRFC32Vectors(t *testing.T) {
	hello := []byte{0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B}
	s, err := Encode(hello)
	if err != nil || s != "HelloWorld" {
		t.Fatalf("Encode = %q, %v; want HelloWorld", s, err)
	}
	b, err := Decode("HelloWorld")
	if err != nil || !bytes.Equal(b, hello) {
		t.Fatalf("Decode = %x, %v", b, err)
	}
	// RFC 32's 32-byte key example.
	key := []byte{
		0x8E, 0x0B, 0xDD, 0x69, 0x76, 0x28, 0xB9, 0x1D,
		0x8F, 0x24, 0x55, 0x87, 0xEE, 0x95, 0xC5, 0xB0,
		0x4D, 0x48, 0x96, 0x3F, 0x79, 0x25, 0x98, 0x77,
		0xB4, 0x9C, 0xD9, 0x06, 0x3A, 0xEA, 0xD3, 0xB7,
	}
	const want = "JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6"
	if s, _ := Encode(key); s != want {
		t.Fatalf("Encode(key) = %q, want %q", s, want)
	}
	if b, _ := Decode(want); !bytes.Equal(b, key) {
		t.Fatalf("Decode(key) = %x", b)
	}
}

func TestEmptyAndErrors(t *testing.T) {
	if s, err := Encode(nil); err != nil || s != "" {
		t.Fatalf("Encode(nil) = %q, %v", s, err)
	}
	if _, err := Encode([]byte{1, 2, 3}); !errors.Is(err, ErrLength) {
		t.Fatalf("Encode 3 bytes: %v", err)
	}
	if _, err := Decode(""); !errors.Is(err, ErrLength) {
		t.Fatalf("Decode empty: %v", err)
	}
	if _, err := Decode("Hello" + "Worl"); !errors.Is(err, ErrLength) {
		t.Fatalf("Decode 9 chars: %v", err)
	}
	if _, err := Decode("Hello Wrld"); !errors.Is(err, ErrCharacter) {
		t.Fatalf("Decode space: %v", err)
	}
	if _, err := Decode("#####"); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Decode overflow: %v", err)
	}
	if _, err := Decode("%nSc0"); err != nil { // 0xFFFFFFFF
		t.Fatalf("Decode max group: %v", err)
	}
	if _, err := Decode("%nSc1"); !errors.Is(err, ErrOverflow) {
		t.Fatalf("Decode max+1: %v", err)
	}
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	for n := 0; n < 200; n += 4 {
		b := make([]byte, n)
		r.Read(b)
		s, err := Encode(b)
		if err != nil || len(s) != EncodedLen(n) {
			t.Fatal(err)
		}
		if n == 0 {
			continue
		}
		d, err := Decode(s)
		if err != nil || !bytes.Equal(d, b) || len(d) != DecodedLen(len(s)) {
			t.Fatalf("round trip %d: %v", n, err)
		}
	}
}

func FuzzDecode(f *testing.F) {
	f.Add("HelloWorld")
	f.Add("JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6")
	f.Add("#####")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := Decode(s)
		if err != nil {
			return
		}
		e, err := Encode(b)
		if err != nil || e != s {
			t.Fatalf("re-encode %q = %q, %v", s, e, err)
		}
	})
}
