package curve

import (
	"golang.org/x/crypto/poly1305" //nolint:staticcheck // the NaCl secretbox MAC; no replacement offers Sum/Verify
	"golang.org/x/crypto/salsa20/salsa"
)

// tagSize is the Poly1305 tag that starts every box.
const tagSize = 16

// MESSAGE boxes use nonce = 16-byte direction prefix + 8-byte counter.
// XSalsa20 derives its Salsa20 key from the shared key and the first 16
// nonce bytes only (HSalsa20), so each direction's key is computed once
// per connection; a message then costs one Salsa20 pass and one Poly1305.
func streamKey(shared *[32]byte, prefix *[16]byte) (k [32]byte) {
	salsa.HSalsa20(&k, prefix, shared, &salsa.Sigma)
	return k
}

// sealRegion encrypts region = [32 bytes of room][plaintext] in place as
// NaCl's crypto_secretbox does: the plaintext becomes the ciphertext and
// the tag is returned; region[:32] is left holding key stream (the caller
// overwrites it with the command header and the tag).
func sealRegion(region []byte, short []byte, key *[32]byte) (tag [tagSize]byte) {
	var counter [16]byte
	copy(counter[:8], short)
	clear(region[:32])
	salsa.XORKeyStream(region, region, &counter, key)
	var polyKey [32]byte
	copy(polyKey[:], region[:32])
	poly1305.Sum(&tag, region[32:], &polyKey)
	return tag
}

// openAppend verifies box ([tag][ciphertext], at least 17 bytes) and
// appends its plaintext minus the first byte to dst, which it also
// returns. box is not modified.
func openAppend(dst, box []byte, short []byte, key *[32]byte) ([]byte, byte, bool) {
	var counter [16]byte
	copy(counter[:8], short)
	ct := box[tagSize:]
	start := len(dst)
	dst = append(dst, make([]byte, 32)...)
	dst = append(dst, ct...)
	region := dst[start:]
	salsa.XORKeyStream(region, region, &counter, key)
	var polyKey [32]byte
	copy(polyKey[:], region[:32])
	var tag [tagSize]byte
	copy(tag[:], box[:tagSize])
	if !poly1305.Verify(&tag, ct, &polyKey) {
		clear(region)
		return dst[:start], 0, false
	}
	lead := region[32]
	n := copy(region, region[33:])
	return dst[:start+n], lead, true
}
