package salsa

import (
	"testing"
)

func FuzzKeyStreamXOR(f *testing.F) {
	f.Add([]byte("key"), []byte("nonce"), uint64(0), uint8(32), uint16(100), false)
	f.Add([]byte{}, []byte{}, uint64(1<<32-5), uint8(33), uint16(1500), true)
	f.Add([]byte{1, 2, 3}, []byte{9}, uint64(7), uint8(64), uint16(4096+65), false)
	f.Fuzz(func(t *testing.T, keyb, nonceb []byte, ctr uint64, off8 uint8, n16 uint16, inPlace bool) {
		var key [32]byte
		var nonce [8]byte
		copy(key[:], keyb)
		copy(nonce[:], nonceb)
		off := int(off8) % 65
		n := int(n16) % 8192
		if ctr > 1<<64-256 {
			ctr -= 256 // keep the reference away from the 64-bit wrap
		}
		stream := refStream(off+n+64, &nonce, &key, ctr)
		src := make([]byte, n)
		for i := range src {
			src[i] = byte(i*7 + int(off8))
		}
		for _, im := range implNames {
			if !available(im.id) {
				continue
			}
			saved := impl
			impl = im.id
			check(t, stream, src, off, &nonce, &key, ctr, inPlace)
			impl = saved
		}
	})
}
