// Steps of the 12×32 and 8×32 AVX-512 SGEMM micro-kernels, shared by
// kernel_amd64.s, kernel8_amd64.s and fused_amd64.s (#include "gemm_amd64.h"),
// and the alpha/beta row update of C of the first two.
//
// One step p multiplies the row of B in Z0, Z1 (32 floats) by column p of
// the A micro-panel at AX + ao (mr floats, broadcast in turn into Z2..Z7)
// and adds the products to the tile: the 12×32 tile lives in Z8..Z31 (row
// i in Z(8+2i), Z(9+2i)), the 8×32 one in Z16..Z31 (row i in Z(16+2i),
// Z(17+2i)). Every C element is one chain of VFMADD231PS in increasing p,
// whichever kernel runs it.

// FMA_12x32(ao), FMA_8x32(ao): the broadcasts and multiply-adds of a step
// whose B row is already in Z0, Z1.
#define FMA_12x32(ao) \
	VBROADCASTSS ao+0(AX), Z2; \
	VFMADD231PS  Z0, Z2, Z8; \
	VFMADD231PS  Z1, Z2, Z9; \
	VBROADCASTSS ao+4(AX), Z3; \
	VFMADD231PS  Z0, Z3, Z10; \
	VFMADD231PS  Z1, Z3, Z11; \
	VBROADCASTSS ao+8(AX), Z4; \
	VFMADD231PS  Z0, Z4, Z12; \
	VFMADD231PS  Z1, Z4, Z13; \
	VBROADCASTSS ao+12(AX), Z5; \
	VFMADD231PS  Z0, Z5, Z14; \
	VFMADD231PS  Z1, Z5, Z15; \
	VBROADCASTSS ao+16(AX), Z6; \
	VFMADD231PS  Z0, Z6, Z16; \
	VFMADD231PS  Z1, Z6, Z17; \
	VBROADCASTSS ao+20(AX), Z7; \
	VFMADD231PS  Z0, Z7, Z18; \
	VFMADD231PS  Z1, Z7, Z19; \
	VBROADCASTSS ao+24(AX), Z2; \
	VFMADD231PS  Z0, Z2, Z20; \
	VFMADD231PS  Z1, Z2, Z21; \
	VBROADCASTSS ao+28(AX), Z3; \
	VFMADD231PS  Z0, Z3, Z22; \
	VFMADD231PS  Z1, Z3, Z23; \
	VBROADCASTSS ao+32(AX), Z4; \
	VFMADD231PS  Z0, Z4, Z24; \
	VFMADD231PS  Z1, Z4, Z25; \
	VBROADCASTSS ao+36(AX), Z5; \
	VFMADD231PS  Z0, Z5, Z26; \
	VFMADD231PS  Z1, Z5, Z27; \
	VBROADCASTSS ao+40(AX), Z6; \
	VFMADD231PS  Z0, Z6, Z28; \
	VFMADD231PS  Z1, Z6, Z29; \
	VBROADCASTSS ao+44(AX), Z7; \
	VFMADD231PS  Z0, Z7, Z30; \
	VFMADD231PS  Z1, Z7, Z31

#define FMA_8x32(ao) \
	VBROADCASTSS ao+0(AX), Z2; \
	VFMADD231PS  Z0, Z2, Z16; \
	VFMADD231PS  Z1, Z2, Z17; \
	VBROADCASTSS ao+4(AX), Z3; \
	VFMADD231PS  Z0, Z3, Z18; \
	VFMADD231PS  Z1, Z3, Z19; \
	VBROADCASTSS ao+8(AX), Z4; \
	VFMADD231PS  Z0, Z4, Z20; \
	VFMADD231PS  Z1, Z4, Z21; \
	VBROADCASTSS ao+12(AX), Z5; \
	VFMADD231PS  Z0, Z5, Z22; \
	VFMADD231PS  Z1, Z5, Z23; \
	VBROADCASTSS ao+16(AX), Z6; \
	VFMADD231PS  Z0, Z6, Z24; \
	VFMADD231PS  Z1, Z6, Z25; \
	VBROADCASTSS ao+20(AX), Z7; \
	VFMADD231PS  Z0, Z7, Z26; \
	VFMADD231PS  Z1, Z7, Z27; \
	VBROADCASTSS ao+24(AX), Z2; \
	VFMADD231PS  Z0, Z2, Z28; \
	VFMADD231PS  Z1, Z2, Z29; \
	VBROADCASTSS ao+28(AX), Z3; \
	VFMADD231PS  Z0, Z3, Z30; \
	VFMADD231PS  Z1, Z3, Z31

// ZERO_12x32, ZERO_8x32: clear the tile's accumulators.
#define ZERO_8x32 \
	VPXORD Z16, Z16, Z16; \
	VPXORD Z17, Z17, Z17; \
	VPXORD Z18, Z18, Z18; \
	VPXORD Z19, Z19, Z19; \
	VPXORD Z20, Z20, Z20; \
	VPXORD Z21, Z21, Z21; \
	VPXORD Z22, Z22, Z22; \
	VPXORD Z23, Z23, Z23; \
	VPXORD Z24, Z24, Z24; \
	VPXORD Z25, Z25, Z25; \
	VPXORD Z26, Z26, Z26; \
	VPXORD Z27, Z27, Z27; \
	VPXORD Z28, Z28, Z28; \
	VPXORD Z29, Z29, Z29; \
	VPXORD Z30, Z30, Z30; \
	VPXORD Z31, Z31, Z31

#define ZERO_12x32 \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15; \
	ZERO_8x32

// STEP_12x32(ao, bo), STEP_8x32(ao, bo): a whole step on a packed B panel
// (rows 32 floats apart, zero-padded past its columns) at BX + bo: two
// unmasked loads at fixed offsets. The pointers move once per group of
// steps (ADVANCE_12x32 in kernel_amd64.s), keeping integer additions off
// the FMA ports.
#define STEP_12x32(ao, bo) \
	VMOVUPS bo(BX), Z0;    \
	VMOVUPS bo+64(BX), Z1; \
	FMA_12x32(ao)

#define STEP_8x32(ao, bo) \
	VMOVUPS bo(BX), Z0;    \
	VMOVUPS bo+64(BX), Z1; \
	FMA_8x32(ao)

// STORE_Z(r0, r1), STOREB_Z(r0, r1): the alpha/beta update of one row of
// C at DI from the accumulators r0, r1, then DI steps by ldc (DX).
// Row of C = alpha·acc (alpha in Z2), then the next row.
#define STORE_Z(r0, r1) \
	VMULPS  Z2, r0, r0;  \
	VMULPS  Z2, r1, r1;  \
	VMOVUPS r0, (DI);    \
	VMOVUPS r1, 64(DI);  \
	ADDQ    DX, DI

// Row of C = alpha·acc + beta·C (alpha in Z2, beta in Z3), each product
// rounded on its own, then the next row.
#define STOREB_Z(r0, r1) \
	VMULPS  Z2, r0, r0;     \
	VMULPS  (DI), Z3, Z0;   \
	VADDPS  Z0, r0, r0;     \
	VMOVUPS r0, (DI);       \
	VMULPS  Z2, r1, r1;     \
	VMULPS  64(DI), Z3, Z1; \
	VADDPS  Z1, r1, r1;     \
	VMOVUPS r1, 64(DI);     \
	ADDQ    DX, DI

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
