package salsa

import (
	"fmt"
	"testing"

	//lint:ignore SA1019 x/crypto's Salsa20 core is the reference these kernels are measured against
	"golang.org/x/crypto/salsa20/salsa"
)

var benchSizes = []int{64, 1024, 65536}

// BenchmarkKeyStreamXOR seals n bytes as NaCl secretbox does (off = 32),
// in place.
func BenchmarkKeyStreamXOR(b *testing.B) {
	for _, im := range implNames {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", im.name, n), func(b *testing.B) {
				useImpl(b, im.id, im.name)
				var key [32]byte
				var nonce [8]byte
				var block0 [64]byte
				buf := make([]byte, n)
				b.SetBytes(int64(n))
				for b.Loop() {
					KeyStreamXOR(&block0, buf, buf, 32, &nonce, &key)
				}
			})
		}
	}
}

// BenchmarkXCrypto does the same work with x/crypto, the way the caller
// did before: one XORKeyStream over 32 bytes of room plus the message.
func BenchmarkXCrypto(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var key [32]byte
			var counter [16]byte
			buf := make([]byte, 32+n)
			b.SetBytes(int64(n))
			for b.Loop() {
				clear(buf[:32])
				salsa.XORKeyStream(buf, buf, &counter, &key)
			}
		})
	}
}
