package ws

import "encoding/binary"

// mask XORs b in place with the WebSocket masking key, starting at key
// offset pos (0-3), eight octets at a time. It returns the key offset
// after b.
func mask(key [4]byte, pos int, b []byte) int {
	var k [4]byte
	for i := range k {
		k[i] = key[(pos+i)&3]
	}
	k32 := uint64(binary.LittleEndian.Uint32(k[:]))
	k64 := k32<<32 | k32
	n := len(b)
	for len(b) >= 32 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
		binary.LittleEndian.PutUint64(b[8:], binary.LittleEndian.Uint64(b[8:])^k64)
		binary.LittleEndian.PutUint64(b[16:], binary.LittleEndian.Uint64(b[16:])^k64)
		binary.LittleEndian.PutUint64(b[24:], binary.LittleEndian.Uint64(b[24:])^k64)
		b = b[32:]
	}
	for len(b) >= 8 {
		binary.LittleEndian.PutUint64(b, binary.LittleEndian.Uint64(b)^k64)
		b = b[8:]
	}
	for i := range b {
		b[i] ^= k[i&3]
	}
	return (pos + n) & 3
}
