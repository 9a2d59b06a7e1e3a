//go:build !noasm

#include "textflag.h"
#include "tap_amd64.h"

// Tap-broadcast kernels of TabWeightGrad (tapgrad.go). Step j loads the
// transposed output gradient's row j of the tile (32 or 16 output
// channels: Z0, Z1 or Z0), broadcasts each tap's input value from its fixed
// offset off the input pointer DI (offsets 0, 4, 8 bytes plus 0, 1 or 2
// rows of R8 bytes) and adds the products to that tap's accumulators;
// every element of the tile is one chain of VFMADD231PS in increasing j,
// added to g at the end.
//
// The main loops take four steps at a time (quad…): the taps of one
// window row at steps j … j+3 read only the six (3×3 window) or eight
// (5×5) values x[j … j+5] (or j+7) of that row, so each is broadcast once
// and multiplied by the gradient rows of every step that needs it, in
// increasing step order, which leaves each chain as it was: 26 loads for
// the 9×32 tile's 72 multiply-adds instead of 44, 40 for the 18×16 tile's
// 72 instead of 76, 44 for the 25×16 tile's 100 instead of 104. Per image,
// one thread, GFLOP/s (medians of three, interleaved): 16 channels at 32²
// 154 → 174, 32 at 16² 170 → 181, 64 at 8² 161 → 169, 64 at 56² 168 →
// 185, LeNet-5's 5×5 123 → 141. The single steps finish the last k mod 4.
//
// Registers: CX counts steps, SI walks dt (a fixed 128 or 64 bytes per
// step), DI (and R11, the second channel of the 18×16 tile) walk x, R8 is
// the row stride in bytes, R9 walks the rows of g, R10 is g's row stride in
// bytes. The four-step blocks point other registers at the window's
// other rows (QUAD_ROW_… takes one base register per row), and the 25×16
// kernel keeps row 3 in R12 throughout, as no index scale gives 3.

// TAP2(addr, bz, r0, r1): broadcast the tap's value at addr into bz and
// add its products with Z0, Z1 to r0, r1.
#define TAP2(addr, bz, r0, r1) \
	VBROADCASTSS addr, bz;  \
	VFMADD231PS  Z0, bz, r0; \
	VFMADD231PS  Z1, bz, r1

// TAP1(addr, bz, r0): the same with Z0 alone.
#define TAP1(addr, bz, r0) \
	VBROADCASTSS addr, bz; \
	VFMADD231PS  Z0, bz, r0

// TAPS9_1(base, b0, ..., b8, r0, ..., r8): the nine taps of the channel
// at base, tap t broadcast into bt and added into rt (TAP1).
#define TAPS9_1(base, b0, b1, b2, b3, b4, b5, b6, b7, b8, r0, r1, r2, r3, r4, r5, r6, r7, r8) \
	TAP1((base), b0, r0);         \
	TAP1(4(base), b1, r1);        \
	TAP1(8(base), b2, r2);        \
	TAP1((base)(R8*1), b3, r3);   \
	TAP1(4(base)(R8*1), b4, r4);  \
	TAP1(8(base)(R8*1), b5, r5);  \
	TAP1((base)(R8*2), b6, r6);   \
	TAP1(4(base)(R8*2), b7, r7);  \
	TAP1(8(base)(R8*2), b8, r8)

// ADD_ROW2(r0, r1), ADD_ROW1(r0): add the accumulators to the row of g at
// R9 and step R9 to the next row.
#define ADD_ROW2(r0, r1) \
	VADDPS  (R9), r0, r0;   \
	VMOVUPS r0, (R9);       \
	VADDPS  64(R9), r1, r1; \
	VMOVUPS r1, 64(R9);     \
	ADDQ    R10, R9

#define ADD_ROW1(r0) \
	VADDPS  (R9), r0, r0; \
	VMOVUPS r0, (R9);     \
	ADDQ    R10, R9


// ADD_ROWS1_Z14_Z31 adds Z14..Z31 to 18 rows of g from R9 (ADD_ROW1).
#define ADD_ROWS1_Z14_Z31 \
	ADD_ROW1(Z14); ADD_ROW1(Z15); ADD_ROW1(Z16); ADD_ROW1(Z17); ADD_ROW1(Z18); ADD_ROW1(Z19); \
	ADD_ROW1(Z20); ADD_ROW1(Z21); ADD_ROW1(Z22); ADD_ROW1(Z23); ADD_ROW1(Z24); ADD_ROW1(Z25); \
	ADD_ROW1(Z26); ADD_ROW1(Z27); ADD_ROW1(Z28); ADD_ROW1(Z29); ADD_ROW1(Z30); ADD_ROW1(Z31)

// QUAD_ROW_9x32(xb, …), QUAD_ROW_18x16(xb, …), QUAD_ROW_25x16(xb, …): one
// window row of a four-step block (quad…): the row's values at xb, 4 bytes
// apart, each broadcast once and multiplied by the gradient rows of the
// steps (Z0… in step order) whose taps reach it, into the accumulators of
// the row's taps (named in kx order).
#define QUAD_ROW_9x32(xb, a0, a1, b0, b1, c0, c1) \
	VBROADCASTSS (xb), Z8; \
	VFMADD231PS Z0, Z8, a0; \
	VFMADD231PS Z1, Z8, a1; \
	VBROADCASTSS 4(xb), Z9; \
	VFMADD231PS Z0, Z9, b0; \
	VFMADD231PS Z1, Z9, b1; \
	VFMADD231PS Z2, Z9, a0; \
	VFMADD231PS Z3, Z9, a1; \
	VBROADCASTSS 8(xb), Z10; \
	VFMADD231PS Z0, Z10, c0; \
	VFMADD231PS Z1, Z10, c1; \
	VFMADD231PS Z2, Z10, b0; \
	VFMADD231PS Z3, Z10, b1; \
	VFMADD231PS Z4, Z10, a0; \
	VFMADD231PS Z5, Z10, a1; \
	VBROADCASTSS 12(xb), Z11; \
	VFMADD231PS Z2, Z11, c0; \
	VFMADD231PS Z3, Z11, c1; \
	VFMADD231PS Z4, Z11, b0; \
	VFMADD231PS Z5, Z11, b1; \
	VFMADD231PS Z6, Z11, a0; \
	VFMADD231PS Z7, Z11, a1; \
	VBROADCASTSS 16(xb), Z12; \
	VFMADD231PS Z4, Z12, c0; \
	VFMADD231PS Z5, Z12, c1; \
	VFMADD231PS Z6, Z12, b0; \
	VFMADD231PS Z7, Z12, b1; \
	VBROADCASTSS 20(xb), Z13; \
	VFMADD231PS Z6, Z13, c0; \
	VFMADD231PS Z7, Z13, c1

#define QUAD_ROW_18x16(xb, a, b, c) \
	VBROADCASTSS (xb), Z4; \
	VFMADD231PS Z0, Z4, a; \
	VBROADCASTSS 4(xb), Z5; \
	VFMADD231PS Z0, Z5, b; \
	VFMADD231PS Z1, Z5, a; \
	VBROADCASTSS 8(xb), Z6; \
	VFMADD231PS Z0, Z6, c; \
	VFMADD231PS Z1, Z6, b; \
	VFMADD231PS Z2, Z6, a; \
	VBROADCASTSS 12(xb), Z7; \
	VFMADD231PS Z1, Z7, c; \
	VFMADD231PS Z2, Z7, b; \
	VFMADD231PS Z3, Z7, a; \
	VBROADCASTSS 16(xb), Z8; \
	VFMADD231PS Z2, Z8, c; \
	VFMADD231PS Z3, Z8, b; \
	VBROADCASTSS 20(xb), Z9; \
	VFMADD231PS Z3, Z9, c

#define QUAD_ROW_25x16(xb, a, b, c, d, e) \
	VBROADCASTSS (xb), Z4; \
	VFMADD231PS Z0, Z4, a; \
	VBROADCASTSS 4(xb), Z5; \
	VFMADD231PS Z0, Z5, b; \
	VFMADD231PS Z1, Z5, a; \
	VBROADCASTSS 8(xb), Z6; \
	VFMADD231PS Z0, Z6, c; \
	VFMADD231PS Z1, Z6, b; \
	VFMADD231PS Z2, Z6, a; \
	VBROADCASTSS 12(xb), Z4; \
	VFMADD231PS Z0, Z4, d; \
	VFMADD231PS Z1, Z4, c; \
	VFMADD231PS Z2, Z4, b; \
	VFMADD231PS Z3, Z4, a; \
	VBROADCASTSS 16(xb), Z5; \
	VFMADD231PS Z0, Z5, e; \
	VFMADD231PS Z1, Z5, d; \
	VFMADD231PS Z2, Z5, c; \
	VFMADD231PS Z3, Z5, b; \
	VBROADCASTSS 20(xb), Z6; \
	VFMADD231PS Z1, Z6, e; \
	VFMADD231PS Z2, Z6, d; \
	VFMADD231PS Z3, Z6, c; \
	VBROADCASTSS 24(xb), Z4; \
	VFMADD231PS Z2, Z4, e; \
	VFMADD231PS Z3, Z4, d; \
	VBROADCASTSS 28(xb), Z5; \
	VFMADD231PS Z3, Z5, e

// func tapGrad9x32AVX512(k int, dt *float32, x *float32, r int, gt *float32, ldg int)
// Tap t's accumulators: Z(14+2t), Z(15+2t).
TEXT ·tapGrad9x32AVX512(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ dt+8(FP), SI
	MOVQ x+16(FP), DI
	MOVQ r+24(FP), R8
	SHLQ $2, R8
	MOVQ gt+32(FP), R9
	MOVQ ldg+40(FP), R10
	SHLQ $2, R10
	ZERO_Z14_Z31

quad9x32:
	CMPQ CX, $4
	JLT  tail9x32
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMOVUPS 256(SI), Z4
	VMOVUPS 320(SI), Z5
	VMOVUPS 384(SI), Z6
	VMOVUPS 448(SI), Z7
	LEAQ (DI)(R8*1), BX
	LEAQ (DI)(R8*2), R11
	QUAD_ROW_9x32(DI, Z14, Z15, Z16, Z17, Z18, Z19)
	QUAD_ROW_9x32(BX, Z20, Z21, Z22, Z23, Z24, Z25)
	QUAD_ROW_9x32(R11, Z26, Z27, Z28, Z29, Z30, Z31)
	ADDQ $512, SI
	ADDQ $16, DI
	SUBQ $4, CX
	JMP  quad9x32
tail9x32:
	TESTQ CX, CX
	JZ    done9x32

loop9x32:
	VMOVUPS      (SI), Z0
	VMOVUPS      64(SI), Z1
	TAP2((DI), Z2, Z14, Z15)
	TAP2(4(DI), Z3, Z16, Z17)
	TAP2(8(DI), Z4, Z18, Z19)
	TAP2((DI)(R8*1), Z5, Z20, Z21)
	TAP2(4(DI)(R8*1), Z6, Z22, Z23)
	TAP2(8(DI)(R8*1), Z7, Z24, Z25)
	TAP2((DI)(R8*2), Z8, Z26, Z27)
	TAP2(4(DI)(R8*2), Z9, Z28, Z29)
	TAP2(8(DI)(R8*2), Z10, Z30, Z31)
	ADDQ         $128, SI
	ADDQ         $4, DI
	DECQ         CX
	JNZ          loop9x32

done9x32:
	ADD_ROW2(Z14, Z15)
	ADD_ROW2(Z16, Z17)
	ADD_ROW2(Z18, Z19)
	ADD_ROW2(Z20, Z21)
	ADD_ROW2(Z22, Z23)
	ADD_ROW2(Z24, Z25)
	ADD_ROW2(Z26, Z27)
	ADD_ROW2(Z28, Z29)
	ADD_ROW2(Z30, Z31)
	VZEROUPPER
	RET

// func tapGrad18x16AVX512(k int, dt *float32, x *float32, r int, plane int, gt *float32, ldg int)
// Row t's accumulator: Z(14+t); the second channel's plane at R11.
TEXT ·tapGrad18x16AVX512(SB), NOSPLIT, $0-56
	MOVQ k+0(FP), CX
	MOVQ dt+8(FP), SI
	MOVQ x+16(FP), DI
	MOVQ r+24(FP), R8
	SHLQ $2, R8
	MOVQ plane+32(FP), R11
	LEAQ (DI)(R11*4), R11
	MOVQ gt+40(FP), R9
	MOVQ ldg+48(FP), R10
	SHLQ $2, R10
	ZERO_Z14_Z31

quad18x16:
	CMPQ CX, $4
	JLT  tail18x16
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	LEAQ (DI)(R8*1), AX
	LEAQ (DI)(R8*2), BX
	LEAQ (R11)(R8*1), DX
	LEAQ (R11)(R8*2), R12
	QUAD_ROW_18x16(DI, Z14, Z15, Z16)
	QUAD_ROW_18x16(AX, Z17, Z18, Z19)
	QUAD_ROW_18x16(BX, Z20, Z21, Z22)
	QUAD_ROW_18x16(R11, Z23, Z24, Z25)
	QUAD_ROW_18x16(DX, Z26, Z27, Z28)
	QUAD_ROW_18x16(R12, Z29, Z30, Z31)
	ADDQ $256, SI
	ADDQ $16, DI
	ADDQ $16, R11
	SUBQ $4, CX
	JMP  quad18x16
tail18x16:
	TESTQ CX, CX
	JZ    done18x16

loop18x16:
	VMOVUPS (SI), Z0
	TAPS9_1(DI, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z14, Z15, Z16, Z17, Z18, Z19, Z20, Z21, Z22)
	TAPS9_1(R11, Z10, Z11, Z12, Z13, Z1, Z2, Z3, Z4, Z5, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31)
	ADDQ    $64, SI
	ADDQ    $4, DI
	ADDQ    $4, R11
	DECQ    CX
	JNZ     loop18x16

done18x16:
	ADD_ROWS1_Z14_Z31
	VZEROUPPER
	RET

// func tapGrad25x16AVX512(k int, dt *float32, x *float32, w int, gt *float32, ldg int)
// The 25 taps of a 5×5 window against 16 output channels (ValidWeightGrad5x5):
// tap ky·5+kx reads x at ky rows of w floats and kx floats off DI (row 3
// from R12 = DI + 3 rows, as no scale gives 3); its accumulator is Z(7+t).
TEXT ·tapGrad25x16AVX512(SB), NOSPLIT, $0-48
	MOVQ k+0(FP), CX
	MOVQ dt+8(FP), SI
	MOVQ x+16(FP), DI
	MOVQ w+24(FP), R8
	SHLQ $2, R8
	LEAQ (R8)(R8*2), R12
	ADDQ DI, R12
	MOVQ gt+32(FP), R9
	MOVQ ldg+40(FP), R10
	SHLQ $2, R10
	ZERO(Z7)
	ZERO(Z8)
	ZERO(Z9)
	ZERO(Z10)
	ZERO(Z11)
	ZERO(Z12)
	ZERO(Z13)
	ZERO_Z14_Z31

quad25x16:
	CMPQ CX, $4
	JLT  tail25x16
	VMOVUPS 0(SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	LEAQ (DI)(R8*1), BX
	LEAQ (DI)(R8*2), R11
	LEAQ (DI)(R8*4), R13
	QUAD_ROW_25x16(DI, Z7, Z8, Z9, Z10, Z11)
	QUAD_ROW_25x16(BX, Z12, Z13, Z14, Z15, Z16)
	QUAD_ROW_25x16(R11, Z17, Z18, Z19, Z20, Z21)
	QUAD_ROW_25x16(R12, Z22, Z23, Z24, Z25, Z26)
	QUAD_ROW_25x16(R13, Z27, Z28, Z29, Z30, Z31)
	ADDQ $256, SI
	ADDQ $16, DI
	ADDQ $16, R12
	SUBQ $4, CX
	JMP  quad25x16
tail25x16:
	TESTQ CX, CX
	JZ    done25x16

loop25x16:
	VMOVUPS (SI), Z0
	TAP1((DI), Z1, Z7)
	TAP1(4(DI), Z2, Z8)
	TAP1(8(DI), Z3, Z9)
	TAP1(12(DI), Z4, Z10)
	TAP1(16(DI), Z5, Z11)
	TAP1((DI)(R8*1), Z6, Z12)
	TAP1(4(DI)(R8*1), Z1, Z13)
	TAP1(8(DI)(R8*1), Z2, Z14)
	TAP1(12(DI)(R8*1), Z3, Z15)
	TAP1(16(DI)(R8*1), Z4, Z16)
	TAP1((DI)(R8*2), Z5, Z17)
	TAP1(4(DI)(R8*2), Z6, Z18)
	TAP1(8(DI)(R8*2), Z1, Z19)
	TAP1(12(DI)(R8*2), Z2, Z20)
	TAP1(16(DI)(R8*2), Z3, Z21)
	TAP1((R12), Z4, Z22)
	TAP1(4(R12), Z5, Z23)
	TAP1(8(R12), Z6, Z24)
	TAP1(12(R12), Z1, Z25)
	TAP1(16(R12), Z2, Z26)
	TAP1((DI)(R8*4), Z3, Z27)
	TAP1(4(DI)(R8*4), Z4, Z28)
	TAP1(8(DI)(R8*4), Z5, Z29)
	TAP1(12(DI)(R8*4), Z6, Z30)
	TAP1(16(DI)(R8*4), Z1, Z31)
	ADDQ $64, SI
	ADDQ $4, DI
	ADDQ $4, R12
	DECQ CX
	JNZ  loop25x16

done25x16:

	ADD_ROW1(Z7)
	ADD_ROW1(Z8)
	ADD_ROW1(Z9)
	ADD_ROW1(Z10)
	ADD_ROW1(Z11)
	ADD_ROW1(Z12)
	ADD_ROW1(Z13)
	ADD_ROWS1_Z14_Z31
	VZEROUPPER
	RET
