//go:build !noasm

#include "textflag.h"
#include "gemm_amd64.h"

// sgemm12x16EpAVX512: sgemm12x32EpAVX512 (fused_amd64.s) for tiles of
// at most 16 columns, reading only the first 16 columns of each packed B
// row (the panel keeps its 32-column layout) and so doing half the work:
// the last tile of a product whose width leaves ≤ 16 columns over (a
// Winograd product of 16 tiles, 196 = 6·32 + 4 pixels). The tile lives in
// Z8..Z19, row i in Z(8+i); every element is the same chain of fused
// multiply-adds as in the 32-column kernel, so results are identical.

// PFA16 is the A prefetch distance of the main loop (see PFA in
// fused_amd64.s): this kernel walks A twice as fast per FMA, so twice as
// far. A Winograd product of 16 tiles uses each 12 KiB weight panel for one
// tile only. ResNet-50 b1 1t, 3 interleaved rounds: 50.6–52.2 →
// 47.4–49.8 ms.
#define PFA16 2048

#define N16_STEP(ao, bo) \
	VMOVUPS      bo(BX), Z0; \
	VBROADCASTSS ao+0(AX), Z2; \
	VFMADD231PS  Z0, Z2, Z8; \
	VBROADCASTSS ao+4(AX), Z3; \
	VFMADD231PS  Z0, Z3, Z9; \
	VBROADCASTSS ao+8(AX), Z4; \
	VFMADD231PS  Z0, Z4, Z10; \
	VBROADCASTSS ao+12(AX), Z5; \
	VFMADD231PS  Z0, Z5, Z11; \
	VBROADCASTSS ao+16(AX), Z6; \
	VFMADD231PS  Z0, Z6, Z12; \
	VBROADCASTSS ao+20(AX), Z7; \
	VFMADD231PS  Z0, Z7, Z13; \
	VBROADCASTSS ao+24(AX), Z2; \
	VFMADD231PS  Z0, Z2, Z14; \
	VBROADCASTSS ao+28(AX), Z3; \
	VFMADD231PS  Z0, Z3, Z15; \
	VBROADCASTSS ao+32(AX), Z4; \
	VFMADD231PS  Z0, Z4, Z16; \
	VBROADCASTSS ao+36(AX), Z5; \
	VFMADD231PS  Z0, Z5, Z17; \
	VBROADCASTSS ao+40(AX), Z6; \
	VFMADD231PS  Z0, Z6, Z18; \
	VBROADCASTSS ao+44(AX), Z7; \
	VFMADD231PS  Z0, Z7, Z19

// func sgemm12x16EpAVX512(kc int, a, b, c *float32, ldc int, beta int, ep *tileEpilogue, cols int)
// One row of the 12×16 tile (one register, columns under K1) in the
// epilogue: ADD_ROW16 adds the row at R10 and steps R10 by stride,
// BIAS_ROW16 adds the bias at off(SI), STORE_ROW16 stores at DI and steps
// DI by ldc (DX).
#define ADD_ROW16(stride, r)    \
	VMOVUPS.Z (R10), K1, Z0; \
	VADDPS    Z0, r, r;      \
	ADDQ      stride, R10

#define BIAS_ROW16(off, r)        \
	VBROADCASTSS off(SI), Z0; \
	VADDPS       Z0, r, r

#define STORE_ROW16(r)       \
	VMOVUPS r, K1, (DI); \
	ADDQ    DX, DI

// ROWS16(M): the macro M(r) for each row of the tile, Z8..Z19; the row
// steps M takes with it: ADD_ROW16 with the stride of C or of the
// residual, and the C tile's prefetch (one line per row, R10 stepping by
// ldc).
#define ROWS16(M) M(Z8); M(Z9); M(Z10); M(Z11); M(Z12); M(Z13); M(Z14); M(Z15); M(Z16); M(Z17); M(Z18); M(Z19)
#define ADD16_C(r) ADD_ROW16(DX, r)
#define ADD16_RES(r) ADD_ROW16(R11, r)
#define PREFETCH16(r)     \
	PREFETCHT0 (R10); \
	ADDQ       DX, R10

TEXT ·sgemm12x16EpAVX512(SB), NOSPLIT, $0-64
	MOVQ  cols+56(FP), CX
	MOVL  $1, R13
	SHLL  CX, R13
	DECL  R13
	KMOVW R13, K1
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	MOVQ DI, R10
	ROWS16(PREFETCH16)
	VPXORD Z8, Z8, Z8
	VPXORD Z9, Z9, Z9
	VPXORD Z10, Z10, Z10
	VPXORD Z11, Z11, Z11
	VPXORD Z12, Z12, Z12
	VPXORD Z13, Z13, Z13
	VPXORD Z14, Z14, Z14
	VPXORD Z15, Z15, Z15
	VPXORD Z16, Z16, Z16
	VPXORD Z17, Z17, Z17
	VPXORD Z18, Z18, Z18
	VPXORD Z19, Z19, Z19
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   n16_tail
n16_loop:
	PREFETCHT0 PFA16(AX)
	PREFETCHT0 PFA16+64(AX)
	PREFETCHT0 PFA16+128(AX)
	N16_STEP(0, 0)
	N16_STEP(48, 128)
	N16_STEP(96, 256)
	N16_STEP(144, 384)
	ADDQ $192, AX
	ADDQ $512, BX
	DECQ R9
	JNZ  n16_loop
n16_tail:
	ANDQ $3, CX
	JZ   n16_beta
n16_step:
	N16_STEP(0, 0)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  n16_step
n16_beta:
	MOVQ beta+40(FP), R9
	TESTQ R9, R9
	JZ   n16_fin
	MOVQ DI, R10
	ROWS16(ADD16_C)
n16_fin:
	MOVQ ep+48(FP), R8
	TESTQ R8, R8
	JZ   n16_store
	MOVQ EP_BIAS(R8), SI
	TESTQ SI, SI
	JZ   n16_nobias
	BIAS_ROW16(0, Z8)
	BIAS_ROW16(4, Z9)
	BIAS_ROW16(8, Z10)
	BIAS_ROW16(12, Z11)
	BIAS_ROW16(16, Z12)
	BIAS_ROW16(20, Z13)
	BIAS_ROW16(24, Z14)
	BIAS_ROW16(28, Z15)
	BIAS_ROW16(32, Z16)
	BIAS_ROW16(36, Z17)
	BIAS_ROW16(40, Z18)
	BIAS_ROW16(44, Z19)
n16_nobias:
	MOVQ EP_RES(R8), R10
	TESTQ R10, R10
	JZ   n16_nores
	MOVQ EP_LDR(R8), R11
	SHLQ $2, R11
	ROWS16(ADD16_RES)
n16_nores:
	MOVQ EP_ACT(R8), R11
	TESTQ R11, R11
	JZ   n16_store
	VPXORD Z0, Z0, Z0
	RELU_ROW(Z8, Z9)
	RELU_ROW(Z10, Z11)
	RELU_ROW(Z12, Z13)
	RELU_ROW(Z14, Z15)
	RELU_ROW(Z16, Z17)
	RELU_ROW(Z18, Z19)
	CMPQ R11, $1
	JEQ  n16_store
	MOVL $0x40c00000, R11 // 6.0
	VPBROADCASTD R11, Z1
	MIN6_ROW(Z8, Z9)
	MIN6_ROW(Z10, Z11)
	MIN6_ROW(Z12, Z13)
	MIN6_ROW(Z14, Z15)
	MIN6_ROW(Z16, Z17)
	MIN6_ROW(Z18, Z19)
n16_store:
	ROWS16(STORE_ROW16)
	VZEROUPPER
	RET
