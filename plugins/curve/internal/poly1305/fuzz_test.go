package poly1305

import (
	"testing"

	//lint:ignore SA1019 x/crypto's Poly1305 is the reference these kernels are checked against (CURVE needs the bare one-time MAC)
	"golang.org/x/crypto/poly1305"
)

func FuzzSum(f *testing.F) {
	f.Add([]byte("key"), []byte("message"), uint16(0))
	f.Add(make([]byte, 32), []byte{}, uint16(300))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, []byte{0xff}, uint16(4096+65))
	f.Fuzz(func(t *testing.T, keyb, msgb []byte, pad uint16) {
		var key [32]byte
		copy(key[:], keyb)
		// Extend the message by repeating it (or a counter pattern) so
		// that long inputs, which the vector paths take, are reached.
		msg := append([]byte(nil), msgb...)
		for i := 0; i < int(pad)%8192; i++ {
			b := byte(i * 31)
			if len(msgb) > 0 {
				b = msgb[i%len(msgb)]
			}
			msg = append(msg, b)
		}
		var want [16]byte
		poly1305.Sum(&want, msg, &key)
		for _, im := range implNames {
			if !available(im.id) {
				continue
			}
			saved := impl
			impl = im.id
			var got [16]byte
			Sum(&got, msg, &key)
			ok := Verify(&want, msg, &key)
			impl = saved
			if got != want || !ok {
				t.Fatalf("%s: len %d: tag %x, want %x (Verify %v)", im.name, len(msg), got, want, ok)
			}
		}
	})
}
