package wire

import (
	"encoding/binary"
	"math/bits"
)

// Checksum returns the PGM checksum of b (RFC 3208 §8): the one's
// complement of the one's complement sum of b as big-endian 16-bit words,
// where a sum whose complement is zero is sent as 0xFFFF (0 means "no
// checksum"). b must hold the packet with its checksum field zeroed.
func Checksum(b []byte) uint16 {
	s := sum16(b)
	if s == 0xFFFF {
		return 0xFFFF
	}
	return ^s
}

// sum16 is the folded one's complement sum of b as big-endian 16-bit words.
//
// It adds little-endian 64-bit words with end-around carry: the one's
// complement sum does not depend on the word size (2^64-1 is a multiple of
// 2^16-1) and summing byte-swapped words gives the byte-swapped sum
// (RFC 1071 §2), so one swap at the end yields the big-endian sum.
func sum16(b []byte) uint16 {
	var acc, c uint64
	for len(b) >= 32 {
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[8:]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[16:]), c)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b[24:]), c)
		b = b[32:]
	}
	for len(b) >= 8 {
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(b), c)
		b = b[8:]
	}
	if len(b) > 0 {
		var t [8]byte
		copy(t[:], b)
		acc, c = bits.Add64(acc, binary.LittleEndian.Uint64(t[:]), c)
	}
	acc, c = bits.Add64(acc, 0, c)
	acc += c // cannot carry again
	// fold 64 -> 32 -> 16 with end-around carries
	s := (acc >> 32) + (acc & 0xFFFFFFFF)
	s = (s >> 32) + (s & 0xFFFFFFFF)
	s = (s >> 16) + (s & 0xFFFF)
	s = (s >> 16) + (s & 0xFFFF)
	s = (s >> 16) + (s & 0xFFFF)
	return bits.ReverseBytes16(uint16(s))
}
