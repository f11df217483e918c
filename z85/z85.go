// Package z85 implements Z85 (ZeroMQ RFC 32), the printable base-85
// encoding ZeroMQ uses for CURVE keys, byte-compatible with libzmq's
// zmq_z85_encode and zmq_z85_decode.
//
// Encode takes a multiple of 4 bytes and yields 5 characters per 4 bytes;
// Decode takes a non-empty multiple of 5 characters. Both report bad input
// with errors that say what is wrong and where.
package z85

import (
	"errors"
	"fmt"
)

const alphabet = "0123456789" +
	"abcdefghijklmnopqrstuvwxyz" +
	"ABCDEFGHIJKLMNOPQRSTUVWXYZ" +
	".-:+=^!/*?&<>()[]{}@%$#"

// decodeTable maps a character to its digit plus one; 0 marks a character
// outside the alphabet.
var decodeTable [256]byte

func init() {
	for i := 0; i < len(alphabet); i++ {
		decodeTable[alphabet[i]] = byte(i + 1)
	}
}

// ErrLength is wrapped by errors about input of the wrong length.
var ErrLength = errors.New("z85: bad length")

// ErrCharacter is wrapped by errors about a character outside the Z85
// alphabet.
var ErrCharacter = errors.New("z85: invalid character")

// ErrOverflow is wrapped by errors about a 5-character group whose value
// exceeds 2^32-1.
var ErrOverflow = errors.New("z85: group value out of range")

// EncodedLen returns the length of the encoding of n bytes.
func EncodedLen(n int) int { return n / 4 * 5 }

// DecodedLen returns the length of the decoding of n characters.
func DecodedLen(n int) int { return n / 5 * 4 }

// Encode returns the Z85 text of src, whose length must be a multiple of
// 4 (empty input gives empty text, as libzmq).
func Encode(src []byte) (string, error) {
	b, err := AppendEncode(nil, src)
	return string(b), err
}

// AppendEncode appends the Z85 text of src to dst.
func AppendEncode(dst, src []byte) ([]byte, error) {
	if len(src)%4 != 0 {
		return dst, fmt.Errorf("%w: %d bytes to encode is not a multiple of 4", ErrLength, len(src))
	}
	for i := 0; i < len(src); i += 4 {
		v := uint32(src[i])<<24 | uint32(src[i+1])<<16 | uint32(src[i+2])<<8 | uint32(src[i+3])
		var g [5]byte
		for j := 4; j >= 0; j-- {
			g[j] = alphabet[v%85]
			v /= 85
		}
		dst = append(dst, g[:]...)
	}
	return dst, nil
}

// Decode returns the bytes of Z85 text s, whose length must be a non-zero
// multiple of 5 (libzmq refuses empty text).
func Decode(s string) ([]byte, error) {
	return AppendDecode(nil, s)
}

// AppendDecode appends the bytes of Z85 text s to dst.
func AppendDecode(dst []byte, s string) ([]byte, error) {
	if len(s) == 0 || len(s)%5 != 0 {
		return dst, fmt.Errorf("%w: %d characters to decode is not a non-zero multiple of 5", ErrLength, len(s))
	}
	for i := 0; i < len(s); i += 5 {
		var v uint64
		for j := 0; j < 5; j++ {
			c := s[i+j]
			d := decodeTable[c]
			if d == 0 {
				return dst, fmt.Errorf("%w %q at offset %d", ErrCharacter, c, i+j)
			}
			v = v*85 + uint64(d-1)
		}
		if v > 0xFFFFFFFF {
			return dst, fmt.Errorf("%w: group %q at offset %d", ErrOverflow, s[i:i+5], i)
		}
		dst = append(dst, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return dst, nil
}

// MustDecode is Decode for constants; it panics on bad input.
func MustDecode(s string) []byte {
	b, err := Decode(s)
	if err != nil {
		panic(err)
	}
	return b
}
