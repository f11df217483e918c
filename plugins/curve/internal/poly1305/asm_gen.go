//go:build ignore

// This program generates poly1305_amd64.s. Run it from this directory with
//
//	go run asm_gen.go
//
// (or go generate). All kernels use the usual vectorisation of Poly1305:
// w lanes, lane l accumulating blocks l, l+w, l+2w, ... as H = H*r^w + M,
// and at the end each lane multiplied by the power of r its last block
// needs (r^w for the first block of the last chunk, ..., r for the last
// one) and the lanes summed, which gives sum m_i*r^(n-i+1) as the scalar
// Horner evaluation does. The kernels start from h = 0 and leave the limb
// sums of the result, not carried, for the Go code to carry on from.
//
//   - blocksAVX2: four lanes (one per 64-bit lane of a ymm register) in
//     radix 2^26: five registers, limb i of every lane in register i,
//     VPMULUDQ (32x32->64-bit products), a lazy carry after each chunk.
//   - blocksIFMA4 (four lanes, ymm) and blocksIFMA16 (two independent sets
//     of eight lanes, zmm, stepping by r^16) in radix 2^44 with the
//     AVX512-IFMA multiply-adds; see type ifma.
//
// Bounds of blocksAVX2: the message limbs are below 2^26 (limb 4 below 2^25
// with the pad bit); after a carry, limbs are below 2^26 except limbs 1 and
// 4, below 2^26 + 2^10; the multiplier limbs (from the Go code) are below
// 2^26 + 2^6, five times those below 2^28.4. A product limb is then the sum
// of five products below 2^52 * 21, plus at most 2^52 of message: below
// 2^57, so 64-bit lanes never overflow, and the carry brings it back to the
// limbs above, which VPMULUDQ (it reads only the low 32 bits of a lane)
// needs below 2^32. Four lanes sum to less than 2^59.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

type emitter struct{ buf bytes.Buffer }

func (e *emitter) ins(format string, args ...any) {
	fmt.Fprintf(&e.buf, "\t"+format+"\n", args...)
}

func (e *emitter) label(name string) { fmt.Fprintf(&e.buf, "%s:\n", name) }

func (e *emitter) comment(format string, args ...any) {
	fmt.Fprintf(&e.buf, "\t// "+format+"\n", args...)
}

func (e *emitter) blank() { e.buf.WriteString("\n") }

func reg(prefix string, i int) string { return fmt.Sprintf("%s%d", prefix, i) }

// num returns the number of register r ("Y12" -> "12").
func num(r string) string { return r[1:] }

// gather emits dst = the w 64-bit words at off(DX), loaded one by one. The
// caller has just written them with 8-byte stores; one wide load of them
// would wait for the stores to reach the cache (no store forwarding), 8-byte
// loads do not. t1, t2 and t3 are scratch registers numbered below 16
// (VEX-encoded instructions); dst is a ymm (w = 4) or zmm (w = 8) register.
func gather(e *emitter, w, off int, dst, t1, t2, t3 string) {
	half := func(off int, a, b string) {
		e.ins("VMOVQ %d(DX), X%s", off, num(a))
		e.ins("VPINSRQ $1, %d(DX), X%s, X%s", off+8, num(a), num(a))
		e.ins("VMOVQ %d(DX), X%s", off+16, num(b))
		e.ins("VPINSRQ $1, %d(DX), X%s, X%s", off+24, num(b), num(b))
	}
	if w == 4 {
		half(off, t1, t2)
		e.ins("VINSERTI128 $1, X%s, Y%s, Y%s", num(t2), num(t1), num(dst))
		return
	}
	half(off, t1, t2)
	e.ins("VINSERTI128 $1, X%s, Y%s, Y%s", num(t2), num(t1), num(t1))
	half(off+32, t2, t3)
	e.ins("VINSERTI128 $1, X%s, Y%s, Y%s", num(t3), num(t2), num(t2))
	e.ins("VINSERTI64X4 $1, Y%s, Z%s, Z%s", num(t2), num(t1), num(dst))
}

// avx2 describes the register use of blocksAVX2.
type avx2 struct {
	e      *emitter
	h, d   [5]string // accumulator limbs, product limbs
	t1, t2 string    // scratch
	lo, hi string    // message words
	mask   string    // 2^26-1 in every lane
	pad    string    // 2^24 in every lane (the 2^128 pad bit in limb 4)
}

// mul emits D = H * c, limb products summed without carry. c(j) is the
// operand holding limb j of the multiplier for j = 0..4, and 5 times limb
// j-5 for j = 6..9 (the product of limbs i and j >= 5-i lands past 2^130,
// where 2^130 = 5).
func (a *avx2) mul(c func(j int) string, order []int, afterFirst func()) {
	e := a.e
	coef := func(i, k int) string {
		if k >= i {
			return c(k - i)
		}
		return c(k - i + 10)
	}
	for n, i := range order {
		for k := 0; k < 5; k++ {
			if n == 0 {
				e.ins("VPMULUDQ %s, %s, %s", coef(i, k), a.h[i], a.d[k])
				continue
			}
			t := a.t1
			if k%2 == 1 {
				t = a.t2
			}
			e.ins("VPMULUDQ %s, %s, %s", coef(i, k), a.h[i], t)
			e.ins("VPADDQ %s, %s, %s", t, a.d[k], a.d[k])
		}
		if n == 0 && afterFirst != nil {
			afterFirst()
		}
	}
}

// carry emits a lazy carry of D in place: two interleaved chains, 0->1->2->3
// and 3->4->0(*5)->1. With D below 2^59 it leaves every limb below 2^26
// except limbs 1 and 4, which stay below 2^26 + 2^10.
func (a *avx2) carry() {
	e := a.e
	step := func(from, to int, t string) {
		e.ins("VPSRLQ $26, %s, %s", a.d[from], t)
		e.ins("VPAND %s, %s, %s", a.mask, a.d[from], a.d[from])
		if to == 0 {
			e.ins("VPADDQ %s, %s, %s", t, a.d[0], a.d[0])
			e.ins("VPSLLQ $2, %s, %s", t, t)
		}
		e.ins("VPADDQ %s, %s, %s", t, a.d[to], a.d[to])
	}
	step(0, 1, a.t1)
	step(3, 4, a.t2)
	step(1, 2, a.t1)
	step(4, 0, a.t2)
	step(2, 3, a.t1)
	step(0, 1, a.t2)
	step(3, 4, a.t1)
}

// load emits the loads of the 64-byte chunk at SI: lo and hi receive the
// low and high 64-bit words of blocks 0, 2, 1, 3 (VPUNPCK{L,H}QDQ work per
// 128-bit half).
func (a *avx2) load() {
	e := a.e
	e.ins("VMOVDQU (SI), %s", a.t1)
	e.ins("VPUNPCKLQDQ 32(SI), %s, %s", a.t1, a.lo)
	e.ins("VPUNPCKHQDQ 32(SI), %s, %s", a.t1, a.hi)
}

// split emits H = the 26-bit limbs of the chunk at SI (with the pad bit).
func (a *avx2) split() {
	e := a.e
	a.load()
	e.ins("VPAND %s, %s, %s", a.lo, a.mask, a.h[0])
	e.ins("VPSRLQ $26, %s, %s", a.lo, a.h[1])
	e.ins("VPAND %s, %s, %s", a.mask, a.h[1], a.h[1])
	e.ins("VPSRLQ $52, %s, %s", a.lo, a.h[2])
	e.ins("VPSLLQ $12, %s, %s", a.hi, a.lo)
	e.ins("VPOR %s, %s, %s", a.lo, a.h[2], a.h[2])
	e.ins("VPAND %s, %s, %s", a.mask, a.h[2], a.h[2])
	e.ins("VPSRLQ $14, %s, %s", a.hi, a.h[3])
	e.ins("VPAND %s, %s, %s", a.mask, a.h[3], a.h[3])
	e.ins("VPSRLQ $40, %s, %s", a.hi, a.h[4])
	e.ins("VPOR %s, %s, %s", a.pad, a.h[4], a.h[4])
}

// addLoose emits D += the chunk at SI, split into only three 52-bit pieces
// at bits 0, 52 and 104 (limbs 0, 2 and 4): the carry that follows
// normalises them.
func (a *avx2) addLoose() {
	e := a.e
	a.load()
	e.ins("VPAND mask52<>(SB), %s, %s", a.lo, a.t1)
	e.ins("VPADDQ %s, %s, %s", a.t1, a.d[0], a.d[0])
	e.ins("VPSRLQ $52, %s, %s", a.lo, a.lo)
	e.ins("VPSLLQ $12, %s, %s", a.hi, a.t2)
	e.ins("VPOR %s, %s, %s", a.t2, a.lo, a.lo)
	e.ins("VPAND mask52<>(SB), %s, %s", a.lo, a.lo)
	e.ins("VPADDQ %s, %s, %s", a.lo, a.d[2], a.d[2])
	e.ins("VPSRLQ $40, %s, %s", a.hi, a.hi)
	e.ins("VPOR %s, %s, %s", a.pad, a.hi, a.hi)
	e.ins("VPADDQ %s, %s, %s", a.hi, a.d[4], a.d[4])
}

// step emits D = carry(H*r^4 + the chunk at SI) and advances SI.
//
// The carry leaves limb 2 first, then 0, 3, 1 and 4, so the products are
// summed in that order, and the message right after the first ones: this
// keeps the chain from one step to the next short.
func (a *avx2) step() {
	a.mul(func(j int) string {
		if j < 5 {
			return fmt.Sprintf("%d(SP)", 32*j)
		}
		return fmt.Sprintf("%d(SP)", 32*(j-1))
	}, []int{2, 0, 3, 1, 4}, a.addLoose)
	a.carry()
	a.e.ins("ADDQ $64, SI")
}

// avx2Kernel emits blocksAVX2. Its frame holds the multiplier r^4 broadcast
// to all lanes: limbs 0-4, then 5 times limbs 1-4, 32 bytes each.
func avx2Kernel(e *emitter) {
	a := &avx2{e: e, t1: "Y10", t2: "Y11", lo: "Y12", hi: "Y13", mask: "Y14", pad: "Y15"}
	for i := 0; i < 5; i++ {
		a.h[i] = reg("Y", i)
		a.d[i] = reg("Y", 5+i)
	}
	e.buf.WriteString("// func blocksAVX2(h *[5]uint64, msg *byte, n int, pw *[5][4]uint64)\n")
	e.buf.WriteString("TEXT ·blocksAVX2(SB), NOSPLIT, $288-32\n")
	e.ins("MOVQ h+0(FP), DI")
	e.ins("MOVQ msg+8(FP), SI")
	e.ins("MOVQ n+16(FP), CX")
	e.ins("MOVQ pw+24(FP), DX")
	e.ins("VPBROADCASTQ mask52<>(SB), %s", a.mask)
	e.ins("VPSRLQ $26, %s, %s", a.mask, a.mask)
	e.ins("VPBROADCASTQ pad24<>(SB), %s", a.pad)
	e.comment("Frame: r^4 (lane 0 of pw) in every lane, and 5 times its limbs 1-4.")
	for j := 0; j < 5; j++ {
		e.ins("VPBROADCASTQ %d(DX), %s", 32*j, a.t1)
		e.ins("VMOVDQU %s, %d(SP)", a.t1, 32*j)
		if j > 0 {
			e.ins("VPSLLQ $2, %s, %s", a.t1, a.t2)
			e.ins("VPADDQ %s, %s, %s", a.t1, a.t2, a.t2)
			e.ins("VMOVDQU %s, %d(SP)", a.t2, 32*(4+j))
		}
	}
	e.comment("H = first chunk.")
	a.split()
	e.ins("ADDQ $64, SI")
	e.ins("DECQ CX")
	e.ins("JZ avx2_final")
	e.label("avx2_loop")
	e.comment("H = carry(H*r^4 + chunk)")
	a.step()
	for i := 0; i < 5; i++ {
		// Renaming makes these moves free.
		e.ins("VMOVDQA %s, %s", a.d[i], a.h[i])
	}
	e.ins("DECQ CX")
	e.ins("JNZ avx2_loop")
	e.blank()
	e.label("avx2_final")
	e.comment("D = H * (r^4, r^2, r^3, r), then the sum of the lanes.")
	e.comment("The frame now receives the rows of pw, then 5 times rows 1-4.")
	for j := 0; j < 5; j++ {
		gather(e, 4, 32*j, a.t1, a.t1, a.t2, "")
		e.ins("VMOVDQU %s, %d(SP)", a.t1, 32*j)
		if j > 0 {
			e.ins("VPSLLQ $2, %s, %s", a.t1, a.t2)
			e.ins("VPADDQ %s, %s, %s", a.t1, a.t2, a.t2)
			e.ins("VMOVDQU %s, %d(SP)", a.t2, 32*(4+j))
		}
	}
	a.mul(func(j int) string {
		if j < 5 {
			return fmt.Sprintf("%d(SP)", 32*j)
		}
		return fmt.Sprintf("%d(SP)", 32*(j-1))
	}, []int{0, 1, 2, 3, 4}, nil)
	for k := 0; k < 5; k++ {
		sumLanes(e, a.d[k], a.t1, 8*k)
	}
	e.ins("VZEROUPPER")
	e.ins("RET")
	e.blank()
}

// sumLanes adds the four quadword lanes of ymm register r (using tmp)
// and stores the sum at off(DI).
func sumLanes(e *emitter, r, tmp string, off int) {
	x, tx := "X"+num(r), "X"+num(tmp)
	e.ins("VEXTRACTI128 $1, %s, %s", r, tx)
	e.ins("VPADDQ %s, %s, %s", tx, x, x)
	e.ins("VPSHUFD $0x4e, %s, %s", x, tx)
	e.ins("VPADDQ %s, %s, %s", tx, x, x)
	e.ins("VMOVQ %s, %d(DI)", x, off)
}

// ifma describes the register use of the IFMA kernels: Poly1305 in radix
// 2^44 (limbs of 44, 44 and 42 bits), one accumulator per 64-bit lane of a
// zmm (8 lanes) or ymm (4 lanes) register. VPMADD52LUQ and VPMADD52HUQ add
// the low and the high 52 bits of the 104-bit product of two 52-bit lanes
// to an accumulator. The product of limbs i and j lands at bit 44(i+j);
// past bit 130 it wraps with 2^132 = 20 (mod 2^130-5), so limb products
// that wrap use 20 times the multiplier limb. The high halves (weight
// 2^52 = 2^8 * 2^44) of limb k's products go to limb k+1 times 2^8, or for
// limb 2 (weight 2^140 = 5*2^10) to limb 0 times 5*2^10; these are small
// enough to be added with one more VPMADD52LUQ each.
//
// Bounds: after a carry, limbs are below 2^44 + 2^14, 2^44 and 2^42 (the
// message limbs below 2^44, 2^44 and 2^41); the multiplier limbs below
// 2^44 + 2^14, 2^44 and 2^42 + 2^6, and 20 times limbs 1 and 2 below 2^48.4,
// so every operand fits the 52 bits the instructions read. A limb product
// is below 2^90.4; the high sums of limbs 0 and 1 are below 2^39.4 (times
// 2^8: below 2^48) and that of limb 2, whose products are at most
// 2^88, below 2^36.6 (times 5*2^10: below 2^49), so one VPMADD52LUQ adds
// each exactly. A low sum plus the message and the carried-in bits is below
// 2^54, and the sum of sixteen lanes below 2^58.
type ifma struct {
	e      *emitter
	chunk  int       // bytes per chunk: 16 * lanes
	a, b   [3]string // accumulator limbs (two sets that steps alternate)
	hi     [3]string // high-half sums
	lo, hw string    // low and high 64-bit words of the message blocks
	t      string    // scratch
	r      [5]string // multiplier limbs 0-2, then 20 times limbs 1 and 2
	// Constants in every lane: 2^44-1, 2^42-1, the pad bit 2^40 of limb 2,
	// 2^8, 5*2^10 and 5.
	m44, m42, pad, c256, c5120, c5 string
}

// coef returns the multiplier register for limb i of H into limb k of the
// product: r_(k-i), or 20*r_(k-i+3) when the product wraps.
func (f *ifma) coef(r [5]string, i, k int) string {
	j := k - i
	if j >= 0 {
		return r[j]
	}
	return r[j+5] // j = -1: 20*r2 in r[4]; j = -2: 20*r1 in r[3]
}

// split emits dst = the radix-2^44 limbs of the chunk at SI, with the pad
// bit. VPUNPCK{L,H}QDQ work within 128-bit lanes, so 64-bit lane 2L
// receives block L and lane 2L+1 block L + w/2.
func (f *ifma) split(dst [3]string) {
	e := f.e
	e.ins("VMOVDQU64 (SI), %s", f.t)
	e.ins("VPUNPCKLQDQ %d(SI), %s, %s", f.chunk/2, f.t, f.lo)
	e.ins("VPUNPCKHQDQ %d(SI), %s, %s", f.chunk/2, f.t, f.hw)
	e.ins("VPANDQ %s, %s, %s", f.m44, f.lo, dst[0])
	e.ins("VPSRLQ $44, %s, %s", f.lo, dst[1])
	e.ins("VPSLLQ $20, %s, %s", f.hw, f.t)
	e.ins("VPTERNLOGQ $0xa8, %s, %s, %s", f.m44, f.t, dst[1]) // (dst | t) & m44
	e.ins("VPSRLQ $24, %s, %s", f.hw, dst[2])
	e.ins("VPORQ %s, %s, %s", f.pad, dst[2], dst[2])
}

// mul emits dst += h * r (low halves) and hi = the high halves, then adds
// the high halves into dst.
func (f *ifma) mul(dst, h [3]string, r [5]string) {
	e := f.e
	for k := 0; k < 3; k++ {
		e.ins("VPXORQ %s, %s, %s", f.hi[k], f.hi[k], f.hi[k])
	}
	// The carry leaves limb 1 first, then limb 2, then limb 0: use them
	// in that order so that the accumulations wait less.
	for _, i := range []int{1, 2, 0} {
		for k := 0; k < 3; k++ {
			e.ins("VPMADD52LUQ %s, %s, %s", f.coef(r, i, k), h[i], dst[k])
			e.ins("VPMADD52HUQ %s, %s, %s", f.coef(r, i, k), h[i], f.hi[k])
		}
	}
	e.ins("VPMADD52LUQ %s, %s, %s", f.c256, f.hi[0], dst[1])
	e.ins("VPMADD52LUQ %s, %s, %s", f.c256, f.hi[1], dst[2])
	e.ins("VPMADD52LUQ %s, %s, %s", f.c5120, f.hi[2], dst[0])
}

// carry emits a lazy carry of d: 0 -> 1 -> 2 -> 0 (times 5).
func (f *ifma) carry(d [3]string) {
	e := f.e
	e.ins("VPSRLQ $44, %s, %s", d[0], f.t)
	e.ins("VPANDQ %s, %s, %s", f.m44, d[0], d[0])
	e.ins("VPADDQ %s, %s, %s", f.t, d[1], d[1])
	e.ins("VPSRLQ $44, %s, %s", d[1], f.t)
	e.ins("VPANDQ %s, %s, %s", f.m44, d[1], d[1])
	e.ins("VPADDQ %s, %s, %s", f.t, d[2], d[2])
	e.ins("VPSRLQ $42, %s, %s", d[2], f.t)
	e.ins("VPANDQ %s, %s, %s", f.m42, d[2], d[2])
	e.ins("VPMADD52LUQ %s, %s, %s", f.c5, f.t, d[0])
}

// step emits dst = carry(src*r^w + next chunk) and advances SI.
func (f *ifma) step(src, dst [3]string) {
	f.split(dst)
	f.mul(dst, src, f.r)
	f.carry(dst)
	f.e.ins("ADDQ $%d, SI", f.chunk)
}

// ifma4Kernel emits
//
//	func blocksIFMA4(h *[3]uint64, msg *byte, n int, pw *[3][4]uint64)
//
// absorbing n >= 1 chunks of 64 bytes in four lanes (ymm registers); pw[i]
// holds limb i of the power of r each lane's last block needs, lane 0
// holding r^4.
func ifma4Kernel(e *emitter) {
	const (
		name = "blocksIFMA4"
		w    = 4
		p    = "Y"
	)
	f := &ifma{e: e, chunk: 16 * w}
	for k := 0; k < 3; k++ {
		f.a[k] = reg(p, k)
		f.hi[k] = reg(p, 3+k)
		f.b[k] = reg(p, 6+k)
	}
	f.lo, f.hw, f.t = reg(p, 9), reg(p, 10), reg(p, 11)
	for j := 0; j < 5; j++ {
		f.r[j] = reg(p, 12+j)
	}
	f.m44, f.m42, f.pad, f.c256, f.c5120, f.c5 = reg(p, 17), reg(p, 18), reg(p, 19), reg(p, 20), reg(p, 21), reg(p, 22)
	e.buf.WriteString("// func blocksIFMA4(h *[3]uint64, msg *byte, n int, pw *[3][4]uint64)\n")
	e.buf.WriteString("TEXT ·blocksIFMA4(SB), NOSPLIT, $0-32\n")
	e.ins("MOVQ h+0(FP), DI")
	e.ins("MOVQ msg+8(FP), SI")
	e.ins("MOVQ n+16(FP), CX")
	e.ins("MOVQ pw+24(FP), DX")
	for i, c := range []string{f.m44, f.m42, f.pad, f.c256, f.c5120, f.c5} {
		e.ins("VPBROADCASTQ ifmaconst<>+%d(SB), %s", 8*i, c)
	}
	// r^w (lane 0 of pw) in every lane, and 20 times limbs 1 and 2.
	for j := 0; j < 3; j++ {
		e.ins("VPBROADCASTQ %d(DX), %s", 8*w*j, f.r[j])
	}
	times20 := func(src, dst string) {
		e.ins("VPSLLQ $2, %s, %s", src, dst)
		e.ins("VPSLLQ $4, %s, %s", src, f.t)
		e.ins("VPADDQ %s, %s, %s", f.t, dst, dst)
	}
	times20(f.r[1], f.r[3])
	times20(f.r[2], f.r[4])
	e.comment("A = first chunk.")
	f.split(f.a)
	e.ins("ADDQ $%d, SI", f.chunk)
	e.ins("DECQ CX")
	e.label(name + "_loop")
	e.ins("CMPQ CX, $2")
	e.ins("JB %s_tail", name)
	e.comment("B = carry(A*r^%d + chunk), A = carry(B*r^%d + chunk)", w, w)
	f.step(f.a, f.b)
	f.step(f.b, f.a)
	e.ins("SUBQ $2, CX")
	e.ins("JMP %s_loop", name)
	e.label(name + "_tail")
	e.ins("TESTQ CX, CX")
	e.ins("JZ %s_final", name)
	f.step(f.a, f.b)
	for k := 0; k < 3; k++ {
		e.ins("VMOVDQA64 %s, %s", f.b[k], f.a[k])
	}
	e.label(name + "_final")
	e.comment("B = A times each lane's power of r, then the sum of the lanes.")
	for j := 0; j < 3; j++ {
		gather(e, w, 8*w*j, f.r[j], f.lo, f.hw, f.t)
	}
	times20(f.r[1], f.r[3])
	times20(f.r[2], f.r[4])
	for k := 0; k < 3; k++ {
		e.ins("VPXORQ %s, %s, %s", f.b[k], f.b[k], f.b[k])
	}
	f.mul(f.b, f.a, f.r)
	for k := 0; k < 3; k++ {
		sumLanes(e, f.b[k], f.t, 8*k)
	}
	e.ins("VZEROUPPER")
	e.ins("RET")
	e.blank()
}

// ifma16Kernel emits
//
//	func blocksIFMA16(h *[3]uint64, msg *byte, n int, pw *[3][8]uint64)
//
// which absorbs n >= 2 chunks of 128 bytes with two independent sets of
// eight lanes, X taking the even chunks and Y the odd ones, so that one
// set's multiplications overlap the other's carries. Each set steps by
// r^16. pw holds the powers r^8, r^4, r^7, r^3, r^6, r^2, r^5, r (block
// order 0, 4, 1, 5, 2, 6, 3, 7 within a chunk); the kernel multiplies them
// by r^8 (lane 0 of pw) for the other set's final powers, and takes r^16
// from lane 0 of the result. The set holding the last chunk ends with pw.
func ifma16Kernel(e *emitter) {
	const name = "blocksIFMA16"
	f := &ifma{e: e, chunk: 128}
	var a2, b2, tab [3]string
	for k := 0; k < 3; k++ {
		f.a[k] = reg("Z", k)
		f.b[k] = reg("Z", 3+k)
		a2[k] = reg("Z", 6+k)
		b2[k] = reg("Z", 9+k)
		f.hi[k] = reg("Z", 12+k)
		tab[k] = reg("Z", 29+k) // r^16, r^12, ... r^9
	}
	f.lo, f.hw, f.t = "Z15", "Z16", "Z17"
	for j := 0; j < 5; j++ {
		f.r[j] = reg("Z", 18+j)
	}
	f.m44, f.m42, f.pad, f.c256, f.c5120, f.c5 = "Z23", "Z24", "Z25", "Z26", "Z27", "Z28"
	e.buf.WriteString("// func blocksIFMA16(h *[3]uint64, msg *byte, n int, pw *[3][8]uint64)\n")
	// The frame keeps a copy of pw (gathered once).
	e.buf.WriteString("TEXT ·blocksIFMA16(SB), NOSPLIT, $192-32\n")
	e.ins("MOVQ h+0(FP), DI")
	e.ins("MOVQ msg+8(FP), SI")
	e.ins("MOVQ n+16(FP), CX")
	e.ins("MOVQ pw+24(FP), DX")
	e.ins("MOVQ CX, R8")
	for i, c := range []string{f.m44, f.m42, f.pad, f.c256, f.c5120, f.c5} {
		e.ins("VPBROADCASTQ ifmaconst<>+%d(SB), %s", 8*i, c)
	}
	times20 := func(src, dst string) {
		e.ins("VPSLLQ $2, %s, %s", src, dst)
		e.ins("VPSLLQ $4, %s, %s", src, f.t)
		e.ins("VPADDQ %s, %s, %s", f.t, dst, dst)
	}
	mults := func(r0, r1, r2 string) {
		e.ins("VMOVDQA64 %s, %s", r0, f.r[0])
		e.ins("VMOVDQA64 %s, %s", r1, f.r[1])
		e.ins("VMOVDQA64 %s, %s", r2, f.r[2])
		times20(f.r[1], f.r[3])
		times20(f.r[2], f.r[4])
	}
	e.comment("tab = pw * r^8, then r^16 (lane 0 of tab) in every lane.")
	for j := 0; j < 3; j++ {
		e.ins("VPBROADCASTQ %d(DX), %s", 64*j, f.r[j])
		gather(e, 8, 64*j, f.b[j], b2[0], b2[1], b2[2])
		e.ins("VMOVDQU64 %s, %d(SP)", f.b[j], 64*j)
		e.ins("VPXORQ %s, %s, %s", tab[j], tab[j], tab[j])
	}
	times20(f.r[1], f.r[3])
	times20(f.r[2], f.r[4])
	f.mul(tab, f.b, f.r)
	f.carry(tab)
	for j := 0; j < 3; j++ {
		e.ins("VPBROADCASTQ %s, %s", "X"+tab[j][1:], f.r[j])
	}
	times20(f.r[1], f.r[3])
	times20(f.r[2], f.r[4])
	e.comment("X = chunk 0, Y = chunk 1.")
	f.split(f.a)
	e.ins("ADDQ $128, SI")
	f.split(a2)
	e.ins("ADDQ $128, SI")
	e.ins("SUBQ $2, CX")
	e.label(name + "_loop")
	e.ins("CMPQ CX, $4")
	e.ins("JB %s_tail", name)
	f.step(f.a, f.b)
	f.step(a2, b2)
	f.step(f.b, f.a)
	f.step(b2, a2)
	e.ins("SUBQ $4, CX")
	e.ins("JMP %s_loop", name)
	e.label(name + "_tail")
	e.ins("CMPQ CX, $2")
	e.ins("JB %s_tail1", name)
	f.step(f.a, f.b)
	f.step(a2, b2)
	for k := 0; k < 3; k++ {
		e.ins("VMOVDQA64 %s, %s", f.b[k], f.a[k])
		e.ins("VMOVDQA64 %s, %s", b2[k], a2[k])
	}
	e.ins("SUBQ $2, CX")
	e.label(name + "_tail1")
	e.ins("TESTQ CX, CX")
	e.ins("JZ %s_final", name)
	f.step(f.a, f.b)
	for k := 0; k < 3; k++ {
		e.ins("VMOVDQA64 %s, %s", f.b[k], f.a[k])
	}
	e.label(name + "_final")
	e.comment("B = X * (its final powers) + Y * (its final powers): with n even X")
	e.comment("ends with chunk n-2 and takes tab, Y ends with chunk n-1 and takes pw;")
	e.comment("with n odd the other way round.")
	load := func(fromTab bool) {
		if fromTab {
			mults(tab[0], tab[1], tab[2])
			return
		}
		for j := 0; j < 3; j++ {
			e.ins("VMOVDQU64 %d(SP), %s", 64*j, f.r[j])
		}
		times20(f.r[1], f.r[3])
		times20(f.r[2], f.r[4])
	}
	e.ins("TESTQ $1, R8")
	e.ins("JNZ %s_odd", name)
	for _, odd := range []bool{false, true} {
		if odd {
			e.label(name + "_odd")
		}
		for k := 0; k < 3; k++ {
			e.ins("VPXORQ %s, %s, %s", f.b[k], f.b[k], f.b[k])
			e.ins("VPXORQ %s, %s, %s", b2[k], b2[k], b2[k])
		}
		load(!odd)
		f.mul(f.b, f.a, f.r)
		load(odd)
		f.mul(b2, a2, f.r)
		if !odd {
			e.ins("JMP %s_sum", name)
		}
	}
	e.label(name + "_sum")
	for k := 0; k < 3; k++ {
		e.ins("VPADDQ %s, %s, %s", b2[k], f.b[k], f.b[k])
	}
	for k := 0; k < 3; k++ {
		y, x := "Y"+num(f.b[k]), "X"+num(f.b[k])
		ty, tx := "Y"+num(f.t), "X"+num(f.t)
		e.ins("VEXTRACTI64X4 $1, %s, %s", f.b[k], ty)
		e.ins("VPADDQ %s, %s, %s", ty, y, y)
		e.ins("VEXTRACTI32X4 $1, %s, %s", y, tx)
		e.ins("VPADDQ %s, %s, %s", tx, x, x)
		e.ins("VPSHUFD $0x4e, %s, %s", x, tx)
		e.ins("VPADDQ %s, %s, %s", tx, x, x)
		e.ins("VMOVQ %s, %d(DI)", x, 8*k)
	}
	e.ins("VZEROUPPER")
	e.ins("RET")
	e.blank()
}

func main() {
	e := &emitter{}
	e.buf.WriteString(`// Code generated by asm_gen.go; DO NOT EDIT.

//go:build amd64 && !purego && gc

#include "textflag.h"

DATA mask52<>+0(SB)/8, $0xfffffffffffff
DATA mask52<>+8(SB)/8, $0xfffffffffffff
DATA mask52<>+16(SB)/8, $0xfffffffffffff
DATA mask52<>+24(SB)/8, $0xfffffffffffff
GLOBL mask52<>(SB), RODATA|NOPTR, $32

DATA pad24<>+0(SB)/8, $0x1000000
GLOBL pad24<>(SB), RODATA|NOPTR, $8

// ifmaconst<>: 2^44-1, 2^42-1, 2^40 (the pad bit in limb 2), 2^8, 5*2^10, 5.
DATA ifmaconst<>+0(SB)/8, $0xfffffffffff
DATA ifmaconst<>+8(SB)/8, $0x3ffffffffff
DATA ifmaconst<>+16(SB)/8, $0x10000000000
DATA ifmaconst<>+24(SB)/8, $256
DATA ifmaconst<>+32(SB)/8, $5120
DATA ifmaconst<>+40(SB)/8, $5
GLOBL ifmaconst<>(SB), RODATA|NOPTR, $48

`)
	avx2Kernel(e)
	ifma16Kernel(e)
	ifma4Kernel(e)
	if err := os.WriteFile("poly1305_amd64.s", e.buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}
