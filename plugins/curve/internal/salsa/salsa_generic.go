package salsa

import (
	"encoding/binary"
	"math/bits"
)

// blocksGeneric XORs len(src)/64 whole blocks of key stream for state st
// into dst and advances st's block counter past them. It is the portable
// Salsa20/20 implementation, one block at a time.
func blocksGeneric(dst, src []byte, st *[16]uint32) {
	j0, j1, j2, j3, j4, j5, j6, j7 := st[0], st[1], st[2], st[3], st[4], st[5], st[6], st[7]
	j8, j9, j10, j11, j12, j13, j14, j15 := st[8], st[9], st[10], st[11], st[12], st[13], st[14], st[15]
	for len(src) >= 64 {
		x0, x1, x2, x3, x4, x5, x6, x7 := j0, j1, j2, j3, j4, j5, j6, j7
		x8, x9, x10, x11, x12, x13, x14, x15 := j8, j9, j10, j11, j12, j13, j14, j15
		for i := 0; i < 10; i++ {
			// Column round.
			x4 ^= bits.RotateLeft32(x0+x12, 7)
			x9 ^= bits.RotateLeft32(x5+x1, 7)
			x14 ^= bits.RotateLeft32(x10+x6, 7)
			x3 ^= bits.RotateLeft32(x15+x11, 7)
			x8 ^= bits.RotateLeft32(x4+x0, 9)
			x13 ^= bits.RotateLeft32(x9+x5, 9)
			x2 ^= bits.RotateLeft32(x14+x10, 9)
			x7 ^= bits.RotateLeft32(x3+x15, 9)
			x12 ^= bits.RotateLeft32(x8+x4, 13)
			x1 ^= bits.RotateLeft32(x13+x9, 13)
			x6 ^= bits.RotateLeft32(x2+x14, 13)
			x11 ^= bits.RotateLeft32(x7+x3, 13)
			x0 ^= bits.RotateLeft32(x12+x8, 18)
			x5 ^= bits.RotateLeft32(x1+x13, 18)
			x10 ^= bits.RotateLeft32(x6+x2, 18)
			x15 ^= bits.RotateLeft32(x11+x7, 18)

			// Row round.
			x1 ^= bits.RotateLeft32(x0+x3, 7)
			x6 ^= bits.RotateLeft32(x5+x4, 7)
			x11 ^= bits.RotateLeft32(x10+x9, 7)
			x12 ^= bits.RotateLeft32(x15+x14, 7)
			x2 ^= bits.RotateLeft32(x1+x0, 9)
			x7 ^= bits.RotateLeft32(x6+x5, 9)
			x8 ^= bits.RotateLeft32(x11+x10, 9)
			x13 ^= bits.RotateLeft32(x12+x15, 9)
			x3 ^= bits.RotateLeft32(x2+x1, 13)
			x4 ^= bits.RotateLeft32(x7+x6, 13)
			x9 ^= bits.RotateLeft32(x8+x11, 13)
			x14 ^= bits.RotateLeft32(x13+x12, 13)
			x0 ^= bits.RotateLeft32(x3+x2, 18)
			x5 ^= bits.RotateLeft32(x4+x7, 18)
			x10 ^= bits.RotateLeft32(x9+x8, 18)
			x15 ^= bits.RotateLeft32(x14+x13, 18)
		}
		s, d := src[:64], dst[:64]
		le := binary.LittleEndian
		le.PutUint32(d[0:], le.Uint32(s[0:])^(x0+j0))
		le.PutUint32(d[4:], le.Uint32(s[4:])^(x1+j1))
		le.PutUint32(d[8:], le.Uint32(s[8:])^(x2+j2))
		le.PutUint32(d[12:], le.Uint32(s[12:])^(x3+j3))
		le.PutUint32(d[16:], le.Uint32(s[16:])^(x4+j4))
		le.PutUint32(d[20:], le.Uint32(s[20:])^(x5+j5))
		le.PutUint32(d[24:], le.Uint32(s[24:])^(x6+j6))
		le.PutUint32(d[28:], le.Uint32(s[28:])^(x7+j7))
		le.PutUint32(d[32:], le.Uint32(s[32:])^(x8+j8))
		le.PutUint32(d[36:], le.Uint32(s[36:])^(x9+j9))
		le.PutUint32(d[40:], le.Uint32(s[40:])^(x10+j10))
		le.PutUint32(d[44:], le.Uint32(s[44:])^(x11+j11))
		le.PutUint32(d[48:], le.Uint32(s[48:])^(x12+j12))
		le.PutUint32(d[52:], le.Uint32(s[52:])^(x13+j13))
		le.PutUint32(d[56:], le.Uint32(s[56:])^(x14+j14))
		le.PutUint32(d[60:], le.Uint32(s[60:])^(x15+j15))

		j8++
		if j8 == 0 {
			j9++
		}
		src, dst = src[64:], dst[64:]
	}
	st[8], st[9] = j8, j9
}

// generateGeneric stores one block of key stream in buf and advances the
// counter; it returns 1, the number of blocks produced.
func generateGeneric(buf *[bufSize]byte, st *[16]uint32) int {
	blocksGeneric(buf[:64], zeros[:64], st)
	return 1
}
