//go:build amd64 && !purego && gc

package salsa

import "golang.org/x/sys/cpu"

//go:generate go run asm_gen.go

// The kernels XOR nblocks blocks of key stream for state into dst from src
// and add nblocks to the block counter in state[8:10]. nblocks must be a
// multiple of 16 (xorBlocksAVX512) or 8 (the others).

//go:noescape
func xorBlocksAVX512(dst, src *byte, nblocks int, state *[16]uint32)

//go:noescape
func xorBlocksAVX2(dst, src *byte, nblocks int, state *[16]uint32)

// The short kernels keep one block per 128-bit lane. xorBlocksAVX512Short
// handles 4 blocks if nblocks <= 4, else 8; xorBlocksAVX2Short 2 blocks if
// nblocks <= 2, else 4. They always process (and count) that many blocks.

//go:noescape
func xorBlocksAVX512Short(dst, src *byte, nblocks int, state *[16]uint32)

//go:noescape
func xorBlocksAVX2Short(dst, src *byte, nblocks int, state *[16]uint32)

var (
	hasAVX2   = cpu.X86.HasAVX2
	hasAVX512 = cpu.X86.HasAVX512F
)

// impl selects the implementation; tests override it.
var impl = func() int {
	switch {
	case hasAVX512:
		return implAVX512
	case hasAVX2:
		return implAVX2
	}
	return implGeneric
}()

// available reports whether implementation i can run on this machine.
func available(i int) bool {
	switch i {
	case implAVX512:
		return hasAVX512
	case implAVX2:
		return hasAVX2
	}
	return i == implGeneric
}

// generate stores key stream for up to need (>= 1) blocks in buf and
// advances the counter; it returns how many blocks it produced (>= 1). It
// may compute more blocks than need, in which case the counter is left
// past them: the caller must then be at the end of its stream.
func generate(buf *[bufSize]byte, need int, st *[16]uint32) int {
	switch impl {
	case implAVX512:
		switch {
		case need > 8:
			xorBlocksAVX512(&buf[0], &zeros[0], 16, st)
			return min(need, 16)
		case need > 4:
			xorBlocksAVX512Short(&buf[0], &zeros[0], 8, st)
		default:
			xorBlocksAVX512Short(&buf[0], &zeros[0], 4, st)
		}
		return need
	case implAVX2:
		switch {
		case need > 4:
			xorBlocksAVX2(&buf[0], &zeros[0], 8, st)
			return min(need, 8)
		case need > 2:
			xorBlocksAVX2Short(&buf[0], &zeros[0], 4, st)
		default:
			xorBlocksAVX2Short(&buf[0], &zeros[0], 2, st)
		}
		return need
	}
	return generateGeneric(buf, st)
}

// chunkBytes is the unit xorChunks works in.
func chunkBytes() int {
	switch impl {
	case implAVX512:
		return 16 * 64
	case implAVX2:
		return 8 * 64
	}
	return 64
}

// xorChunks XORs key stream into dst from src, len(src) being a positive
// multiple of chunkBytes(), and advances the counter.
func xorChunks(dst, src []byte, st *[16]uint32) {
	switch impl {
	case implAVX512:
		xorBlocksAVX512(&dst[0], &src[0], len(src)/64, st)
	case implAVX2:
		xorBlocksAVX2(&dst[0], &src[0], len(src)/64, st)
	default:
		blocksGeneric(dst, src, st)
	}
}
