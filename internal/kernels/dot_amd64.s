//go:build !noasm

#include "textflag.h"

// dot4x4AVX512 (see dot_amd64.go): sixteen dot products of length k, A row
// i with B row j, accumulated lane-wise in Z(4i+j), 16 columns of k per
// step, the last k%16 under a zeroing mask; then each accumulator is summed
// across its lanes in a fixed tree (upper half onto lower half, down to one
// lane) and stored to out[4i+j].
//
// Registers: R8..R11 walk A rows 0..3, R12, R13, AX, BX B rows 0..3, SI
// is the byte offset into every row, CX counts the remaining columns, DI
// points at out. A rows load into Z16..Z19, B rows into Z20..Z23.

#define FMA_4x4 \
	VFMADD231PS Z20, Z16, Z0; \
	VFMADD231PS Z21, Z16, Z1; \
	VFMADD231PS Z22, Z16, Z2; \
	VFMADD231PS Z23, Z16, Z3; \
	VFMADD231PS Z20, Z17, Z4; \
	VFMADD231PS Z21, Z17, Z5; \
	VFMADD231PS Z22, Z17, Z6; \
	VFMADD231PS Z23, Z17, Z7; \
	VFMADD231PS Z20, Z18, Z8; \
	VFMADD231PS Z21, Z18, Z9; \
	VFMADD231PS Z22, Z18, Z10; \
	VFMADD231PS Z23, Z18, Z11; \
	VFMADD231PS Z20, Z19, Z12; \
	VFMADD231PS Z21, Z19, Z13; \
	VFMADD231PS Z22, Z19, Z14; \
	VFMADD231PS Z23, Z19, Z15


// DOT_HALVES(x, y, d): d = lanes 0–7 of x plus lanes 8–15 of x in d's
// lanes 0–7, the same of y in lanes 8–15.
#define DOT_HALVES(x, y, d) \
	VSHUFF32X4 $0x44, y, x, d;   \
	VSHUFF32X4 $0xEE, y, x, Z24; \
	VADDPS     Z24, d, d

// DOT_QUARTERS(x, y, d): each of x and y holds two 8-lane partial sums;
// d holds the four 4-lane ones, each quarter 0 plus quarter 1 of its sum.
#define DOT_QUARTERS(x, y, d) \
	VSHUFF32X4 $0x88, y, x, d;   \
	VSHUFF32X4 $0xDD, y, x, Z24; \
	VADDPS     Z24, d, d

// DOT_PAIRS(lo, hi, x, y, d): inside every 128-bit quarter, the elements
// that VSHUFPS lo picks from x and y plus those that VSHUFPS hi picks.
#define DOT_PAIRS(lo, hi, x, y, d) \
	VSHUFPS lo, y, x, d;   \
	VSHUFPS hi, y, x, Z24; \
	VADDPS  Z24, d, d

// dotSumOrder: lane j of the reduced vector takes lane 4·(j mod 4) + j/4.
DATA dotSumOrder<>+0(SB)/4, $0
DATA dotSumOrder<>+4(SB)/4, $4
DATA dotSumOrder<>+8(SB)/4, $8
DATA dotSumOrder<>+12(SB)/4, $12
DATA dotSumOrder<>+16(SB)/4, $1
DATA dotSumOrder<>+20(SB)/4, $5
DATA dotSumOrder<>+24(SB)/4, $9
DATA dotSumOrder<>+28(SB)/4, $13
DATA dotSumOrder<>+32(SB)/4, $2
DATA dotSumOrder<>+36(SB)/4, $6
DATA dotSumOrder<>+40(SB)/4, $10
DATA dotSumOrder<>+44(SB)/4, $14
DATA dotSumOrder<>+48(SB)/4, $3
DATA dotSumOrder<>+52(SB)/4, $7
DATA dotSumOrder<>+56(SB)/4, $11
DATA dotSumOrder<>+60(SB)/4, $15
GLOBL dotSumOrder<>(SB), RODATA|NOPTR, $64

// func dot4x4AVX512(k int, a0, a1, a2, a3, b0, b1, b2, b3 *float32, out *[16]float32)
TEXT ·dot4x4AVX512(SB), NOSPLIT, $0-80
	MOVQ k+0(FP), CX
	MOVQ a0+8(FP), R8
	MOVQ a1+16(FP), R9
	MOVQ a2+24(FP), R10
	MOVQ a3+32(FP), R11
	MOVQ b0+40(FP), R12
	MOVQ b1+48(FP), R13
	MOVQ b2+56(FP), AX
	MOVQ b3+64(FP), BX
	MOVQ out+72(FP), DI
	XORQ SI, SI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15

loop:
	CMPQ CX, $16
	JLT  tail
	VMOVUPS (R8)(SI*1), Z16
	VMOVUPS (R9)(SI*1), Z17
	VMOVUPS (R10)(SI*1), Z18
	VMOVUPS (R11)(SI*1), Z19
	VMOVUPS (R12)(SI*1), Z20
	VMOVUPS (R13)(SI*1), Z21
	VMOVUPS (AX)(SI*1), Z22
	VMOVUPS (BX)(SI*1), Z23
	FMA_4x4
	ADDQ $64, SI
	SUBQ $16, CX
	JMP  loop

tail:
	TESTQ CX, CX
	JZ    reduce
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX
	KMOVW DX, K1
	VMOVUPS.Z (R8)(SI*1), K1, Z16
	VMOVUPS.Z (R9)(SI*1), K1, Z17
	VMOVUPS.Z (R10)(SI*1), K1, Z18
	VMOVUPS.Z (R11)(SI*1), K1, Z19
	VMOVUPS.Z (R12)(SI*1), K1, Z20
	VMOVUPS.Z (R13)(SI*1), K1, Z21
	VMOVUPS.Z (AX)(SI*1), K1, Z22
	VMOVUPS.Z (BX)(SI*1), K1, Z23
	FMA_4x4

reduce:
	// The sixteen sums at once, each by the tree that a lone sum takes
	// (upper half onto lower half: lane i += lane i+8, then i+4, i+2,
	// i+1), two accumulators per vector: 128-bit quarters (VSHUFF32X4)
	// for the first two levels, elements inside quarters (VSHUFPS) for
	// the last two. Sum Zj ends in lane 4·(j mod 4) + j/4 of Z6; VPERMPS
	// puts it in lane j.
	DOT_HALVES(Z0, Z1, Z16)
	DOT_HALVES(Z2, Z3, Z17)
	DOT_HALVES(Z4, Z5, Z18)
	DOT_HALVES(Z6, Z7, Z19)
	DOT_HALVES(Z8, Z9, Z20)
	DOT_HALVES(Z10, Z11, Z21)
	DOT_HALVES(Z12, Z13, Z22)
	DOT_HALVES(Z14, Z15, Z23)
	DOT_QUARTERS(Z16, Z17, Z0)
	DOT_QUARTERS(Z18, Z19, Z1)
	DOT_QUARTERS(Z20, Z21, Z2)
	DOT_QUARTERS(Z22, Z23, Z3)
	DOT_PAIRS($0x44, $0xEE, Z0, Z1, Z4)
	DOT_PAIRS($0x44, $0xEE, Z2, Z3, Z5)
	DOT_PAIRS($0x88, $0xDD, Z4, Z5, Z6)
	VMOVDQU32 dotSumOrder<>(SB), Z25
	VPERMPS   Z6, Z25, Z7
	VMOVUPS   Z7, (DI)
	VZEROUPPER
	RET

// dot8x1AVX512 (see dot_amd64.go): eight dot products of length k, row r
// of W (at w + r·ldw floats) with x, accumulated lane-wise in Zr exactly
// as dot4x4AVX512 accumulates each of its sixteen (same fused
// multiply-adds in the same order, the same zeroing tail and the same
// reduction tree), so every sum is bit-identical to dot4x4AVX512's for the
// same pair of rows. The full steps take the W rows as memory operands of
// the fused multiply-adds: one load of x feeds eight of them.
//
// Registers: R8..R13, AX, BX walk W rows 0..7, SI is the byte offset into
// every row, CX counts the remaining columns, DX walks x, DI (free until the
// reduction) holds the tail's mask; x loads into Z16, the tail's W rows
// into Z17..Z24.

// func dot8x1AVX512(k int, x, w *float32, ldw int, out *[8]float32)
TEXT ·dot8x1AVX512(SB), NOSPLIT, $0-40
	MOVQ k+0(FP), CX
	MOVQ x+8(FP), DX
	MOVQ w+16(FP), R8
	MOVQ ldw+24(FP), BX
	SHLQ $2, BX
	LEAQ (R8)(BX*1), R9
	LEAQ (R9)(BX*1), R10
	LEAQ (R10)(BX*1), R11
	LEAQ (R11)(BX*1), R12
	LEAQ (R12)(BX*1), R13
	LEAQ (R13)(BX*1), AX
	LEAQ (AX)(BX*1), BX
	XORQ SI, SI
	VPXORD Z0, Z0, Z0
	VPXORD Z1, Z1, Z1
	VPXORD Z2, Z2, Z2
	VPXORD Z3, Z3, Z3
	VPXORD Z4, Z4, Z4
	VPXORD Z5, Z5, Z5
	VPXORD Z6, Z6, Z6
	VPXORD Z7, Z7, Z7

d81_loop:
	CMPQ        CX, $16
	JLT         d81_tail
	VMOVUPS     (DX)(SI*1), Z16
	VFMADD231PS (R8)(SI*1), Z16, Z0
	VFMADD231PS (R9)(SI*1), Z16, Z1
	VFMADD231PS (R10)(SI*1), Z16, Z2
	VFMADD231PS (R11)(SI*1), Z16, Z3
	VFMADD231PS (R12)(SI*1), Z16, Z4
	VFMADD231PS (R13)(SI*1), Z16, Z5
	VFMADD231PS (AX)(SI*1), Z16, Z6
	VFMADD231PS (BX)(SI*1), Z16, Z7
	ADDQ        $64, SI
	SUBQ        $16, CX
	JMP         d81_loop

d81_tail:
	TESTQ     CX, CX
	JZ        d81_reduce
	MOVL      $1, DI
	SHLL      CX, DI
	DECL      DI
	KMOVW     DI, K1
	VMOVUPS.Z (DX)(SI*1), K1, Z16
	VMOVUPS.Z (R8)(SI*1), K1, Z17
	VMOVUPS.Z (R9)(SI*1), K1, Z18
	VMOVUPS.Z (R10)(SI*1), K1, Z19
	VMOVUPS.Z (R11)(SI*1), K1, Z20
	VMOVUPS.Z (R12)(SI*1), K1, Z21
	VMOVUPS.Z (R13)(SI*1), K1, Z22
	VMOVUPS.Z (AX)(SI*1), K1, Z23
	VMOVUPS.Z (BX)(SI*1), K1, Z24
	VFMADD231PS Z17, Z16, Z0
	VFMADD231PS Z18, Z16, Z1
	VFMADD231PS Z19, Z16, Z2
	VFMADD231PS Z20, Z16, Z3
	VFMADD231PS Z21, Z16, Z4
	VFMADD231PS Z22, Z16, Z5
	VFMADD231PS Z23, Z16, Z6
	VFMADD231PS Z24, Z16, Z7

d81_reduce:
	MOVQ out+32(FP), DI
	VEXTRACTF32X8 $1, Z0, Y16
	VADDPS        Y16, Y0, Y0
	VEXTRACTF32X4 $1, Y0, X16
	VADDPS        X16, X0, X0
	VMOVHLPS      X0, X0, X16
	VADDPS        X16, X0, X0
	VMOVSHDUP     X0, X16
	VADDSS        X16, X0, X0
	VMOVSS        X0, 0(DI)
	VEXTRACTF32X8 $1, Z1, Y16
	VADDPS        Y16, Y1, Y1
	VEXTRACTF32X4 $1, Y1, X16
	VADDPS        X16, X1, X1
	VMOVHLPS      X1, X1, X16
	VADDPS        X16, X1, X1
	VMOVSHDUP     X1, X16
	VADDSS        X16, X1, X1
	VMOVSS        X1, 4(DI)
	VEXTRACTF32X8 $1, Z2, Y16
	VADDPS        Y16, Y2, Y2
	VEXTRACTF32X4 $1, Y2, X16
	VADDPS        X16, X2, X2
	VMOVHLPS      X2, X2, X16
	VADDPS        X16, X2, X2
	VMOVSHDUP     X2, X16
	VADDSS        X16, X2, X2
	VMOVSS        X2, 8(DI)
	VEXTRACTF32X8 $1, Z3, Y16
	VADDPS        Y16, Y3, Y3
	VEXTRACTF32X4 $1, Y3, X16
	VADDPS        X16, X3, X3
	VMOVHLPS      X3, X3, X16
	VADDPS        X16, X3, X3
	VMOVSHDUP     X3, X16
	VADDSS        X16, X3, X3
	VMOVSS        X3, 12(DI)
	VEXTRACTF32X8 $1, Z4, Y16
	VADDPS        Y16, Y4, Y4
	VEXTRACTF32X4 $1, Y4, X16
	VADDPS        X16, X4, X4
	VMOVHLPS      X4, X4, X16
	VADDPS        X16, X4, X4
	VMOVSHDUP     X4, X16
	VADDSS        X16, X4, X4
	VMOVSS        X4, 16(DI)
	VEXTRACTF32X8 $1, Z5, Y16
	VADDPS        Y16, Y5, Y5
	VEXTRACTF32X4 $1, Y5, X16
	VADDPS        X16, X5, X5
	VMOVHLPS      X5, X5, X16
	VADDPS        X16, X5, X5
	VMOVSHDUP     X5, X16
	VADDSS        X16, X5, X5
	VMOVSS        X5, 20(DI)
	VEXTRACTF32X8 $1, Z6, Y16
	VADDPS        Y16, Y6, Y6
	VEXTRACTF32X4 $1, Y6, X16
	VADDPS        X16, X6, X6
	VMOVHLPS      X6, X6, X16
	VADDPS        X16, X6, X6
	VMOVSHDUP     X6, X16
	VADDSS        X16, X6, X6
	VMOVSS        X6, 24(DI)
	VEXTRACTF32X8 $1, Z7, Y16
	VADDPS        Y16, Y7, Y7
	VEXTRACTF32X4 $1, Y7, X16
	VADDPS        X16, X7, X7
	VMOVHLPS      X7, X7, X16
	VADDPS        X16, X7, X7
	VMOVSHDUP     X7, X16
	VADDSS        X16, X7, X7
	VMOVSS        X7, 28(DI)
	VZEROUPPER
	RET
