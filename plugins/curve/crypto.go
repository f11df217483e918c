package curve

import (
	"slices"

	//lint:ignore SA1019 CURVE boxes are NaCl crypto_box: XSalsa20 needs HSalsa20, which only this low-level package exports
	xsalsa "golang.org/x/crypto/salsa20/salsa"

	"github.com/zmqkit/zmqkit/plugins/curve/internal/poly1305"
	"github.com/zmqkit/zmqkit/plugins/curve/internal/salsa"
)

// tagSize is the Poly1305 tag that starts every box.
const tagSize = 16

// MESSAGE boxes use nonce = 16-byte direction prefix + 8-byte counter.
// XSalsa20 derives its Salsa20 key from the shared key and the first 16
// nonce bytes only (HSalsa20), so each direction's key is computed once
// per connection; a message then costs one Salsa20 pass and one Poly1305,
// both with SIMD on amd64 (internal/salsa, internal/poly1305).
func streamKey(shared *[32]byte, prefix *[16]byte) (k [32]byte) {
	xsalsa.HSalsa20(&k, prefix, shared, &xsalsa.Sigma)
	return k
}

// sealAppend appends the box of [inner][body] to dst as NaCl's
// crypto_secretbox makes it ([tag 16][ciphertext]), encrypting body
// straight from where it is: the first 32 bytes of the key stream are the
// Poly1305 key, the plaintext meets the stream from byte 32 on.
func sealAppend(dst []byte, inner byte, body []byte, nonce *[8]byte, key *[32]byte) []byte {
	start := len(dst)
	n := tagSize + 1 + len(body)
	dst = slices.Grow(dst, n)[:start+n]
	ct := dst[start+tagSize:]
	var b0 [64]byte
	salsa.KeyStreamXOR(&b0, ct[1:], body, 33, nonce, key)
	ct[0] = inner ^ b0[32]
	var tag [tagSize]byte
	poly1305.Sum(&tag, ct, (*[32]byte)(b0[:32]))
	copy(dst[start:], tag[:])
	return dst
}

// openAppend verifies box ([tag][ciphertext], at least 17 bytes) and
// appends its plaintext minus the first byte, which it returns apart, to
// dst. box is not modified; on failure nothing is appended.
func openAppend(dst, box []byte, nonce *[8]byte, key *[32]byte) ([]byte, byte, bool) {
	ct := box[tagSize:]
	start := len(dst)
	dst = slices.Grow(dst, len(ct)-1)[:start+len(ct)-1]
	var b0 [64]byte
	salsa.KeyStreamXOR(&b0, dst[start:], ct[1:], 33, nonce, key)
	if !poly1305.Verify((*[tagSize]byte)(box[:tagSize]), ct, (*[32]byte)(b0[:32])) {
		clear(dst[start:])
		return dst[:start], 0, false
	}
	return dst, ct[0] ^ b0[32], true
}
