//go:build !amd64 || purego || !gc

package salsa

// impl selects the implementation; only the generic one exists here.
var impl = implGeneric

// available reports whether implementation i can run on this machine.
func available(i int) bool { return i == implGeneric }

// generate stores key stream for up to need (>= 1) blocks in buf and
// advances the counter; it returns how many blocks it produced (>= 1). It
// may compute more blocks than need, in which case the counter is left
// past them: the caller must then be at the end of its stream.
func generate(buf *[bufSize]byte, need int, st *[16]uint32) int {
	return generateGeneric(buf, st)
}

// chunkBytes is the unit xorChunks works in.
func chunkBytes() int { return 64 }

// xorChunks XORs key stream into dst from src, len(src) being a positive
// multiple of chunkBytes(), and advances the counter.
func xorChunks(dst, src []byte, st *[16]uint32) { blocksGeneric(dst, src, st) }
