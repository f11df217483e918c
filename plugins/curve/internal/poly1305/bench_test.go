package poly1305

import (
	"fmt"
	"testing"

	//lint:ignore SA1019 x/crypto's Poly1305 is the reference these kernels are checked against (CURVE needs the bare one-time MAC)
	"golang.org/x/crypto/poly1305"
)

var benchSizes = []int{64, 1024, 65536}

func BenchmarkSum(b *testing.B) {
	for _, im := range implNames {
		for _, n := range benchSizes {
			b.Run(fmt.Sprintf("%s/%d", im.name, n), func(b *testing.B) {
				useImpl(b, im.id, im.name)
				var key [32]byte
				var tag [16]byte
				key[0] = 7
				msg := make([]byte, n)
				b.SetBytes(int64(n))
				for b.Loop() {
					Sum(&tag, msg, &key)
				}
			})
		}
	}
}

func BenchmarkXCrypto(b *testing.B) {
	for _, n := range benchSizes {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			var key [32]byte
			var tag [16]byte
			key[0] = 7
			msg := make([]byte, n)
			b.SetBytes(int64(n))
			for b.Loop() {
				poly1305.Sum(&tag, msg, &key)
			}
		})
	}
}
