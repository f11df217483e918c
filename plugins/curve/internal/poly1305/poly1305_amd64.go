//go:build amd64 && !purego && gc

package poly1305

import (
	"math/bits"

	"golang.org/x/sys/cpu"
)

//go:generate go run asm_gen.go

// The kernels absorb whole chunks of blocks (each with the 2^128 pad bit)
// into a zero accumulator in several interleaved lanes, each lane stepping
// by the power of r that matches the number of lanes, and store the lane
// sum as limb sums h (mod 2^130-5) for the scalar code to carry on from.
// pw[i][l] is limb i of the power of r lane l is multiplied by at the end:
// VPUNPCK{L,H}QDQ work within 128-bit lanes, so 64-bit lane 2L holds block
// L and lane 2L+1 block L+w/2 of a chunk of w blocks.

// blocksAVX2 absorbs n >= 1 chunks of 64 bytes in four lanes of radix
// 2^26 (h = sum h[i]*2^(26i), each h[i] below 2^61). pw holds r^4, r^2,
// r^3, r.
//
//go:noescape
func blocksAVX2(h *[5]uint64, msg *byte, n int, pw *[5][4]uint64)

// blocksIFMA4 absorbs n >= 1 chunks of 64 bytes in four lanes of radix
// 2^44 (h = h[0] + h[1]*2^44 + h[2]*2^88, each h[i] below 2^58). pw holds
// r^4, r^2, r^3, r.
//
//go:noescape
func blocksIFMA4(h *[3]uint64, msg *byte, n int, pw *[3][4]uint64)

// blocksIFMA16 absorbs n >= 2 chunks of 128 bytes in two independent sets
// of eight lanes of radix 2^44 (even and odd chunks), stepping by r^16.
// pw holds r^8, r^4, r^7, r^3, r^6, r^2, r^5, r; the kernel derives the
// other set's powers (times r^8) and r^16 itself.
//
//go:noescape
func blocksIFMA16(h *[3]uint64, msg *byte, n int, pw *[3][8]uint64)

var (
	hasAVX2 = cpu.X86.HasAVX2
	hasIFMA = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL && cpu.X86.HasAVX512IFMA
)

// impl selects the implementation; tests override it.
var impl = func() int {
	switch {
	case hasIFMA:
		return implIFMA
	case hasAVX2:
		return implAVX2
	}
	return implGeneric
}()

// available reports whether implementation i can run on this machine.
func available(i int) bool {
	switch i {
	case implIFMA:
		return hasIFMA
	case implAVX2:
		return hasAVX2
	}
	return i == implGeneric
}

// Message lengths from which the vector kernels pay for computing the
// powers of r (measured; below them the scalar code is faster).
const (
	minIFMA   = 128
	minIFMA16 = 768
	minAVX2   = 256
)

func sum(out *[16]byte, msg []byte, key *[32]byte) {
	switch {
	case impl == implIFMA && len(msg) >= minIFMA:
		sumIFMA(out, msg, key)
	case impl == implAVX2 && len(msg) >= minAVX2:
		sumAVX2(out, msg, key)
	default:
		sumGeneric(out, msg, key)
	}
}

func sumAVX2(out *[16]byte, msg []byte, key *[32]byte) {
	r0, r1 := clampedR(key)
	var pw [5][4]uint64 // r^4, r^2, r^3, r
	pw[0][3], pw[1][3], pw[2][3], pw[3][3], pw[4][3] = limbs26(r0, r1, 0)
	h0, h1, h2 := mulR(r0, r1, 0, r0, r1)
	pw[0][1], pw[1][1], pw[2][1], pw[3][1], pw[4][1] = limbs26(h0, h1, h2)
	h0, h1, h2 = mulR(h0, h1, h2, r0, r1)
	pw[0][2], pw[1][2], pw[2][2], pw[3][2], pw[4][2] = limbs26(h0, h1, h2)
	h0, h1, h2 = mulR(h0, h1, h2, r0, r1)
	pw[0][0], pw[1][0], pw[2][0], pw[3][0], pw[4][0] = limbs26(h0, h1, h2)

	n := len(msg) &^ 63
	var limbs [5]uint64
	blocksAVX2(&limbs, &msg[0], n/64, &pw)
	h := accFromLimbs26(&limbs)
	update(&h, r0, r1, msg[n:])
	finish(out, &h, key)
}

func sumIFMA(out *[16]byte, msg []byte, key *[32]byte) {
	r0, r1 := clampedR(key)
	var limbs [3]uint64
	var n int
	if len(msg) < minIFMA16 {
		var pw [3][4]uint64 // r^4, r^2, r^3, r
		pw[0][3], pw[1][3], pw[2][3] = limbs44(r0, r1, 0)
		h0, h1, h2 := mulR(r0, r1, 0, r0, r1)
		pw[0][1], pw[1][1], pw[2][1] = limbs44(h0, h1, h2)
		h0, h1, h2 = mulR(h0, h1, h2, r0, r1)
		pw[0][2], pw[1][2], pw[2][2] = limbs44(h0, h1, h2)
		h0, h1, h2 = mulR(h0, h1, h2, r0, r1)
		pw[0][0], pw[1][0], pw[2][0] = limbs44(h0, h1, h2)
		n = len(msg) &^ 63
		blocksIFMA4(&limbs, &msg[0], n/64, &pw)
	} else {
		var pw [3][8]uint64 // r^8, r^4, r^7, r^3, r^6, r^2, r^5, r
		h0, h1, h2 := r0, r1, uint64(0)
		for _, l := range [8]int{7, 5, 3, 1, 6, 4, 2, 0} {
			pw[0][l], pw[1][l], pw[2][l] = limbs44(h0, h1, h2)
			h0, h1, h2 = mulR(h0, h1, h2, r0, r1)
		}
		n = len(msg) &^ 127
		blocksIFMA16(&limbs, &msg[0], n/128, &pw)
	}
	h := accFromLimbs44(&limbs)
	update(&h, r0, r1, msg[n:])
	finish(out, &h, key)
}

// Radix 2^26 helpers for the vector implementations.

const mask26 = 1<<26 - 1

// limbs26 returns the 26-bit limbs of h = h0 + h1*2^64 + h2*2^128 (h2 <
// 8), folding the bits above 2^130 first so that limb 4 stays below
// 2^26 + 2^6.
//
// Like the other helpers here it returns scalars, not an array: arrays
// returned by value are copied with 16-byte moves, and a 16-byte load of
// two 8-byte stores still in flight stalls until they reach the cache.
func limbs26(h0, h1, h2 uint64) (l0, l1, l2, l3, l4 uint64) {
	var c uint64
	h0, c = bits.Add64(h0, 5*(h2>>2), 0)
	h1, c = bits.Add64(h1, 0, c)
	h2 = h2&3 + c
	return h0 & mask26, h0 >> 26 & mask26, (h0>>52 | h1<<12) & mask26, h1 >> 14 & mask26, h1>>40 | h2<<24
}

// carry26 normalises limbs d0..d4 (each below 2^62) representing
// sum d_i*2^(26i) into limbs with limbs 0-3 below 2^26 and limb 4 below
// 2^26 + 2, the same value mod 2^130-5.
func carry26(d0, d1, d2, d3, d4 uint64) (uint64, uint64, uint64, uint64, uint64) {
	d1 += d0 >> 26
	d0 &= mask26
	d2 += d1 >> 26
	d1 &= mask26
	d3 += d2 >> 26
	d2 &= mask26
	d4 += d3 >> 26
	d3 &= mask26
	d0 += 5 * (d4 >> 26) // < 2^26 + 5*2^36
	d4 &= mask26
	d1 += d0 >> 26
	d0 &= mask26
	d2 += d1 >> 26
	d1 &= mask26
	d3 += d2 >> 26
	d2 &= mask26
	d4 += d3 >> 26
	d3 &= mask26
	return d0, d1, d2, d3, d4
}

// accFromLimbs26 turns the limb sums a vector kernel leaves into an acc.
func accFromLimbs26(l *[5]uint64) acc {
	f0, f1, f2, f3, f4 := carry26(l[0], l[1], l[2], l[3], l[4])
	return acc{
		h0: f0 | f1<<26 | f2<<52,
		h1: f2>>12 | f3<<14 | f4<<40,
		h2: f4 >> 24,
	}
}

// Radix 2^44 helpers for the IFMA implementation.

const (
	mask44 = 1<<44 - 1
	mask42 = 1<<42 - 1
)

// limbs44 returns the limbs (44, 44 and 42 bits) of h = h0 + h1*2^64 +
// h2*2^128 (h2 < 8), folding the bits above 2^130 first so that limb 2
// stays below 2^42 + 2^6.
func limbs44(h0, h1, h2 uint64) (l0, l1, l2 uint64) {
	var c uint64
	h0, c = bits.Add64(h0, 5*(h2>>2), 0)
	h1, c = bits.Add64(h1, 0, c)
	h2 = h2&3 + c
	return h0 & mask44, (h0>>44 | h1<<20) & mask44, h1>>24 | h2<<40
}

// accFromLimbs44 turns the limb sums the IFMA kernels leave (each below
// 2^62), h = l[0] + l[1]*2^44 + l[2]*2^88, into an acc.
func accFromLimbs44(l *[3]uint64) acc {
	l0, l1, l2 := l[0], l[1], l[2]
	l1 += l0 >> 44
	l0 &= mask44
	l2 += l1 >> 44
	l1 &= mask44
	l0 += 5 * (l2 >> 42) // < 2^44 + 5*2^22
	l2 &= mask42
	l1 += l0 >> 44
	l0 &= mask44
	l2 += l1 >> 44 // l2 < 2^42 + 1
	l1 &= mask44
	return acc{h0: l0 | l1<<44, h1: l1>>20 | l2<<24, h2: l2 >> 40}
}
