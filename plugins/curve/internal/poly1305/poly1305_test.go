package poly1305

import (
	"bytes"
	"encoding/hex"
	"math/big"
	"math/rand/v2"
	"testing"

	//lint:ignore SA1019 x/crypto's Poly1305 is the reference these kernels are checked against (CURVE needs the bare one-time MAC)
	"golang.org/x/crypto/poly1305"
)

var implNames = []struct {
	name string
	id   int
}{
	{"ifma", implIFMA},
	{"avx2", implAVX2},
	{"generic", implGeneric},
}

// forEachImpl runs f as a subtest with each implementation forced in turn,
// skipping the ones this machine cannot run.
func forEachImpl(t *testing.T, f func(t *testing.T)) {
	for _, im := range implNames {
		t.Run(im.name, func(t *testing.T) {
			useImpl(t, im.id, im.name)
			f(t)
		})
	}
}

func useImpl(tb testing.TB, id int, name string) {
	tb.Helper()
	if !available(id) {
		tb.Skipf("%s implementation not supported by this CPU/GOARCH", name)
	}
	saved := impl
	impl = id
	tb.Cleanup(func() { impl = saved })
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// ietfText is the message of test vectors #2 and #3 of RFC 8439 A.3.
const ietfText = "416e79207375626d697373696f6e20746f20746865204945544620696e74656e" +
	"6465642062792074686520436f6e7472696275746f7220666f72207075626c69" +
	"636174696f6e20617320616c6c206f722070617274206f6620616e2049455446" +
	"20496e7465726e65742d4472616674206f722052464320616e6420616e792073" +
	"746174656d656e74206d6164652077697468696e2074686520636f6e74657874" +
	"206f6620616e204945544620616374697669747920697320636f6e7369646572" +
	"656420616e20224945544620436f6e747269627574696f6e222e205375636820" +
	"73746174656d656e747320696e636c756465206f72616c2073746174656d656e" +
	"747320696e20494554462073657373696f6e732c2061732077656c6c20617320" +
	"7772697474656e20616e6420656c656374726f6e696320636f6d6d756e696361" +
	"74696f6e73206d61646520617420616e792074696d65206f7220706c6163652c" +
	"207768696368206172652061646472657373656420746f"

// rfcVectors are the Poly1305 test vectors of RFC 8439: section 2.5.2 and
// appendix A.3 #1-#11.
var rfcVectors = []struct{ name, key, msg, tag string }{
	{"2.5.2",
		"85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b",
		"43727970746f6772617068696320466f72756d2052657365617263682047726f7570",
		"a8061dc1305136c6c22b8baf0c0127a9"},
	{"A.3#1",
		"0000000000000000000000000000000000000000000000000000000000000000",
		"00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
		"00000000000000000000000000000000"},
	{"A.3#2",
		"0000000000000000000000000000000036e5f6b5c5e06070f0efca96227a863e",
		ietfText,
		"36e5f6b5c5e06070f0efca96227a863e"},
	{"A.3#3",
		"36e5f6b5c5e06070f0efca96227a863e00000000000000000000000000000000",
		ietfText,
		"f3477e7cd95417af89a6b8794c310cf0"},
	{"A.3#4",
		"1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0",
		"2754776173206272696c6c69672c20616e642074686520736c6974687920746f" +
			"7665730a446964206779726520616e642067696d626c6520696e207468652077" +
			"6162653a0a416c6c206d696d737920776572652074686520626f726f676f7665" +
			"732c0a416e6420746865206d6f6d65207261746873206f757467726162652e",
		"4541669a7eaaee61e708dc7cbcc5eb62"},
	{"A.3#5",
		"0200000000000000000000000000000000000000000000000000000000000000",
		"ffffffffffffffffffffffffffffffff",
		"03000000000000000000000000000000"},
	{"A.3#6",
		"02000000000000000000000000000000ffffffffffffffffffffffffffffffff",
		"02000000000000000000000000000000",
		"03000000000000000000000000000000"},
	{"A.3#7",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"fffffffffffffffffffffffffffffffff0ffffffffffffffffffffffffffffff11000000000000000000000000000000",
		"05000000000000000000000000000000"},
	{"A.3#8",
		"0100000000000000000000000000000000000000000000000000000000000000",
		"fffffffffffffffffffffffffffffffffbfefefefefefefefefefefefefefefe01010101010101010101010101010101",
		"00000000000000000000000000000000"},
	{"A.3#9",
		"0200000000000000000000000000000000000000000000000000000000000000",
		"fdffffffffffffffffffffffffffffff",
		"faffffffffffffffffffffffffffffff"},
	{"A.3#10",
		"0100000000000000040000000000000000000000000000000000000000000000",
		"e33594d7505e43b900000000000000003394d7505e4379cd01000000000000000000000000000000000000000000000001000000000000000000000000000000",
		"14000000000000005500000000000000"},
	{"A.3#11",
		"0100000000000000040000000000000000000000000000000000000000000000",
		"e33594d7505e43b900000000000000003394d7505e4379cd010000000000000000000000000000000000000000000000",
		"13000000000000000000000000000000"},
}

func TestRFCVectors(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		for _, v := range rfcVectors {
			var key [32]byte
			var tag, want [16]byte
			copy(key[:], unhex(v.key))
			copy(want[:], unhex(v.tag))
			msg := unhex(v.msg)
			Sum(&tag, msg, &key)
			if tag != want {
				t.Errorf("%s: tag %x, want %x", v.name, tag, want)
			}
			if !Verify(&want, msg, &key) {
				t.Errorf("%s: Verify rejects the right tag", v.name)
			}
		}
	})
}

func randBytes(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// maxRKey returns a key whose r is at its clamped maximum and s random.
func maxRKey(r *rand.Rand) [32]byte {
	var k [32]byte
	for i := range 16 {
		k[i] = 0xff
	}
	randBytes(r, k[16:])
	return k
}

func checkSum(t *testing.T, what string, msg []byte, key *[32]byte) {
	t.Helper()
	var got, want [16]byte
	Sum(&got, msg, key)
	poly1305.Sum(&want, msg, key)
	if got != want {
		t.Fatalf("%s, len %d, key %x: tag %x, want %x", what, len(msg), key[:], got, want)
	}
}

func TestMatchesXCrypto(t *testing.T) {
	lengths := []int{4095, 4096, 65536, 65537, 1 << 20}
	for n := 0; n <= 1100; n++ {
		lengths = append(lengths, n)
	}
	// Every chunk count modulo 4 of the two-set kernel, with and without
	// a scalar tail.
	for c := 9; c <= 24; c++ {
		for _, d := range []int{0, 15, 64, 127} {
			lengths = append(lengths, 128*c+d)
		}
	}
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		buf := make([]byte, 1<<20+8)
		ones := bytes.Repeat([]byte{0xff}, 1<<20)
		for _, n := range lengths {
			var key [32]byte
			randBytes(r, key[:])
			off := n % 8 // also unaligned messages
			msg := buf[off : off+n]
			randBytes(r, msg)
			checkSum(t, "random key and message", msg, &key)

			key = maxRKey(r)
			checkSum(t, "max r, random message", msg, &key)
			checkSum(t, "max r, all-ones message", ones[:n], &key)
			randBytes(r, key[:])
			checkSum(t, "random key, all-ones message", ones[:n], &key)
		}
	})
}

// TestNearModulus builds messages whose polynomial value mod 2^130-5 is
// next to 0 or to 2^130-5, so that the final reduction is exercised on the
// vector paths too: the last block is solved for so that h has a chosen
// value target.
func TestNearModulus(t *testing.T) {
	p := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 130), big.NewInt(5))
	two128 := new(big.Int).Lsh(big.NewInt(1), 128)
	var targets []*big.Int
	for d := int64(0); d < 8; d++ {
		targets = append(targets, big.NewInt(d), new(big.Int).Sub(p, big.NewInt(d+1)))
	}
	le := func(b []byte) *big.Int {
		r := make([]byte, len(b))
		for i := range b {
			r[len(b)-1-i] = b[i]
		}
		return new(big.Int).SetBytes(r)
	}
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		for kind := 0; kind < 3; kind++ {
			for _, nblocks := range []int{8, 16, 17, 20, 32, 48, 56, 63, 64, 65, 72, 80, 200} {
				for _, target := range targets {
					var key [32]byte
					switch kind {
					case 0:
						key[0] = 1
					case 1:
						key = maxRKey(r)
					default:
						randBytes(r, key[:])
					}
					randBytes(r, key[16:])
					rv := le(key[:16])
					rv.And(rv, le(unhex("ffffff0ffcffff0ffcffff0ffcffff0f")))
					rinv := new(big.Int).ModInverse(rv, p)
					msg := make([]byte, 16*nblocks)
					for {
						randBytes(r, msg)
						// h before the last block.
						h := new(big.Int)
						for i := 0; i < nblocks-1; i++ {
							h.Add(h, le(msg[16*i:16*i+16]))
							h.Add(h, two128)
							h.Mul(h, rv)
							h.Mod(h, p)
						}
						// target = (h + m + 2^128) * r.
						m := new(big.Int).Mul(target, rinv)
						m.Sub(m, h)
						m.Sub(m, two128)
						m.Mod(m, p)
						if m.Cmp(two128) >= 0 {
							continue
						}
						mb := m.FillBytes(make([]byte, 16))
						for i := range 16 {
							msg[16*(nblocks-1)+i] = mb[15-i]
						}
						break
					}
					want := new(big.Int).Add(target, le(key[16:]))
					want.Mod(want, two128)
					var got [16]byte
					Sum(&got, msg, &key)
					if g := le(got[:]); g.Cmp(want) != 0 {
						t.Fatalf("kind %d, %d blocks, target %x: tag %x, want %x", kind, nblocks, target, g, want)
					}
					checkSum(t, "near modulus", msg, &key)
				}
			}
		}
	})
}

func TestVerify(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(5, 6))
		for _, n := range []int{0, 1, 16, 63, 64, 255, 256, 257, 1000, 4096, 65537} {
			var key [32]byte
			randBytes(r, key[:])
			msg := make([]byte, n)
			randBytes(r, msg)
			var tag [16]byte
			poly1305.Sum(&tag, msg, &key)
			if !Verify(&tag, msg, &key) {
				t.Fatalf("len %d: Verify rejects the right tag", n)
			}
			for bit := 0; bit < 128; bit += 13 {
				bad := tag
				bad[bit/8] ^= 1 << (bit % 8)
				if Verify(&bad, msg, &key) {
					t.Fatalf("len %d: Verify accepts a tag with bit %d flipped", n, bit)
				}
			}
			if n > 0 {
				for _, i := range []int{0, n / 2, n - 1} {
					msg[i] ^= 0x10
					if Verify(&tag, msg, &key) {
						t.Fatalf("len %d: Verify accepts a message with byte %d changed", n, i)
					}
					msg[i] ^= 0x10
				}
			}
			key[31] ^= 0x80
			if Verify(&tag, msg, &key) {
				t.Fatalf("len %d: Verify accepts under another key", n)
			}
		}
	})
}

func TestAllocs(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		var key [32]byte
		var tag [16]byte
		for _, n := range []int{0, 64, 1024, 65536 + 17} {
			msg := make([]byte, n)
			if a := testing.AllocsPerRun(10, func() { Sum(&tag, msg, &key) }); a != 0 {
				t.Errorf("Sum(len %d): %v allocations", n, a)
			}
			if a := testing.AllocsPerRun(10, func() { Verify(&tag, msg, &key) }); a != 0 {
				t.Errorf("Verify(len %d): %v allocations", n, a)
			}
		}
	})
}
