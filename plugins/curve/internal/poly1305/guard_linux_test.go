package poly1305

import (
	"math/rand/v2"
	"syscall"
	"testing"

	//lint:ignore SA1019 x/crypto's Poly1305 is the reference these kernels are checked against (CURVE needs the bare one-time MAC)
	"golang.org/x/crypto/poly1305"
)

// TestNoOverread places each message right before an inaccessible page, so
// that reading past its end faults.
func TestNoOverread(t *testing.T) {
	page := syscall.Getpagesize()
	size := 3*page + 8192
	size -= size % page
	mem, err := syscall.Mmap(-1, 0, size+page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skipf("mmap: %v", err)
	}
	defer syscall.Munmap(mem)
	if err := syscall.Mprotect(mem[size:], syscall.PROT_NONE); err != nil {
		t.Skipf("mprotect: %v", err)
	}
	buf := mem[:size]
	forEachImpl(t, func(t *testing.T) {
		r := rand.New(rand.NewPCG(7, 8))
		randBytes(r, buf)
		for _, n := range []int{0, 1, 15, 16, 17, 63, 64, 65, 127, 128, 129, 255, 256, 257, 767, 768, 769, 1023, 1024, 1025, 4095, 4096, 8191, 8192, size} {
			var key [32]byte
			randBytes(r, key[:])
			msg := buf[size-n:]
			var got, want [16]byte
			Sum(&got, msg, &key)
			poly1305.Sum(&want, msg, &key)
			if got != want {
				t.Fatalf("len %d: tag %x, want %x", n, got, want)
			}
		}
	})
}
