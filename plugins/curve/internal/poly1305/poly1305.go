package poly1305

import (
	"crypto/subtle"
	"encoding/binary"
	"math/bits"
)

// TagSize is the size of a Poly1305 tag.
const TagSize = 16

// Implementations that impl (declared per architecture) may select.
const (
	implGeneric = iota
	implAVX2
	implIFMA
)

// Sum computes the Poly1305 tag of msg under the one-time key.
func Sum(out *[16]byte, msg []byte, key *[32]byte) {
	sum(out, msg, key)
}

// Verify reports, in constant time, whether tag is the Poly1305 tag of msg
// under key.
func Verify(tag *[16]byte, msg []byte, key *[32]byte) bool {
	var t [16]byte
	sum(&t, msg, key)
	return subtle.ConstantTimeCompare(t[:], tag[:]) == 1
}

// Clamping masks for the two 64-bit halves of r (RFC 8439 section 2.5).
const (
	rMask0 = 0x0ffffffc0fffffff
	rMask1 = 0x0ffffffc0ffffffc
)

// acc is the accumulator h = h0 + h1*2^64 + h2*2^128, kept partially
// reduced: h2 stays below 8.
type acc struct{ h0, h1, h2 uint64 }

// clampedR returns the clamped r half of key.
func clampedR(key *[32]byte) (r0, r1 uint64) {
	return binary.LittleEndian.Uint64(key[0:]) & rMask0, binary.LittleEndian.Uint64(key[8:]) & rMask1
}

// sumGeneric is the portable implementation of Sum.
func sumGeneric(out *[16]byte, msg []byte, key *[32]byte) {
	r0, r1 := clampedR(key)
	var h acc
	update(&h, r0, r1, msg)
	finish(out, &h, key)
}

// update absorbs msg into h: every full 16-byte block with the 2^128 pad
// bit, then a final partial block (if any) padded with a 1 byte and zeros.
// It computes h = (h + m) * r mod 2^130-5 per block, in radix 2^64, with
// r0, r1 clamped.
func update(h *acc, r0, r1 uint64, msg []byte) {
	h0, h1, h2 := h.h0, h.h1, h.h2
	for len(msg) >= 16 {
		var c uint64
		h0, c = bits.Add64(h0, binary.LittleEndian.Uint64(msg[0:]), 0)
		h1, c = bits.Add64(h1, binary.LittleEndian.Uint64(msg[8:]), c)
		h2 += c + 1
		msg = msg[16:]

		// h = h*r: mulR written out, as the compiler does not inline it
		// and the call costs about a fifth of the time per block.
		t1, t0 := bits.Mul64(h0, r0)
		t3, t2 := bits.Mul64(h1, r1)
		b1, b0 := bits.Mul64(h0, r1)
		c1, c0 := bits.Mul64(h1, r0)
		t1, c = bits.Add64(t1, b0, 0)
		t2, c = bits.Add64(t2, b1, c)
		t3, _ = bits.Add64(t3, 0, c)
		t1, c = bits.Add64(t1, c0, 0)
		t2, c = bits.Add64(t2, c1, c)
		t3, _ = bits.Add64(t3, 0, c)
		t2, c = bits.Add64(t2, h2*r0, 0)
		t3, _ = bits.Add64(t3, h2*r1, c)

		q0, q1 := t2&^3, t3
		h0, c = bits.Add64(t0, q0, 0)
		h1, c = bits.Add64(t1, q1, c)
		h2 = t2&3 + c
		h0, c = bits.Add64(h0, q0>>2|q1<<62, 0)
		h1, c = bits.Add64(h1, q1>>2, c)
		h2 += c
	}
	if len(msg) > 0 {
		var b [16]byte
		copy(b[:], msg)
		b[len(msg)] = 1
		var c uint64
		h0, c = bits.Add64(h0, binary.LittleEndian.Uint64(b[0:]), 0)
		h1, c = bits.Add64(h1, binary.LittleEndian.Uint64(b[8:]), c)
		h2 += c
		h0, h1, h2 = mulR(h0, h1, h2, r0, r1)
	}
	h.h0, h.h1, h.h2 = h0, h1, h2
}

// mulR returns h*r mod 2^130-5 for h = h0 + h1*2^64 + h2*2^128 with
// h2 < 8 and a clamped r = r0 + r1*2^64, computed column by column
// (2^0, 2^64, 2^128, 2^192); the result has h2 < 5. Clamping keeps r0, r1
// below 2^60, so h2*r0 and h2*r1 fit in 64 bits, and makes the low two
// bits of r1 zero, so the product stays below 2^256.
func mulR(h0, h1, h2, r0, r1 uint64) (uint64, uint64, uint64) {
	// The partial products, as words of the result: t0..t3 start with
	// h0*r0 (t0, t1) and h1*r1 (t2, t3); h0*r1 and h1*r0 are added at
	// word 1, h2*r0 at word 2 and h2*r1 at word 3. Each addition is one
	// carry chain, which the compiler turns into ADD/ADC.
	t1, t0 := bits.Mul64(h0, r0)
	t3, t2 := bits.Mul64(h1, r1)
	b1, b0 := bits.Mul64(h0, r1)
	c1, c0 := bits.Mul64(h1, r0)
	var c uint64
	t1, c = bits.Add64(t1, b0, 0)
	t2, c = bits.Add64(t2, b1, c)
	t3, _ = bits.Add64(t3, 0, c)
	t1, c = bits.Add64(t1, c0, 0)
	t2, c = bits.Add64(t2, c1, c)
	t3, _ = bits.Add64(t3, 0, c)
	t2, c = bits.Add64(t2, h2*r0, 0)
	t3, _ = bits.Add64(t3, h2*r1, c)

	// Reduce with 2^130 = 5: t = l + 2^130*q with l = t mod 2^130, and
	// q4 = 4q = (t2 &^ 3, t3) is already in place, so l + 5q = l + q4 + q4/4.
	q0, q1 := t2&^3, t3
	h0, c = bits.Add64(t0, q0, 0)
	h1, c = bits.Add64(t1, q1, c)
	h2 = t2&3 + c
	h0, c = bits.Add64(h0, q0>>2|q1<<62, 0)
	h1, c = bits.Add64(h1, q1>>2, c)
	h2 += c
	return h0, h1, h2
}

// finish reduces h fully mod 2^130-5, adds s (the second half of key) and
// stores the low 128 bits in out, in constant time.
func finish(out *[16]byte, h *acc, key *[32]byte) {
	h0, h1, h2 := h.h0, h.h1, h.h2

	// Fold the bits above 2^130 (h2 < 8, so this adds at most 5):
	// afterwards h < 2^130 + 5 < 2*(2^130-5).
	q := h2 >> 2
	var c uint64
	h0, c = bits.Add64(h0, q*5, 0)
	h1, c = bits.Add64(h1, 0, c)
	h2 = h2&3 + c

	// If h + 5 >= 2^130 then h >= p and h - p = h + 5 - 2^130, whose low
	// 128 bits are those of h + 5.
	g0, c := bits.Add64(h0, 5, 0)
	g1, c := bits.Add64(h1, 0, c)
	g2 := h2 + c
	mask := -(g2 >> 2) // all ones iff h >= p
	h0 = h0&^mask | g0&mask
	h1 = h1&^mask | g1&mask

	s0 := binary.LittleEndian.Uint64(key[16:])
	s1 := binary.LittleEndian.Uint64(key[24:])
	h0, c = bits.Add64(h0, s0, 0)
	h1, _ = bits.Add64(h1, s1, c)
	binary.LittleEndian.PutUint64(out[0:], h0)
	binary.LittleEndian.PutUint64(out[8:], h1)
}
