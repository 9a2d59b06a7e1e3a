// Steps of the 12×32 and 8×32 AVX-512 SGEMM micro-kernels, shared by
// kernel_amd64.s, kernel8_amd64.s and fused_amd64.s (#include "gemm_amd64.h"),
// and the alpha/beta row update of C of the first two (and of the AVX2 kernel).
//
// One step p multiplies the row of B in Z0, Z1 (32 floats) by column p of
// the A micro-panel at AX + ao (mr floats, broadcast in turn into Z2..Z7)
// and adds the products to the tile: the 12×32 tile lives in Z8..Z31 (row
// i in Z(8+2i), Z(9+2i)), the 8×32 one in Z16..Z31 (row i in Z(16+2i),
// Z(17+2i)). Every C element is one chain of VFMADD231PS in increasing p,
// whichever kernel runs it.

// FMA_ROW(off, bz, r0, r1): row i of a step: broadcast A's element at
// off(AX) into bz and add its products with the B row (Z0, Z1) to the
// row's accumulators r0, r1.
#define FMA_ROW(off, bz, r0, r1) \
	VBROADCASTSS off(AX), bz; \
	VFMADD231PS  Z0, bz, r0;  \
	VFMADD231PS  Z1, bz, r1

// FMA_12x32(ao), FMA_8x32(ao): the broadcasts and multiply-adds of a step
// whose B row is already in Z0, Z1.
#define FMA_8x32(ao)                  \
	FMA_ROW(ao+0, Z2, Z16, Z17);  \
	FMA_ROW(ao+4, Z3, Z18, Z19);  \
	FMA_ROW(ao+8, Z4, Z20, Z21);  \
	FMA_ROW(ao+12, Z5, Z22, Z23); \
	FMA_ROW(ao+16, Z6, Z24, Z25); \
	FMA_ROW(ao+20, Z7, Z26, Z27); \
	FMA_ROW(ao+24, Z2, Z28, Z29); \
	FMA_ROW(ao+28, Z3, Z30, Z31)

// The 12-row step: rows 0–3 into Z8..Z15, then rows 4–11 as the 8-row
// step's rows 0–7.
#define FMA_12x32(ao)                 \
	FMA_ROW(ao+0, Z2, Z8, Z9);    \
	FMA_ROW(ao+4, Z3, Z10, Z11);  \
	FMA_ROW(ao+8, Z4, Z12, Z13);  \
	FMA_ROW(ao+12, Z5, Z14, Z15); \
	FMA_8x32(ao+16)

// ZERO_12x32, ZERO_8x32: clear the tile's accumulators (ROWS_LO, ROWS_HI
// below).
#define ZERO_ROW(r0, r1)    \
	VPXORD r0, r0, r0; \
	VPXORD r1, r1, r1

#define ZERO_8x32 ROWS_HI(ZERO_ROW)
#define ZERO_12x32 ROWS_LO(ZERO_ROW); ZERO_8x32

// STEP_12x32(ao, bo), STEP_8x32(ao, bo): a whole step on a packed B panel
// (rows 32 floats apart, zero-padded past its columns) at BX + bo: two
// unmasked loads at fixed offsets. The pointers move once per group of
// steps (STEP4_12x32, STEP4_8x32 below), keeping integer additions off
// the FMA ports.
#define STEP_12x32(ao, bo) \
	VMOVUPS bo(BX), Z0;    \
	VMOVUPS bo+64(BX), Z1; \
	FMA_12x32(ao)

#define STEP_8x32(ao, bo) \
	VMOVUPS bo(BX), Z0;    \
	VMOVUPS bo+64(BX), Z1; \
	FMA_8x32(ao)

// STEP4(STEP, a1, a2, a3, a4): four steps STEP on a packed B panel, the
// A micro-panel's columns at AX + 0, a1, a2, a3, then AX moves by a4 and
// BX past the four rows of B. STEP4_12x32, STEP4_8x32: the unrolled
// loops of the packed kernels.
#define STEP4(STEP, a1, a2, a3, a4) \
	STEP(0, 0);                  \
	STEP(a1, 128);               \
	STEP(a2, 256);               \
	STEP(a3, 384);               \
	ADDQ $a4, AX;                \
	ADDQ $512, BX

#define STEP4_12x32 STEP4(STEP_12x32, 48, 96, 144, 192)
#define STEP4_8x32 STEP4(STEP_8x32, 32, 64, 96, 128)

// ALPHA_ROW(al, w, r0, r1), ALPHA_BETA_ROW(al, be, t0, t1, w, r0, r1): the
// alpha/beta update of one row of C at DI from the accumulators r0, r1 (w
// bytes each), then DI steps by ldc (DX). ALPHA_ROW writes alpha·acc
// (alpha in al); ALPHA_BETA_ROW writes alpha·acc + beta·C (beta in be; t0
// and t1 are scratch), each product rounded on its own.
#define ALPHA_ROW(al, w, r0, r1) \
	VMULPS  al, r0, r0;  \
	VMULPS  al, r1, r1;  \
	VMOVUPS r0, (DI);    \
	VMOVUPS r1, w(DI);   \
	ADDQ    DX, DI

#define ALPHA_BETA_ROW(al, be, t0, t1, w, r0, r1) \
	VMULPS  al, r0, r0;    \
	VMULPS  (DI), be, t0;  \
	VADDPS  t0, r0, r0;    \
	VMOVUPS r0, (DI);      \
	VMULPS  al, r1, r1;    \
	VMULPS  w(DI), be, t1; \
	VADDPS  t1, r1, r1;    \
	VMOVUPS r1, w(DI);     \
	ADDQ    DX, DI

// STORE_Z, STOREB_Z: the AVX-512 kernels' rows (alpha in Z2, beta in Z3);
// STORE_Y, STOREB_Y: the AVX2 kernel's (alpha in Y2, beta in Y3).
#define STORE_Z(r0, r1) ALPHA_ROW(Z2, 64, r0, r1)
#define STOREB_Z(r0, r1) ALPHA_BETA_ROW(Z2, Z3, Z0, Z1, 64, r0, r1)
#define STORE_Y(r0, r1) ALPHA_ROW(Y2, 32, r0, r1)
#define STOREB_Y(r0, r1) ALPHA_BETA_ROW(Y2, Y3, Y0, Y1, 32, r0, r1)

// The fused-epilogue kernels (fused_amd64.s, kernel16_amd64.s):
// tileEpilogue's field offsets (epilogue_amd64.go), and ReLU, ReLU6 on two
// accumulators: RELU_ROW takes max(0, v) with 0 in Z0 as the first source
// (NaN and −0 pass, as in ApplyAct), MIN6_ROW min(6, v) with 6 in Z1.
#define EP_BIAS 0
#define EP_RES 8
#define EP_LDR 16
#define EP_ACT 24

#define RELU_ROW(r0, r1)  \
	VMAXPS r0, Z0, r0; \
	VMAXPS r1, Z0, r1

#define MIN6_ROW(r0, r1)  \
	VMINPS r0, Z1, r0; \
	VMINPS r1, Z1, r1

// ROWS_LO(M), ROWS_HI(M): the macro M(r0, r1) for each row of a tile in
// Z8..Z15 (rows 0–3 of the 12-row tiles) and in Z16..Z31 (the 8-row tiles,
// and rows 4–11 of the 12-row ones).
#define ROWS_LO(M) M(Z8, Z9); M(Z10, Z11); M(Z12, Z13); M(Z14, Z15)
#define ROWS_HI(M) M(Z16, Z17); M(Z18, Z19); M(Z20, Z21); M(Z22, Z23); M(Z24, Z25); M(Z26, Z27); M(Z28, Z29); M(Z30, Z31)

// PREFETCH_C_LINES(r0, r1): fetch both cache lines of the C row at R10
// into L1 and step R10 by ldc (DX); r0, r1 only let ROWS_LO and ROWS_HI
// count the rows.
#define PREFETCH_C_LINES(r0, r1) \
	PREFETCHT0 (R10);         \
	PREFETCHT0 64(R10);       \
	ADDQ       DX, R10
