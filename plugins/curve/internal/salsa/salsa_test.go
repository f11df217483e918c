package salsa

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	//lint:ignore SA1019 x/crypto's Salsa20 core is the reference these kernels are checked against
	"golang.org/x/crypto/salsa20/salsa"
)

var implNames = []struct {
	name string
	id   int
}{
	{"avx512", implAVX512},
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

// refStream returns n bytes of x/crypto's Salsa20/20 key stream for key
// and nonce from block counter ctr on.
func refStream(n int, nonce *[8]byte, key *[32]byte, ctr uint64) []byte {
	var c [16]byte
	copy(c[:8], nonce[:])
	binary.LittleEndian.PutUint64(c[8:], ctr)
	out := make([]byte, n)
	salsa.XORKeyStream(out, out, &c, key)
	return out
}

func randBytes(r *rand.Rand, b []byte) {
	for i := range b {
		b[i] = byte(r.Uint32())
	}
}

// check runs keyStreamXOR on src (in place or not) and compares it with
// stream, the reference key stream from the same starting counter.
func check(t *testing.T, stream, src []byte, off int, nonce *[8]byte, key *[32]byte, ctr uint64, inPlace bool) {
	t.Helper()
	n := len(src)
	want := make([]byte, n)
	for i := range want {
		want[i] = src[i] ^ stream[off+i]
	}
	var block0 [64]byte
	for i := range block0 {
		block0[i] = 0xa5
	}
	var got []byte
	if inPlace {
		got = append([]byte(nil), src...)
		keyStreamXOR(&block0, got, got, off, nonce, key, ctr)
	} else {
		const guard = 19
		in := append([]byte(nil), src...)
		buf := bytes.Repeat([]byte{0x5a}, n+guard)
		keyStreamXOR(&block0, buf, in, off, nonce, key, ctr)
		if !bytes.Equal(in, src) {
			t.Fatalf("len %d off %d: src modified", n, off)
		}
		for i, b := range buf[n:] {
			if b != 0x5a {
				t.Fatalf("len %d off %d: wrote past len(src) at dst[%d]", n, off, n+i)
			}
		}
		got = buf[:n]
	}
	if !bytes.Equal(block0[:], stream[:64]) {
		t.Fatalf("len %d off %d ctr %#x in-place %v: block0 = %x, want %x", n, off, ctr, inPlace, block0, stream[:64])
	}
	if !bytes.Equal(got, want) {
		i := 0
		for got[i] == want[i] {
			i++
		}
		t.Fatalf("len %d off %d ctr %#x in-place %v: first difference at byte %d (stream byte %d, block %d): got %x want %x",
			n, off, ctr, inPlace, i, off+i, (off+i)/64, got[i:min(n, i+16)], want[i:min(n, i+16)])
	}
}

var offsets = []int{0, 1, 31, 32, 33, 63, 64}

func TestMatchesXCrypto(t *testing.T) {
	lengths := []int{4095, 4096, 65536, 65537, 1 << 20}
	for n := 0; n <= 1100; n++ {
		lengths = append(lengths, n)
	}
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(1, 2))
		for k := 0; k < 2; k++ {
			var key [32]byte
			var nonce [8]byte
			randBytes(r, key[:])
			randBytes(r, nonce[:])
			stream := refStream(1<<20+128, &nonce, &key, 0)
			src := make([]byte, 1<<20)
			randBytes(r, src)
			for _, n := range lengths {
				if testing.Short() && n > 1<<17 {
					continue
				}
				for _, off := range offsets {
					for _, inPlace := range []bool{false, true} {
						check(t, stream, src[:n], off, &nonce, &key, 0, inPlace)
					}
				}
			}
		}
	})
}

// TestCounterCarry crosses the 32-bit boundary of the block counter (and
// the 64-bit wrap) at every position within the SIMD chunks.
func TestCounterCarry(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(3, 4))
		var key [32]byte
		var nonce [8]byte
		randBytes(r, key[:])
		randBytes(r, nonce[:])
		src := make([]byte, 40*64+17)
		randBytes(r, src)
		for _, base := range []uint64{1 << 32, 2 << 32, 0xffff_ffff << 32} {
			for back := uint64(1); back <= 33; back++ {
				ctr := base - back
				stream := refStream(len(src)+128, &nonce, &key, ctr)
				for _, off := range offsets {
					check(t, stream, src, off, &nonce, &key, ctr, back%2 == 0)
				}
			}
		}
	})
}

func TestCounterWraps(t *testing.T) {
	// At the end of the 64-bit counter the stream continues with block 0.
	var key [32]byte
	var nonce [8]byte
	key[0], nonce[7] = 1, 2
	head := refStream(64*3, &nonce, &key, 1<<64-3)
	zero := refStream(64*40, &nonce, &key, 0)
	want := append(head, zero...)
	forEachImpl(t, func(t *testing.T) {
		src := make([]byte, len(want)-64)
		var block0 [64]byte
		keyStreamXOR(&block0, src, src, 64, &nonce, &key, 1<<64-3)
		if !bytes.Equal(block0[:], want[:64]) || !bytes.Equal(src, want[64:]) {
			t.Fatal("stream does not wrap from counter 2^64-1 to 0")
		}
	})
}

// TestKnownAnswer checks fixed vectors, independently of x/crypto's
// Salsa20 implementation.
func TestKnownAnswer(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		// The Salsa20 expansion example of the Salsa20 specification
		// (section 9): k0 = 1..16, k1 = 201..216, n = 101..116, where
		// n is our nonce followed by the little-endian block counter.
		var key [32]byte
		var nonce [8]byte
		for i := 0; i < 16; i++ {
			key[i] = byte(1 + i)
			key[16+i] = byte(201 + i)
		}
		for i := 0; i < 8; i++ {
			nonce[i] = byte(101 + i)
		}
		ctr := binary.LittleEndian.Uint64([]byte{109, 110, 111, 112, 113, 114, 115, 116})
		want := []byte{
			69, 37, 68, 39, 41, 15, 107, 193, 255, 139, 122, 6, 170, 233, 217, 98,
			89, 144, 182, 106, 21, 51, 200, 65, 239, 49, 222, 34, 215, 114, 40, 126,
			104, 197, 7, 225, 197, 153, 31, 2, 102, 78, 76, 176, 84, 245, 246, 184,
			177, 160, 133, 130, 6, 72, 149, 119, 192, 195, 132, 236, 234, 103, 246, 74,
		}
		var block0 [64]byte
		keyStreamXOR(&block0, nil, nil, 0, &nonce, &key, ctr)
		if !bytes.Equal(block0[:], want) {
			t.Errorf("spec example: got %v, want %v", block0, want)
		}

		// NaCl's stream test vectors (tests/stream.c, stream3.c): XSalsa20
		// with "firstkey" and nonce 69696ee9..; the subkey comes from
		// HSalsa20 on the first 16 nonce bytes.
		firstkey := mustHex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389")
		xnonce := mustHex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37")
		var sub [32]byte
		var k [32]byte
		var hin [16]byte
		copy(k[:], firstkey)
		copy(hin[:], xnonce[:16])
		salsa.HSalsa20(&sub, &hin, &k, &salsa.Sigma)
		copy(nonce[:], xnonce[16:])
		keyStream := make([]byte, 4194304-64)
		keyStreamXOR(&block0, keyStream, keyStream, 64, &nonce, &sub, 0)
		if got, want := hex.EncodeToString(block0[:32]), "eea6a7251c1e72916d11c2cb214d3c252539121d8e234e652d651fa4c8cff880"; got != want {
			t.Errorf("NaCl stream3: first 32 bytes %s, want %s", got, want)
		}
		h := sha256.New()
		h.Write(block0[:])
		h.Write(keyStream)
		if got, want := hex.EncodeToString(h.Sum(nil)), "662b9d0e3463029156069b12f918691a98f7dfb2ca0393c96bbfc6b1fbd630a2"; got != want {
			t.Errorf("NaCl stream: SHA-256 of 4 MiB of key stream %s, want %s", got, want)
		}
	})
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestNoAllocs(t *testing.T) {
	forEachImpl(t, func(t *testing.T) {
		var key [32]byte
		var nonce [8]byte
		var block0 [64]byte
		for _, n := range []int{0, 64, 1024, 65536} {
			buf := make([]byte, n)
			allocs := testing.AllocsPerRun(20, func() {
				KeyStreamXOR(&block0, buf, buf, 32, &nonce, &key)
			})
			if allocs != 0 {
				t.Errorf("%d bytes: %v allocations per call, want 0", n, allocs)
			}
		}
	})
}

func TestPanics(t *testing.T) {
	var key [32]byte
	var nonce [8]byte
	var block0 [64]byte
	buf := make([]byte, 100)
	tests := []struct {
		name     string
		dst, src []byte
		off      int
		want     string
	}{
		{"negative offset", buf, buf, -1, "salsa: key stream offset out of range [0, 64]"},
		{"offset past block 0", buf, buf, 65, "salsa: key stream offset out of range [0, 64]"},
		{"short dst", buf[:10], buf[50:61], 0, "salsa: output smaller than input"},
		{"inexact overlap", buf[1:], buf[:99], 0, "salsa: invalid buffer overlap"},
		{"inexact overlap backwards", buf[:50], buf[49:99], 0, "salsa: invalid buffer overlap"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if got := fmt.Sprint(recover()); got != tt.want {
					t.Errorf("panic %q, want %q", got, tt.want)
				}
			}()
			KeyStreamXOR(&block0, tt.dst, tt.src, tt.off, &nonce, &key)
		})
	}
	// Not panics: exact overlap, adjacent buffers, longer dst.
	KeyStreamXOR(&block0, buf, buf, 64, &nonce, &key)
	KeyStreamXOR(&block0, buf[50:], buf[:50], 0, &nonce, &key)
	KeyStreamXOR(&block0, buf, buf[:10], 0, &nonce, &key)
}
