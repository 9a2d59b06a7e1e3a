//go:build !noasm

#include "textflag.h"

// Batch-normalisation kernels (see bn.go for their contracts and the
// summation order): float64 work 8 lanes per ZMM register; the 32 partial
// sums live in four registers, partial j mod 32 in lane j mod 8 of
// register (j mod 32) / 8. Tails run under masks (K1); masked lanes are
// neither read nor accumulated (merge masking keeps the partial).

// MASK8 sets K1 to the first min(CX, 8) lanes; it keeps CX and uses AX, BX.
#define MASK8 \
	MOVQ  CX, BX;  \
	CMPQ  CX, $8;  \
	JLE   2(PC);   \
	MOVQ  $8, CX;  \
	MOVL  $1, AX;  \
	SHLL  CX, AX;  \
	DECL  AX;      \
	KMOVW AX, K1;  \
	MOVQ  BX, CX

// MASK16 sets K1 to the first min(CX, 16) lanes; it keeps CX and uses AX, BX.
#define MASK16 \
	MOVQ  CX, BX;   \
	CMPQ  CX, $16;  \
	JLE   2(PC);    \
	MOVQ  $16, CX;  \
	MOVL  $1, AX;   \
	SHLL  CX, AX;   \
	DECL  AX;       \
	KMOVW AX, K1;   \
	MOVQ  BX, CX

// SUMS_START, STORE_SUMS_DOTS: the backward-sums kernels' common start
// and end. SUMS_START loads their first arguments (DI: sum, R8: dot, SI:
// dy, R9: x, CX: n, Z16: mean) and the 32 partial sums at DI into Z0..Z3
// and the 32 partial dots at R8 into Z4..Z7; STORE_SUMS_DOTS writes the
// partials back.
#define SUMS_START \
	MOVQ         sum+0(FP), DI;    \
	MOVQ         dot+8(FP), R8;    \
	MOVQ         dy+16(FP), SI;    \
	MOVQ         x+24(FP), R9;     \
	MOVQ         n+32(FP), CX;     \
	VBROADCASTSD mean+40(FP), Z16; \
	VMOVUPD      0(DI), Z0;        \
	VMOVUPD      64(DI), Z1;       \
	VMOVUPD      128(DI), Z2;      \
	VMOVUPD      192(DI), Z3;      \
	VMOVUPD      0(R8), Z4;        \
	VMOVUPD      64(R8), Z5;       \
	VMOVUPD      128(R8), Z6;      \
	VMOVUPD      192(R8), Z7

#define STORE_SUMS_DOTS \
	VMOVUPD Z0, 0(DI);   \
	VMOVUPD Z1, 64(DI);  \
	VMOVUPD Z2, 128(DI); \
	VMOVUPD Z3, 192(DI); \
	VMOVUPD Z4, 0(R8);   \
	VMOVUPD Z5, 64(R8);  \
	VMOVUPD Z6, 128(R8); \
	VMOVUPD Z7, 192(R8)

// DX_START loads the arguments common to both dx kernels: DI, SI, R9 walk
// dx, dy and x, CX counts the values left, R10 is set; mean, gm, proj and
// scale go to Z16..Z19.
#define DX_START \
	MOVQ         dx+0(FP), DI;      \
	MOVQ         dy+8(FP), SI;      \
	MOVQ         x+16(FP), R9;      \
	MOVQ         n+24(FP), CX;      \
	VBROADCASTSD mean+32(FP), Z16;  \
	VBROADCASTSD gm+40(FP), Z17;    \
	VBROADCASTSD proj+48(FP), Z18;  \
	VBROADCASTSD scale+56(FP), Z19; \
	MOVBLZX      set+64(FP), R10

// DX8(add) finishes up to eight values (lanes K1) whose dy (Z0) and x (Z1)
// are in float64: dx += float32((dy − gm − (x − mean)·proj)·scale), or
// with set (R10) dx = 0 + that, without reading dx; then the pointers and
// the count move on by eight. add names a label of its own. It uses Y2.
#define DX8(add) \
	VSUBPD    Z16, Z1, Z1;       \
	VMULPD    Z18, Z1, Z1;       \
	VSUBPD    Z17, Z0, Z0;       \
	VSUBPD    Z1, Z0, Z0;        \
	VMULPD    Z19, Z0, Z0;       \
	VCVTPD2PS Z0, Y0;            \
	VXORPS    Y2, Y2, Y2;        \
	TESTQ     R10, R10;          \
	JNZ       add;               \
	VMOVUPS.Z (DI), K1, Y2;      \
add:                             \
	VADDPS    Y0, Y2, Y2;        \
	VMOVUPS   Y2, K1, (DI);      \
	ADDQ      $32, SI;           \
	ADDQ      $32, R9;           \
	ADDQ      $32, DI;           \
	SUBQ      $8, CX

// func bnSumAVX512(p *BNPartials, x *float32, n int)
TEXT ·bnSumAVX512(SB), NOSPLIT, $0-24
	MOVQ p+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VMOVUPD 0(DI), Z0
	VMOVUPD 64(DI), Z1
	VMOVUPD 128(DI), Z2
	VMOVUPD 192(DI), Z3
sum_loop:
	CMPQ CX, $32
	JLT  sum_tail
	VCVTPS2PD 0(SI), Z4
	VCVTPS2PD 32(SI), Z5
	VCVTPS2PD 64(SI), Z6
	VCVTPS2PD 96(SI), Z7
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VADDPD Z6, Z2, Z2
	VADDPD Z7, Z3, Z3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sum_loop
sum_tail:
	TESTQ CX, CX
	JLE   sum_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VADDPD Z4, Z0, K1, Z0
	ADDQ $32, SI
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   sum_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VADDPD Z4, Z1, K1, Z1
	ADDQ $32, SI
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   sum_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VADDPD Z4, Z2, K1, Z2
	ADDQ $32, SI
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   sum_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VADDPD Z4, Z3, K1, Z3
	ADDQ $32, SI
	SUBQ $8, CX
sum_done:
	VMOVUPD Z0, 0(DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, 128(DI)
	VMOVUPD Z3, 192(DI)
	VZEROUPPER
	RET

// func bnSumSqDevAVX512(p *BNPartials, x *float32, n int, mean float64)
TEXT ·bnSumSqDevAVX512(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSD mean+24(FP), Z8
	VMOVUPD 0(DI), Z0
	VMOVUPD 64(DI), Z1
	VMOVUPD 128(DI), Z2
	VMOVUPD 192(DI), Z3
sq_loop:
	CMPQ CX, $32
	JLT  sq_tail
	VCVTPS2PD 0(SI), Z4
	VCVTPS2PD 32(SI), Z5
	VCVTPS2PD 64(SI), Z6
	VCVTPS2PD 96(SI), Z7
	VSUBPD Z8, Z4, Z4
	VSUBPD Z8, Z5, Z5
	VSUBPD Z8, Z6, Z6
	VSUBPD Z8, Z7, Z7
	VMULPD Z4, Z4, Z4
	VMULPD Z5, Z5, Z5
	VMULPD Z6, Z6, Z6
	VMULPD Z7, Z7, Z7
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VADDPD Z6, Z2, Z2
	VADDPD Z7, Z3, Z3
	ADDQ $128, SI
	SUBQ $32, CX
	JMP  sq_loop
sq_tail:
	TESTQ CX, CX
	JLE   sq_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VSUBPD Z8, Z4, Z4
	VMULPD Z4, Z4, Z4
	VADDPD Z4, Z0, K1, Z0
	ADDQ $32, SI
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   sq_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VSUBPD Z8, Z4, Z4
	VMULPD Z4, Z4, Z4
	VADDPD Z4, Z1, K1, Z1
	ADDQ $32, SI
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   sq_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VSUBPD Z8, Z4, Z4
	VMULPD Z4, Z4, Z4
	VADDPD Z4, Z2, K1, Z2
	ADDQ $32, SI
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   sq_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z4
	VSUBPD Z8, Z4, Z4
	VMULPD Z4, Z4, Z4
	VADDPD Z4, Z3, K1, Z3
	ADDQ $32, SI
	SUBQ $8, CX
sq_done:
	VMOVUPD Z0, 0(DI)
	VMOVUPD Z1, 64(DI)
	VMOVUPD Z2, 128(DI)
	VMOVUPD Z3, 192(DI)
	VZEROUPPER
	RET

// func bnBackwardSumsAVX512(sum, dot *BNPartials, dy, x *float32, n int, mean float64)
TEXT ·bnBackwardSumsAVX512(SB), NOSPLIT, $0-48
	SUMS_START
bs_loop:
	CMPQ CX, $32
	JLT  bs_tail
	VCVTPS2PD 0(SI), Z8
	VCVTPS2PD 0(R9), Z12
	VCVTPS2PD 32(SI), Z9
	VCVTPS2PD 32(R9), Z13
	VCVTPS2PD 64(SI), Z10
	VCVTPS2PD 64(R9), Z14
	VCVTPS2PD 96(SI), Z11
	VCVTPS2PD 96(R9), Z15
	VADDPD Z8, Z0, Z0
	VSUBPD Z16, Z12, Z12
	VMULPD Z12, Z8, Z12
	VADDPD Z12, Z4, Z4
	VADDPD Z9, Z1, Z1
	VSUBPD Z16, Z13, Z13
	VMULPD Z13, Z9, Z13
	VADDPD Z13, Z5, Z5
	VADDPD Z10, Z2, Z2
	VSUBPD Z16, Z14, Z14
	VMULPD Z14, Z10, Z14
	VADDPD Z14, Z6, Z6
	VADDPD Z11, Z3, Z3
	VSUBPD Z16, Z15, Z15
	VMULPD Z15, Z11, Z15
	VADDPD Z15, Z7, Z7
	ADDQ $128, SI
	ADDQ $128, R9
	SUBQ $32, CX
	JMP  bs_loop
bs_tail:
	TESTQ CX, CX
	JLE   bs_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z8
	VCVTPS2PD.Z (R9), K1, Z12
	VADDPD Z8, Z0, K1, Z0
	VSUBPD Z16, Z12, Z12
	VMULPD Z12, Z8, Z12
	VADDPD Z12, Z4, K1, Z4
	ADDQ $32, SI
	ADDQ $32, R9
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   bs_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z8
	VCVTPS2PD.Z (R9), K1, Z12
	VADDPD Z8, Z1, K1, Z1
	VSUBPD Z16, Z12, Z12
	VMULPD Z12, Z8, Z12
	VADDPD Z12, Z5, K1, Z5
	ADDQ $32, SI
	ADDQ $32, R9
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   bs_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z8
	VCVTPS2PD.Z (R9), K1, Z12
	VADDPD Z8, Z2, K1, Z2
	VSUBPD Z16, Z12, Z12
	VMULPD Z12, Z8, Z12
	VADDPD Z12, Z6, K1, Z6
	ADDQ $32, SI
	ADDQ $32, R9
	SUBQ $8, CX
	TESTQ CX, CX
	JLE   bs_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z8
	VCVTPS2PD.Z (R9), K1, Z12
	VADDPD Z8, Z3, K1, Z3
	VSUBPD Z16, Z12, Z12
	VMULPD Z12, Z8, Z12
	VADDPD Z12, Z7, K1, Z7
	ADDQ $32, SI
	ADDQ $32, R9
	SUBQ $8, CX
bs_done:
	STORE_SUMS_DOTS
	VZEROUPPER
	RET

// RELU_GRAD(a, b, zero, x, y, lanes, src, g): the ReLU's input gradient
// of the batch-norm kernels with a ReLU (ReLUMaskBN in bn.go): y = x·a + b
// (each rounded to float32), then g = 0 + src in the lanes of lanes where
// y is not ≤ 0 (positive or NaN: the predicate is ordered) and +0 in the
// others; src is not read in those. zero holds zeros; K2, K3 are used.
#define RELU_GRAD(a, b, zero, x, y, lanes, src, g) \
	VMULPS   a, x, y;             \
	VADDPS   b, y, y;             \
	VCMPPS   $0x12, zero, y, K2;  \
	KANDNW   lanes, K2, K3;       \
	VADDPS.Z src, zero, K3, g

// SUMS_RELU16(off, s0, s1, d0, d1): 16 values of bnBackwardSumsReLUAVX512
// at byte offset off: y = x·a + b (Z17, Z18), g masked to 0 + g where y is
// not ≤ 0 (positive or NaN) and +0 elsewhere (g itself is not written),
// then the masked g and its product with x − mean (mean in Z16) added to
// the partials s0, s1 (sums of the low and high eight) and d0, d1 (dots).
// Z19 is zero, K4 all lanes.
#define SUMS_RELU16(off, s0, s1, d0, d1) \
	VMOVUPS       off(R9), Z8;           \
	RELU_GRAD(Z17, Z18, Z19, Z8, Z9, K4, off(SI), Z10); \
	VCVTPS2PD     Y10, Z11;              \
	VEXTRACTF32X8 $1, Z10, Y12;          \
	VCVTPS2PD     Y12, Z12;              \
	VCVTPS2PD     Y8, Z13;               \
	VEXTRACTF32X8 $1, Z8, Y14;           \
	VCVTPS2PD     Y14, Z14;              \
	VADDPD        Z11, s0, s0;           \
	VADDPD        Z12, s1, s1;           \
	VSUBPD        Z16, Z13, Z13;         \
	VMULPD        Z13, Z11, Z13;         \
	VADDPD        Z13, d0, d0;           \
	VSUBPD        Z16, Z14, Z14;         \
	VMULPD        Z14, Z12, Z14;         \
	VADDPD        Z14, d1, d1

// func bnBackwardSumsReLUAVX512(sum, dot *BNPartials, dy, x *float32, n int, mean float64, a, b float32)
// n is a positive multiple of 32.
TEXT ·bnBackwardSumsReLUAVX512(SB), NOSPLIT, $0-56
	SUMS_START
	VBROADCASTSS a+48(FP), Z17
	VBROADCASTSS b+52(FP), Z18
	VPXORD       Z19, Z19, Z19
	KXNORW       K4, K4, K4

sr_loop:
	SUMS_RELU16(0, Z0, Z1, Z4, Z5)
	SUMS_RELU16(64, Z2, Z3, Z6, Z7)
	ADDQ $128, SI
	ADDQ $128, R9
	SUBQ $32, CX
	JNZ  sr_loop

	STORE_SUMS_DOTS
	VZEROUPPER
	RET

// func bnBackwardDxReLUAVX512(dx, dy, x *float32, n int, mean, gm, proj, scale float64, set bool, a, b float32)
// bnBackwardDxAVX512 with dy masked by RELU_GRAD first: y = x·a + b
// (Y20, Y21) in float32, dy's lanes passed (0 + dy) where y is not ≤ 0 and
// +0 elsewhere (K3), before the float64 arithmetic.
TEXT ·bnBackwardDxReLUAVX512(SB), NOSPLIT, $0-76
	DX_START
	VBROADCASTSS a+68(FP), Y20
	VBROADCASTSS b+72(FP), Y21
	VPXORD       Y22, Y22, Y22

dr_loop:
	TESTQ     CX, CX
	JLE       dr_done
	MASK8
	VMOVUPS.Z (R9), K1, Y3
	RELU_GRAD(Y20, Y21, Y22, Y3, Y4, K1, (SI), Y5)
	VCVTPS2PD Y5, Z0
	VCVTPS2PD Y3, Z1
	DX8(dr_add)
	JMP       dr_loop

dr_done:
	VZEROUPPER
	RET

// func bnAffineAVX512(dst, x *float32, n int, a, b float32, res *float32, act int)
//
// act 0: no activation; 1: ReLU; 2: ReLU6 (the ReLU, then min(6, y) with
// 6 first, so NaN passes as in Clamp).
TEXT ·bnAffineAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
	VBROADCASTSS a+24(FP), Z8
	VBROADCASTSS b+28(FP), Z9
	MOVQ res+32(FP), R8
	MOVQ act+40(FP), R9
	VPXORD Z10, Z10, Z10
	MOVL $0x40c00000, AX // 6.0
	VPBROADCASTD AX, Z11
af_loop:
	CMPQ CX, $64
	JLT  af_tail
	VMULPS 0(SI), Z8, Z0
	VMULPS 64(SI), Z8, Z1
	VMULPS 128(SI), Z8, Z2
	VMULPS 192(SI), Z8, Z3
	VADDPS Z9, Z0, Z0
	VADDPS Z9, Z1, Z1
	VADDPS Z9, Z2, Z2
	VADDPS Z9, Z3, Z3
	TESTQ  R8, R8
	JZ     af_nores
	VADDPS 0(R8), Z0, Z0
	VADDPS 64(R8), Z1, Z1
	VADDPS 128(R8), Z2, Z2
	VADDPS 192(R8), Z3, Z3
	ADDQ   $256, R8
af_nores:
	TESTQ  R9, R9
	JZ     af_store
	// max(0, y) with 0 as the first operand: y's bits (NaN, −0) unless
	// y < 0, as ReLU.
	VMAXPS Z0, Z10, Z0
	VMAXPS Z1, Z10, Z1
	VMAXPS Z2, Z10, Z2
	VMAXPS Z3, Z10, Z3
	CMPQ   R9, $2
	JNE    af_store
	VMINPS Z0, Z11, Z0
	VMINPS Z1, Z11, Z1
	VMINPS Z2, Z11, Z2
	VMINPS Z3, Z11, Z3
af_store:
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ $256, SI
	ADDQ $256, DI
	SUBQ $64, CX
	JMP  af_loop
af_tail:
	TESTQ CX, CX
	JLE   af_done
	MASK16
	VMOVUPS.Z (SI), K1, Z0
	VMULPS Z8, Z0, Z0
	VADDPS Z9, Z0, Z0
	TESTQ  R8, R8
	JZ     af_tnores
	VMOVUPS.Z (R8), K1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ   $64, R8
af_tnores:
	TESTQ  R9, R9
	JZ     af_tstore
	VMAXPS Z0, Z10, Z0
	CMPQ   R9, $2
	JNE    af_tstore
	VMINPS Z0, Z11, Z0
af_tstore:
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  af_tail
af_done:
	VZEROUPPER
	RET

// func bnBackwardDxAVX512(dx, dy, x *float32, n int, mean, gm, proj, scale float64, set bool)
//
// With set, dx is not read: each result is added to +0 instead (what
// clearing dx first would give).
TEXT ·bnBackwardDxAVX512(SB), NOSPLIT, $0-65
	DX_START

dx_loop:
	TESTQ CX, CX
	JLE   dx_done
	MASK8
	VCVTPS2PD.Z (SI), K1, Z0
	VCVTPS2PD.Z (R9), K1, Z1
	DX8(dx_add)
	JMP dx_loop

dx_done:
	VZEROUPPER
	RET
