package salsa

import (
	"crypto/subtle"
	"encoding/binary"
	"unsafe"
)

// Implementations that impl (declared per architecture) may select.
const (
	implGeneric = iota
	implAVX2
	implAVX512
)

// bufSize is the most key stream generate produces at once: one chunk of
// the widest kernel (16 blocks).
const bufSize = 16 * 64

// zeros is the source the kernels XOR with when they only generate key
// stream into a buffer.
var zeros [bufSize]byte

// KeyStreamXOR computes the Salsa20/20 key stream for key and the 8-byte
// nonce with the 64-bit little-endian block counter starting at 0 (the
// stream XSalsa20 uses after HSalsa20). It stores the first 64 bytes of the
// stream (block 0) in block0, and XORs src into dst with the stream starting
// at byte offset off (0 <= off <= 64) of the stream: dst[i] = src[i] ^ stream[off+i].
// dst and src must be the same length; they may overlap exactly (dst == src)
// but not otherwise. len(src) may be 0 (then only block0 is computed).
func KeyStreamXOR(block0 *[64]byte, dst, src []byte, off int, nonce *[8]byte, key *[32]byte) {
	keyStreamXOR(block0, dst, src, off, nonce, key, 0)
}

// keyStreamXOR is KeyStreamXOR with the block counter starting at counter
// instead of 0 (block0 then receives block counter).
func keyStreamXOR(block0 *[64]byte, dst, src []byte, off int, nonce *[8]byte, key *[32]byte, counter uint64) {
	if off < 0 || off > 64 {
		panic("salsa: key stream offset out of range [0, 64]")
	}
	if len(dst) < len(src) {
		panic("salsa: output smaller than input")
	}
	dst = dst[:len(src)]
	if inexactOverlap(dst, src) {
		panic("salsa: invalid buffer overlap")
	}

	var st [16]uint32
	st[0], st[5], st[10], st[15] = 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 // "expand 32-byte k"
	for i := 0; i < 4; i++ {
		st[1+i] = binary.LittleEndian.Uint32(key[4*i:])
		st[11+i] = binary.LittleEndian.Uint32(key[16+4*i:])
	}
	st[6] = binary.LittleEndian.Uint32(nonce[0:])
	st[7] = binary.LittleEndian.Uint32(nonce[4:])
	st[8] = uint32(counter)
	st[9] = uint32(counter >> 32)

	// Head: the blocks from block 0 on go through buf, because block 0 is
	// also an output and the XOR starts off bytes into it.
	var buf [bufSize]byte
	need := max(1, (off+len(src)+63)>>6)
	n := generate(&buf, need, &st)
	copy(block0[:], buf[:64])
	m := min(len(src), n*64-off)
	subtle.XORBytes(dst[:m], src[:m], buf[off:off+m])
	dst, src = dst[m:], src[m:]

	// Body: from here on the stream is block aligned with dst and src.
	if c := chunkBytes(); len(src) >= c {
		m := len(src) - len(src)%c
		xorChunks(dst[:m], src[:m], &st)
		dst, src = dst[m:], src[m:]
	}

	// Tail: less than a chunk.
	for len(src) > 0 {
		n := generate(&buf, (len(src)+63)>>6, &st)
		m := min(len(src), n*64)
		subtle.XORBytes(dst[:m], src[:m], buf[:m])
		dst, src = dst[m:], src[m:]
	}
}

// inexactOverlap reports whether x and y share memory other than by
// starting at the same address.
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 || &x[0] == &y[0] {
		return false
	}
	xp, yp := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	return xp <= yp+uintptr(len(y)-1) && yp <= xp+uintptr(len(x)-1)
}
