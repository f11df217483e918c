//go:build ignore

// This program generates salsa_amd64.s. Run it from this directory with
//
//	go run asm_gen.go
//
// (or go generate). It is a plain text emitter for two kinds of kernels:
//
//   - wide (xorBlocksAVX512, xorBlocksAVX2): one Salsa20 state word per
//     vector register, lane i holding block i of a chunk of 16 (zmm) or 8
//     (ymm) consecutive blocks; after the 20 rounds and the input addition
//     the words are transposed back into per-block order and XORed with src;
//   - short (xorBlocksAVX512Short, xorBlocksAVX2Short): one block per
//     128-bit lane in the diagonal layout (see diagRows), for a few blocks.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
)

// Quarter-rounds of a column round and of a row round, as (a, b, c, d) with
//
//	b ^= rotl(a+d, 7); c ^= rotl(b+a, 9); d ^= rotl(c+b, 13); a ^= rotl(d+c, 18)
var (
	columnRound = [4][4]int{{0, 4, 8, 12}, {5, 9, 13, 1}, {10, 14, 2, 6}, {15, 3, 7, 11}}
	rowRound    = [4][4]int{{0, 1, 2, 3}, {5, 6, 7, 4}, {10, 11, 8, 9}, {15, 12, 13, 14}}
)

// step is one line of a quarter-round: dst ^= rotl(x+y, rot).
type step struct{ dst, x, y, rot int }

func steps(q [4]int) [4]step {
	a, b, c, d := q[0], q[1], q[2], q[3]
	return [4]step{{b, a, d, 7}, {c, b, a, 9}, {d, c, b, 13}, {a, d, c, 18}}
}

type emitter struct{ buf bytes.Buffer }

func (e *emitter) ins(format string, args ...any) {
	fmt.Fprintf(&e.buf, "\t"+format+"\n", args...)
}

func (e *emitter) label(name string) { fmt.Fprintf(&e.buf, "%s:\n", name) }

func (e *emitter) comment(format string, args ...any) {
	fmt.Fprintf(&e.buf, "\t// "+format+"\n", args...)
}

func (e *emitter) blank() { e.buf.WriteString("\n") }

// pool hands out scratch registers.
type pool struct{ free []string }

func (p *pool) get() string {
	if len(p.free) == 0 {
		log.Fatal("out of registers")
	}
	r := p.free[0]
	p.free = p.free[1:]
	return r
}

func (p *pool) put(regs ...string) { p.free = append(p.free, regs...) }

func regs(prefix string, from, to int) []string {
	var r []string
	for i := from; i <= to; i++ {
		r = append(r, fmt.Sprintf("%s%d", prefix, i))
	}
	return r
}

// header emits the argument loads shared by every kernel.
func header(e *emitter, name string, frame int, flags string) {
	fmt.Fprintf(&e.buf, "// func %s(dst, src *byte, nblocks int, state *[16]uint32)\n", name)
	fmt.Fprintf(&e.buf, "TEXT ·%s(SB), %s, $%d-32\n", name, flags, frame)
	if frame > 0 {
		e.ins("NO_LOCAL_POINTERS")
	}
	e.ins("MOVQ dst+0(FP), DI")
	e.ins("MOVQ src+8(FP), SI")
	e.ins("MOVQ nblocks+16(FP), CX")
	e.ins("MOVQ state+24(FP), AX")
}

// avx512Kernel emits the 16-block zmm kernel. Z0-Z15 hold the state
// words, Z16/Z17 the per-lane block counter (low/high word), Z30 the lane
// indexes and Z31 all ones; the other registers are scratch.
func avx512Kernel(e *emitter, name string) {
	header(e, name, 0, "NOSPLIT")
	e.ins("SHRQ $4, CX")
	e.ins("JZ %s_done", name)
	e.ins("VMOVDQU32 lanes<>(SB), Z30")
	e.ins("VPTERNLOGD $0xff, Z31, Z31, Z31")
	e.blank()
	e.label(name + "_chunk")
	e.comment("Per-lane 64-bit block counter: low word += lane, carry into the high word.")
	e.ins("VPBROADCASTD 32(AX), Z16")
	e.ins("VPADDD Z30, Z16, Z16")
	e.ins("VPCMPUD $1, Z30, Z16, K1") // K1: lanes whose low word wrapped
	e.ins("VPBROADCASTD 36(AX), Z17")
	e.ins("VPSUBD Z31, Z17, K1, Z17")
	for w := 0; w < 16; w++ {
		switch w {
		case 8:
			e.ins("VMOVDQA32 Z16, Z8")
		case 9:
			e.ins("VMOVDQA32 Z17, Z9")
		default:
			e.ins("VPBROADCASTD %d(AX), Z%d", 4*w, w)
		}
	}
	e.ins("MOVQ $10, DX")
	e.blank()
	e.label(name + "_rounds")
	for _, round := range [][4][4]int{columnRound, rowRound} {
		for s := 0; s < 4; s++ {
			for q, qr := range round {
				st := steps(qr)[s]
				t := fmt.Sprintf("Z%d", 18+q)
				e.ins("VPADDD Z%d, Z%d, %s", st.y, st.x, t)
				e.ins("VPROLD $%d, %s, %s", st.rot, t, t)
				e.ins("VPXORD %s, Z%d, Z%d", t, st.dst, st.dst)
			}
		}
	}
	e.ins("DECQ DX")
	e.ins("JNZ %s_rounds", name)
	e.blank()
	e.comment("Add the input words.")
	for w := 0; w < 16; w++ {
		switch w {
		case 8:
			e.ins("VPADDD Z16, Z8, Z8")
		case 9:
			e.ins("VPADDD Z17, Z9, Z9")
		default:
			e.ins("VPADDD.BCST %d(AX), Z%d, Z%d", 4*w, w, w)
		}
	}
	e.blank()
	transpose16(e, &pool{free: regs("Z", 16, 29)})
	e.blank()
	e.ins("ADDQ $16, 32(AX)")
	e.ins("ADDQ $1024, SI")
	e.ins("ADDQ $1024, DI")
	e.ins("DECQ CX")
	e.ins("JNZ %s_chunk", name)
	e.ins("VZEROUPPER")
	e.blank()
	e.label(name + "_done")
	e.ins("RET")
	e.blank()
}

// transpose16 turns Z0-Z15 (word w of blocks 0-15) into 16 registers each
// holding one block, XORs them with src and stores them to dst.
func transpose16(e *emitter, p *pool) {
	w := regs("Z", 0, 15)
	e.comment("Transpose 16x16: dword pairs, then quadwords, then 128-bit lanes.")
	q := unpack(e, p, w[:16])
	for k := 0; k < 4; k++ {
		a, b, c, d := q[0][k], q[1][k], q[2][k], q[3][k]
		e1, f, g, h := p.get(), p.get(), p.get(), p.get()
		e.ins("VSHUFI32X4 $0x88, %s, %s, %s", b, a, e1)
		e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", b, a, f)
		e.ins("VSHUFI32X4 $0x88, %s, %s, %s", d, c, g)
		e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", d, c, h)
		p.put(a, b, c, d)
		out := [4]string{p.get(), p.get(), p.get(), p.get()}
		e.ins("VSHUFI32X4 $0x88, %s, %s, %s", g, e1, out[0])
		e.ins("VSHUFI32X4 $0x88, %s, %s, %s", h, f, out[1])
		e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", g, e1, out[2])
		e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", h, f, out[3])
		p.put(e1, f, g, h)
		for l, o := range out {
			blk := 4*l + k
			e.ins("VPXORD %d(SI), %s, %s", 64*blk, o, o)
			e.ins("VMOVDQU32 %s, %d(DI)", o, 64*blk)
		}
		p.put(out[:]...)
	}
}

// unpack runs the first two transposition stages on n = len(w) registers
// holding words of n blocks (one word per register): dword pairs, then
// quadwords. It returns q with q[g][k]: 128-bit lane L holds words
// 4g..4g+3 of block 4L+k. The registers of w go back to the pool.
func unpack(e *emitter, p *pool, w []string) [][4]string {
	n := len(w)
	lo, hi := make([]string, n/2), make([]string, n/2)
	for i := 0; i < n/2; i++ {
		lo[i], hi[i] = p.get(), p.get()
		e.ins("VPUNPCKLDQ %s, %s, %s", w[2*i+1], w[2*i], lo[i])
		e.ins("VPUNPCKHDQ %s, %s, %s", w[2*i+1], w[2*i], hi[i])
		p.put(w[2*i], w[2*i+1])
	}
	q := make([][4]string, n/4)
	for g := range q {
		for k := 0; k < 4; k++ {
			q[g][k] = p.get()
		}
		e.ins("VPUNPCKLQDQ %s, %s, %s", lo[2*g+1], lo[2*g], q[g][0])
		e.ins("VPUNPCKHQDQ %s, %s, %s", lo[2*g+1], lo[2*g], q[g][1])
		e.ins("VPUNPCKLQDQ %s, %s, %s", hi[2*g+1], hi[2*g], q[g][2])
		e.ins("VPUNPCKHQDQ %s, %s, %s", hi[2*g+1], hi[2*g], q[g][3])
		p.put(lo[2*g], lo[2*g+1], hi[2*g], hi[2*g+1])
	}
	return q
}

// transpose8 turns eight ymm registers holding words w..w+7 of blocks 0-7
// into per-block registers, XORs them with the 32 bytes at byte off of each
// block of src and stores them to dst.
func transpose8(e *emitter, p *pool, w []string, off int) {
	e.comment("Transpose 8x8 (words %d-%d): dword pairs, quadwords, 128-bit lanes.", off/4, off/4+7)
	q := unpack(e, p, w[:8])
	for k := 0; k < 4; k++ {
		a, b := q[0][k], q[1][k]
		o0, o1 := p.get(), p.get()
		e.ins("VPERM2I128 $0x20, %s, %s, %s", b, a, o0)
		e.ins("VPERM2I128 $0x31, %s, %s, %s", b, a, o1)
		p.put(a, b)
		e.ins("VPXOR %d(SI), %s, %s", 64*k+off, o0, o0)
		e.ins("VMOVDQU %s, %d(DI)", o0, 64*k+off)
		e.ins("VPXOR %d(SI), %s, %s", 64*(k+4)+off, o1, o1)
		e.ins("VMOVDQU %s, %d(DI)", o1, 64*(k+4)+off)
		p.put(o0, o1)
	}
}

// avx2Kernel emits the 8-block AVX2 kernel. Fourteen state words live in
// Y0-Y13 and two in 32-byte-aligned stack slots; Y14/Y15 are scratch.
// Words 2 and 8 share a register, and so do 3 and 9: the column round's
// second half and the row round's first half need words 2 and 3 (but not 8
// and 9), the other halves 8 and 9 (but not 2 and 3), so each half-round
// boundary swaps one pair through memory.
func avx2Kernel(e *emitter, name string) {
	reg := map[int]string{2: "Y8", 3: "Y9", 8: "Y8", 9: "Y9", 14: "Y2", 15: "Y3"}
	for _, w := range []int{0, 1, 4, 5, 6, 7, 10, 11, 12, 13} {
		reg[w] = fmt.Sprintf("Y%d", w)
	}
	// Slot k (word k) at 32k(R9); the counter lanes at 512 and 544.
	slot := func(w int) string { return fmt.Sprintf("%d(R9)", 32*w) }
	const ctrLo, ctrHi = "512(R9)", "544(R9)"
	const frame = 18*32 + 32
	header(e, name, frame, "0")
	e.ins("LEAQ 31(SP), R9")
	e.ins("ANDQ $-32, R9")
	e.ins("SHRQ $3, CX")
	e.ins("JZ %s_done", name)
	e.blank()
	e.label(name + "_chunk")
	e.comment("Per-lane 64-bit block counter: low word += lane, carry into the high word.")
	e.ins("VPBROADCASTD 32(AX), Y8")
	e.ins("VPADDD lanes<>(SB), Y8, Y8")
	e.ins("VPMAXUD lanes<>(SB), Y8, Y14")
	e.ins("VPCMPEQD Y14, Y8, Y14") // all ones where no carry
	e.ins("VPCMPEQD Y15, Y15, Y15")
	e.ins("VPBROADCASTD 36(AX), Y9")
	e.ins("VPSUBD Y15, Y9, Y9") // high + 1
	e.ins("VPADDD Y14, Y9, Y9") // minus one again where no carry
	e.ins("VMOVDQA Y8, %s", ctrLo)
	e.ins("VMOVDQA Y9, %s", ctrHi)
	e.ins("VPBROADCASTD 8(AX), Y14")
	e.ins("VMOVDQA Y14, %s", slot(2))
	e.ins("VPBROADCASTD 12(AX), Y15")
	e.ins("VMOVDQA Y15, %s", slot(3))
	for w := 0; w < 16; w++ {
		if w == 2 || w == 3 || w == 8 || w == 9 {
			continue
		}
		e.ins("VPBROADCASTD %d(AX), %s", 4*w, reg[w])
	}
	e.ins("MOVQ $10, DX")
	e.blank()
	e.label(name + "_rounds")
	half := func(qrs [][4]int) {
		for s := 0; s < 4; s++ {
			for _, qr := range qrs {
				st := steps(qr)[s]
				e.ins("VPADDD %s, %s, Y14", reg[st.y], reg[st.x])
				e.ins("VPSLLD $%d, Y14, Y15", st.rot)
				e.ins("VPSRLD $%d, Y14, Y14", 32-st.rot)
				e.ins("VPXOR Y15, %s, %s", reg[st.dst], reg[st.dst])
				e.ins("VPXOR Y14, %s, %s", reg[st.dst], reg[st.dst])
			}
		}
	}
	swap := func(out0, out1, in0, in1 int) {
		e.ins("VMOVDQA Y8, %s", slot(out0))
		e.ins("VMOVDQA Y9, %s", slot(out1))
		e.ins("VMOVDQA %s, Y8", slot(in0))
		e.ins("VMOVDQA %s, Y9", slot(in1))
	}
	half(columnRound[0:2])
	swap(8, 9, 2, 3)
	half(columnRound[2:4])
	half(rowRound[0:2])
	swap(2, 3, 8, 9)
	half(rowRound[2:4])
	e.ins("DECQ DX")
	e.ins("JNZ %s_rounds", name)
	e.blank()
	e.comment("Add the input words; park words 8-15, bring back 2 and 3.")
	for w := 0; w < 16; w++ {
		switch w {
		case 2, 3:
		case 8:
			e.ins("VPADDD %s, Y8, Y8", ctrLo)
		case 9:
			e.ins("VPADDD %s, Y9, Y9", ctrHi)
		default:
			t := []string{"Y14", "Y15"}[w%2]
			e.ins("VPBROADCASTD %d(AX), %s", 4*w, t)
			e.ins("VPADDD %s, %s, %s", t, reg[w], reg[w])
		}
	}
	for w := 8; w < 16; w++ {
		e.ins("VMOVDQA %s, %s", reg[w], slot(w))
	}
	for _, w := range []int{2, 3} {
		t := []string{"Y14", "Y15"}[w%2]
		e.ins("VMOVDQA %s, %s", slot(w), reg[w])
		e.ins("VPBROADCASTD %d(AX), %s", 4*w, t)
		e.ins("VPADDD %s, %s, %s", t, reg[w], reg[w])
	}
	var low []string
	for w := 0; w < 8; w++ {
		low = append(low, reg[w])
	}
	p := &pool{free: []string{"Y2", "Y3", "Y10", "Y11", "Y12", "Y13", "Y14", "Y15"}}
	transpose8(e, p, low, 0)
	high := make([]string, 8)
	for i := range high {
		high[i] = p.get()
		e.ins("VMOVDQA %s, %s", slot(8+i), high[i])
	}
	transpose8(e, p, high, 32)
	e.blank()
	e.ins("ADDQ $8, 32(AX)")
	e.ins("ADDQ $512, SI")
	e.ins("ADDQ $512, DI")
	e.ins("DECQ CX")
	e.ins("JNZ %s_chunk", name)
	e.ins("VZEROUPPER")
	e.blank()
	e.label(name + "_done")
	e.ins("RET")
	e.blank()
}

func main() {
	e := &emitter{}
	e.buf.WriteString(`// Code generated by asm_gen.go; DO NOT EDIT.

//go:build amd64 && !purego && gc

#include "textflag.h"
#include "funcdata.h"

`)
	table := func(name, comment string, size int, vals []int) {
		fmt.Fprintf(&e.buf, "// %s\n", comment)
		for i, v := range vals {
			fmt.Fprintf(&e.buf, "DATA %s<>+%d(SB)/%d, $%d\n", name, size*i, size, v)
		}
		fmt.Fprintf(&e.buf, "GLOBL %s<>(SB), RODATA|NOPTR, $%d\n\n", name, size*len(vals))
	}
	var lanes, qlanes, diag, ctr, ctr2, out []int
	for i := 0; i < 16; i++ {
		lanes = append(lanes, i)
		out = append(out, i*13%16)
		ctr = append(ctr, []int{i / 4 * 2, i/4*2 + 1, 0, 0}[i%4])
		ctr2 = append(ctr2, []int{8 + i/4*2, 8 + i/4*2 + 1, 0, 0}[i%4])
	}
	for i := 0; i < 8; i++ {
		qlanes = append(qlanes, i)
	}
	for _, row := range diagRows {
		for i := 0; i < 4; i++ {
			diag = append(diag, row[:]...)
		}
	}
	table("lanes", "lanes<> holds the lane indexes 0, 1, ..., 15 as 32-bit words.", 4, lanes)
	table("qlanes", "qlanes<> holds 0, 1, ..., 7 as 64-bit words.", 8, qlanes)
	table("diag", "diag<> holds VPERMD indexes gathering the diagonal rows A, B, C, D\n// (see diagKernel) into each 128-bit lane.", 4, diag)
	table("ctr", "ctr<> and ctr2<> gather the low and high words of qlanes-based counters\n// into the first two words of each 128-bit lane.", 4, ctr)
	table("ctr2", "(ctr<> for blocks 4-7.)", 4, ctr2)
	table("undiag", "undiag<> reorders a block stored as rows A, B, C, D into words 0-15.", 4, out)
	avx512Kernel(e, "xorBlocksAVX512")
	avx2Kernel(e, "xorBlocksAVX2")
	diagKernel(e, "xorBlocksAVX512Short", true)
	diagKernel(e, "xorBlocksAVX2Short", false)
	if err := os.WriteFile("salsa_amd64.s", e.buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

// diagRows are the state words of the diagonal layout: every quarter-round
// of a column round works lane by lane on rows A, B, C, D, with
// B ^= rotl(A+D, 7), C ^= rotl(B+A, 9), D ^= rotl(C+B, 13), A ^= rotl(D+C, 18).
// Rotating B, C and D by 3, 2 and 1 lanes turns them into rows
// (3 4 9 14), (2 7 8 13), (1 6 11 12) on which the row round is the same
// four lines with D and B swapping roles. Word x[4r+c] sits in lane c of
// row (r-c) mod 4.
var diagRows = [4][4]int{{0, 5, 10, 15}, {4, 9, 14, 3}, {8, 13, 2, 7}, {12, 1, 6, 11}}

// Blend masks (per 128-bit lane of a ymm register) choosing, for each row,
// the words that live in the upper half of the state (words 8-15).
var diagHigh = [4]int{0xcc, 0x66, 0x33, 0x99}

// diagKernel emits a kernel for short streams: each 128-bit lane holds one
// block in the diagonal layout, so a zmm register covers 4 blocks and a
// ymm register 2. It processes one group of registers (4 blocks with evex,
// 2 with AVX2) if nblocks <= that, else two groups, and always produces
// whole groups. It is latency bound, not throughput bound like the
// one-word-per-register kernels, which is what suits a handful of blocks.
func diagKernel(e *emitter, name string, evex bool) {
	per := 2 // blocks per register
	v := "Y"
	if evex {
		per, v = 4, "Z"
	}
	r := func(i int) string { return fmt.Sprintf("%s%d", v, i) }
	header(e, name, 0, "NOSPLIT")
	e.ins("CMPQ CX, $%d", per)
	e.ins("JA %s_two", name)
	diagBody(e, name+"_one", evex, 1, per, r)
	e.label(name + "_two")
	diagBody(e, name+"_twogroups", evex, 2, per, r)
	e.blank()
}

func diagBody(e *emitter, name string, evex bool, groups, per int, r func(int) string) {
	// State rows of group g: r(4g+k). Temps for group g: evex r(16+g),
	// AVX2 r(8+2g), r(9+2g).
	row := func(g, k int) string { return r(4*g + k) }
	add, xor, mov := "VPADDD", "VPXOR", "VMOVDQU"
	if evex {
		xor, mov = "VPXORD", "VMOVDQU32"
	}
	// inputs[g][k] is the register holding input row k of group g.
	var inputs [2][4]string
	if evex {
		e.ins("VMOVDQU32 (AX), Z31")
		for k := 0; k < 4; k++ {
			in := r(8 + k)
			e.ins("VMOVDQU32 diag<>+%d(SB), %s", 64*k, in)
			e.ins("VPERMD Z31, %s, %s", in, in)
		}
		e.ins("VPBROADCASTQ 32(AX), Z30")
		e.ins("VPADDQ qlanes<>(SB), Z30, Z30")
		e.ins("MOVL $0x1111, DX")
		e.ins("KMOVW DX, K1")
		e.ins("MOVL $0x2222, DX")
		e.ins("KMOVW DX, K2")
		inputs[0] = [4]string{r(8), r(9), r(10), r(11)}
		if groups == 2 {
			e.ins("VMOVDQA32 Z9, Z12")
			e.ins("VMOVDQA32 Z10, Z13")
			e.ins("VMOVDQU32 ctr2<>(SB), Z29")
			e.ins("VPERMD Z30, Z29, K1, Z13")
			e.ins("VPERMD Z30, Z29, K2, Z12")
			inputs[1] = [4]string{r(8), r(12), r(13), r(11)}
		}
		e.ins("VMOVDQU32 ctr<>(SB), Z29")
		e.ins("VPERMD Z30, Z29, K1, Z10")
		e.ins("VPERMD Z30, Z29, K2, Z9")
		for g := 0; g < groups; g++ {
			for k := 0; k < 4; k++ {
				e.ins("VMOVDQA32 %s, %s", inputs[g][k], row(g, k))
			}
		}
	} else {
		// Y14, Y15: state words 0-7, 8-15; Y13: the 64-bit counters of
		// blocks 0-3. The input rows are rebuilt at the end.
		e.ins("VMOVDQU (AX), Y14")
		e.ins("VMOVDQU 32(AX), Y15")
		e.ins("VPBROADCASTQ 32(AX), Y13")
		e.ins("VPADDQ qlanes<>(SB), Y13, Y13")
		for g := 0; g < groups; g++ {
			avx2DiagInput(e, g, [4]string{row(g, 0), row(g, 1), row(g, 2), row(g, 3)}, "Y12")
		}
	}
	e.ins("MOVQ $10, DX")
	e.blank()
	e.label(name + "_rounds")
	line := func(g int, dst, x, y string, rot int) {
		if evex {
			t := r(16 + g)
			e.ins("VPADDD %s, %s, %s", y, x, t)
			e.ins("VPROLD $%d, %s, %s", rot, t, t)
			e.ins("VPXORD %s, %s, %s", t, dst, dst)
			return
		}
		t, u := r(8+2*g), r(9+2*g)
		e.ins("VPADDD %s, %s, %s", y, x, t)
		e.ins("VPSLLD $%d, %s, %s", rot, t, u)
		e.ins("VPSRLD $%d, %s, %s", 32-rot, t, t)
		e.ins("VPXOR %s, %s, %s", u, dst, dst)
		e.ins("VPXOR %s, %s, %s", t, dst, dst)
	}
	shuf := func(g, k, imm int) {
		e.ins("VPSHUFD $0x%02x, %s, %s", imm, row(g, k), row(g, k))
	}
	const A, B, C, D = 0, 1, 2, 3
	for g := 0; g < groups; g++ { // column round
		line(g, row(g, B), row(g, A), row(g, D), 7)
	}
	for g := 0; g < groups; g++ {
		line(g, row(g, C), row(g, B), row(g, A), 9)
	}
	for g := 0; g < groups; g++ {
		line(g, row(g, D), row(g, C), row(g, B), 13)
		shuf(g, B, 0x93)
	}
	for g := 0; g < groups; g++ {
		line(g, row(g, A), row(g, D), row(g, C), 18)
		shuf(g, D, 0x39)
		shuf(g, C, 0x4e)
	}
	for g := 0; g < groups; g++ { // row round: B and D swap roles
		line(g, row(g, D), row(g, A), row(g, B), 7)
	}
	for g := 0; g < groups; g++ {
		line(g, row(g, C), row(g, D), row(g, A), 9)
	}
	for g := 0; g < groups; g++ {
		line(g, row(g, B), row(g, C), row(g, D), 13)
		shuf(g, D, 0x93)
	}
	for g := 0; g < groups; g++ {
		line(g, row(g, A), row(g, B), row(g, C), 18)
		shuf(g, B, 0x39)
		shuf(g, C, 0x4e)
	}
	e.ins("DECQ DX")
	e.ins("JNZ %s_rounds", name)
	e.blank()
	if evex {
		for g := 0; g < groups; g++ {
			for k := 0; k < 4; k++ {
				e.ins("%s %s, %s, %s", add, inputs[g][k], row(g, k), row(g, k))
			}
		}
		e.ins("VMOVDQU32 undiag<>(SB), Z29")
		p := &pool{free: regs("Z", 16, 28)}
		for g := 0; g < groups; g++ {
			a, b, c, d := row(g, A), row(g, B), row(g, C), row(g, D)
			e1, f, g1, h := p.get(), p.get(), p.get(), p.get()
			e.ins("VSHUFI32X4 $0x88, %s, %s, %s", b, a, e1)
			e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", b, a, f)
			e.ins("VSHUFI32X4 $0x88, %s, %s, %s", d, c, g1)
			e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", d, c, h)
			// Block 4g+l is lane l of every row.
			out := [4]string{a, b, c, d}
			e.ins("VSHUFI32X4 $0x88, %s, %s, %s", g1, e1, out[0])
			e.ins("VSHUFI32X4 $0x88, %s, %s, %s", h, f, out[1])
			e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", g1, e1, out[2])
			e.ins("VSHUFI32X4 $0xdd, %s, %s, %s", h, f, out[3])
			p.put(e1, f, g1, h)
			for l, o := range out {
				blk := per*g + l
				e.ins("VPERMD %s, Z29, %s", o, o)
				e.ins("%s %d(SI), %s, %s", xor, 64*blk, o, o)
				e.ins("%s %s, %d(DI)", mov, o, 64*blk)
			}
		}
	} else {
		for g := 0; g < groups; g++ {
			in := [4]string{"Y8", "Y9", "Y10", "Y11"}
			avx2DiagInput(e, g, in, "Y12")
			for k := 0; k < 4; k++ {
				e.ins("VPADDD %s, %s, %s", in[k], row(g, k), row(g, k))
			}
			// Output row q of a block takes word c from row (q-c) mod 4.
			rows := [4]string{row(g, A), row(g, B), row(g, C), row(g, D)}
			for q := 0; q < 4; q++ {
				o := in[q]
				e.ins("VMOVDQA %s, %s", rows[q], o)
				for c := 1; c < 4; c++ {
					e.ins("VPBLENDD $0x%02x, %s, %s, %s", 0x11<<c, rows[(q-c+4)%4], o, o)
				}
			}
			for l := 0; l < 2; l++ {
				blk := per*g + l
				sel := []int{0x20, 0x31}[l]
				for half := 0; half < 2; half++ {
					o := rows[2*l+half]
					e.ins("VPERM2I128 $0x%02x, %s, %s, %s", sel, in[2*half+1], in[2*half], o)
					e.ins("VPXOR %d(SI), %s, %s", 64*blk+32*half, o, o)
					e.ins("VMOVDQU %s, %d(DI)", o, 64*blk+32*half)
				}
			}
		}
	}
	e.ins("ADDQ $%d, 32(AX)", groups*per)
	e.ins("VZEROUPPER")
	e.ins("RET")
}

// avx2DiagInput builds the input rows of group g (blocks 2g and 2g+1) from
// Y14/Y15 (state words) and Y13 (counters) into rows, using tmp.
func avx2DiagInput(e *emitter, g int, rows [4]string, tmp string) {
	for k := 0; k < 4; k++ {
		e.ins("VMOVDQU diag<>+%d(SB), %s", 64*k, tmp)
		e.ins("VPERMD Y14, %s, %s", tmp, rows[k])
		e.ins("VPERMD Y15, %s, %s", tmp, tmp)
		e.ins("VPBLENDD $0x%02x, %s, %s, %s", diagHigh[k], tmp, rows[k], rows[k])
	}
	e.ins("VMOVDQU ctr<>+%d(SB), %s", 32*g, tmp)
	e.ins("VPERMD Y13, %s, %s", tmp, tmp)
	e.ins("VPBLENDD $0x11, %s, %s, %s", tmp, rows[2], rows[2])
	e.ins("VPBLENDD $0x22, %s, %s, %s", tmp, rows[1], rows[1])
}
