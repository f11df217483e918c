package curve

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/curve25519"
	"golang.org/x/crypto/nacl/box"

	"github.com/zmqkit/zmqkit/z85"
)

// KeySize is the size of a raw CURVE key.
const KeySize = 32

// ErrBadKey is wrapped by errors about keys of the wrong form.
var ErrBadKey = errors.New("curve: bad key")

// KeyPair is a CURVE long-term key pair, raw.
type KeyPair struct {
	Public [KeySize]byte
	Secret [KeySize]byte
}

// PublicZ85 is the public key as 40 characters of Z85.
func (k KeyPair) PublicZ85() string { return Z85(k.Public[:]) }

// SecretZ85 is the secret key as 40 characters of Z85.
func (k KeyPair) SecretZ85() string { return Z85(k.Secret[:]) }

// NewKeyPair generates a key pair from crypto/rand (zmq_curve_keypair).
func NewKeyPair() (KeyPair, error) { return NewKeyPairFrom(rand.Reader) }

// NewKeyPairFrom generates a key pair from r.
func NewKeyPairFrom(r io.Reader) (KeyPair, error) {
	pub, sec, err := box.GenerateKey(r)
	if err != nil {
		return KeyPair{}, fmt.Errorf("curve: key generation: %w", err)
	}
	return KeyPair{Public: *pub, Secret: *sec}, nil
}

// KeyPairFromSecret returns the pair of a secret key given as ParseKey
// accepts it.
func KeyPairFromSecret(secret []byte) (KeyPair, error) {
	sec, err := ParseKey(secret)
	if err != nil {
		return KeyPair{}, err
	}
	var kp KeyPair
	kp.Secret = sec
	curve25519.ScalarBaseMult(&kp.Public, &kp.Secret)
	return kp, nil
}

// PublicKey derives the public key of a secret key (zmq_curve_public):
// both in Z85 text, 40 characters.
func PublicKey(secretZ85 string) (string, error) {
	if len(secretZ85) != 40 {
		return "", fmt.Errorf("%w: secret key must be 40 Z85 characters, got %d", ErrBadKey, len(secretZ85))
	}
	kp, err := KeyPairFromSecret([]byte(secretZ85))
	if err != nil {
		return "", err
	}
	return kp.PublicZ85(), nil
}

// Z85 encodes a 32-byte key as 40 characters.
func Z85(key []byte) string {
	s, err := z85.Encode(key)
	if err != nil {
		panic(err)
	}
	return s
}

// ParseKey accepts a key as libzmq's CURVE options do: 32 raw bytes, 40
// characters of Z85, or 41 bytes of Z85 ending in NUL.
func ParseKey(b []byte) ([KeySize]byte, error) {
	var k [KeySize]byte
	switch len(b) {
	case KeySize:
		copy(k[:], b)
		return k, nil
	case 41:
		if b[40] != 0 {
			return k, fmt.Errorf("%w: 41-byte key must be Z85 text ending in NUL", ErrBadKey)
		}
		b = b[:40]
		fallthrough
	case 40:
		d, err := z85.Decode(string(b))
		if err != nil {
			return k, fmt.Errorf("%w: %w", ErrBadKey, err)
		}
		copy(k[:], d)
		return k, nil
	}
	return k, fmt.Errorf("%w: %d bytes; want 32 raw bytes or 40 Z85 characters", ErrBadKey, len(b))
}

// ParseKeyString is ParseKey for text.
func ParseKeyString(s string) ([KeySize]byte, error) { return ParseKey([]byte(s)) }
