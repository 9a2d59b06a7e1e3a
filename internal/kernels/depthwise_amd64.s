//go:build !noasm

#include "textflag.h"

// Depthwise row kernels; see dwRowsGo for what they compute and
// depthwise_amd64.go for their contract. Both walk nrows output rows; per
// row they take blocks of 16·v outputs, one ZMM accumulator per 16 (v = 4
// for stride 1, 2 for stride 2, then 1 for the last ≤ 16), start each at
// the bias and add every tap (i, j) with one VFMADD231PS in increasing i,
// then j. Lanes past the row's end are masked, in loads and stores alike.
//
// Registers: DI walks dst and SI src along the row, DX is w, CX counts the
// outputs left in the row, R8 = rows, R9 = kw, R10 = rowStride and R11 =
// colStep in bytes; per block R12 walks the kernel rows, R13 the taps of
// one kernel row, R14 the weights, AX and BX count them. Z31 holds the bias
// in every lane, Z30 the stride-2 gather indices, Z0 the weight of a tap;
// the stride-1 kernel keeps srcStride in bytes in R15 (it reads no globals).

// KMASK sets kreg to the lowest clamp(AX, 0, 16) bits (clobbers AX, BX).
#define KMASK(kreg) \
	XORL    BX, BX;      \
	CMPQ    AX, BX;      \
	CMOVQLT BX, AX;      \
	MOVL    $16, BX;     \
	CMPQ    AX, BX;      \
	CMOVQGT BX, AX;      \
	MOVL    $0xffff, BX; \
	BZHIQ   AX, BX, BX;  \
	KMOVW   BX, kreg

// LOADARGS loads the arguments shared by every row and the bias.
#define LOADARGS \
	MOVQ         w+16(FP), DX;         \
	MOVQ         rows+32(FP), R8;      \
	MOVQ         kw+40(FP), R9;        \
	MOVQ         rowStride+48(FP), R10; \
	SHLQ         $2, R10;              \
	MOVQ         colStep+56(FP), R11;  \
	SHLQ         $2, R11;              \
	VBROADCASTSS bias+88(FP), Z31

// NEXTROW moves dst and src (in the argument slots) on to the next output
// row and loops to label while rows are left.
#define NEXTROW(label) \
	MOVQ dstStride+72(FP), AX; \
	SHLQ $2, AX;               \
	ADDQ AX, dst+0(FP);        \
	MOVQ srcStride+80(FP), AX; \
	SHLQ $2, AX;               \
	ADDQ AX, src+8(FP);        \
	DECQ nrows+64(FP);         \
	JNZ  label

// func dwRowsS1AVX512(dst, src, w *float32, n, rows, kw, rowStride, colStep, nrows, dstStride, srcStride int, bias float32)
TEXT ·dwRowsS1AVX512(SB), NOSPLIT, $0-92
	LOADARGS
	MOVQ srcStride+80(FP), R15
	SHLQ $2, R15

// Pairs of output rows: each accumulator's chain of taps is as long as
// for one row, but twice as many chains run side by side (Z1..Z4 for the
// first row, Z5..Z8 for the second at src + srcStride, dst + dstStride).
s1pair:
	CMPQ nrows+64(FP), $2
	JLT  s1row
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+24(FP), CX

s1pblock:
	CMPQ    CX, $0
	JLE     s1pnext
	MOVQ    CX, AX
	KMASK(K1)
	LEAQ    -16(CX), AX
	KMASK(K2)
	LEAQ    -32(CX), AX
	KMASK(K3)
	LEAQ    -48(CX), AX
	KMASK(K4)
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4
	VMOVAPS Z31, Z5
	VMOVAPS Z31, Z6
	VMOVAPS Z31, Z7
	VMOVAPS Z31, Z8
	MOVQ    SI, R12
	MOVQ    DX, R14
	MOVQ    R8, AX

s1pblockrow:
	MOVQ R12, R13
	MOVQ R9, BX

s1pblocktap:
	VBROADCASTSS (R14), Z0
	VFMADD231PS  (R13), Z0, K1, Z1
	VFMADD231PS  64(R13), Z0, K2, Z2
	VFMADD231PS  128(R13), Z0, K3, Z3
	VFMADD231PS  192(R13), Z0, K4, Z4
	VFMADD231PS  (R13)(R15*1), Z0, K1, Z5
	VFMADD231PS  64(R13)(R15*1), Z0, K2, Z6
	VFMADD231PS  128(R13)(R15*1), Z0, K3, Z7
	VFMADD231PS  192(R13)(R15*1), Z0, K4, Z8
	ADDQ         $4, R14
	ADDQ         R11, R13
	DECQ         BX
	JNZ          s1pblocktap
	ADDQ         R10, R12
	DECQ         AX
	JNZ          s1pblockrow
	VMOVUPS      Z1, K1, (DI)
	VMOVUPS      Z2, K2, 64(DI)
	VMOVUPS      Z3, K3, 128(DI)
	VMOVUPS      Z4, K4, 192(DI)
	MOVQ         dstStride+72(FP), AX
	SHLQ         $2, AX
	VMOVUPS      Z5, K1, (DI)(AX*1)
	VMOVUPS      Z6, K2, 64(DI)(AX*1)
	VMOVUPS      Z7, K3, 128(DI)(AX*1)
	VMOVUPS      Z8, K4, 192(DI)(AX*1)
	ADDQ         $256, SI
	ADDQ         $256, DI
	SUBQ         $64, CX
	JMP          s1pblock

s1pnext:
	MOVQ dstStride+72(FP), AX
	SHLQ $3, AX
	ADDQ AX, dst+0(FP)
	MOVQ R15, AX
	SHLQ $1, AX
	ADDQ AX, src+8(FP)
	SUBQ $2, nrows+64(FP)
	JNZ  s1pair
	VZEROUPPER
	RET

// A single row (the last of an odd count).
s1row:
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+24(FP), CX

s1block:
	CMPQ    CX, $16
	JLE     s1tail
	MOVQ    CX, AX
	KMASK(K1)
	LEAQ    -16(CX), AX
	KMASK(K2)
	LEAQ    -32(CX), AX
	KMASK(K3)
	LEAQ    -48(CX), AX
	KMASK(K4)
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4
	MOVQ    SI, R12
	MOVQ    DX, R14
	MOVQ    R8, AX

s1blockrow:
	MOVQ R12, R13
	MOVQ R9, BX

s1blocktap:
	VBROADCASTSS (R14), Z0
	VFMADD231PS  (R13), Z0, K1, Z1
	VFMADD231PS  64(R13), Z0, K2, Z2
	VFMADD231PS  128(R13), Z0, K3, Z3
	VFMADD231PS  192(R13), Z0, K4, Z4
	ADDQ         $4, R14
	ADDQ         R11, R13
	DECQ         BX
	JNZ          s1blocktap
	ADDQ         R10, R12
	DECQ         AX
	JNZ          s1blockrow
	VMOVUPS      Z1, K1, (DI)
	VMOVUPS      Z2, K2, 64(DI)
	VMOVUPS      Z3, K3, 128(DI)
	VMOVUPS      Z4, K4, 192(DI)
	ADDQ         $256, SI
	ADDQ         $256, DI
	SUBQ         $64, CX
	JMP          s1block

s1tail:
	TESTQ   CX, CX
	JLE     s1next
	MOVQ    CX, AX
	KMASK(K1)
	VMOVAPS Z31, Z1
	MOVQ    SI, R12
	MOVQ    DX, R14
	MOVQ    R8, AX

s1tailrow:
	MOVQ R12, R13
	MOVQ R9, BX

s1tailtap:
	VBROADCASTSS (R14), Z0
	VFMADD231PS  (R13), Z0, K1, Z1
	ADDQ         $4, R14
	ADDQ         R11, R13
	DECQ         BX
	JNZ          s1tailtap
	ADDQ         R10, R12
	DECQ         AX
	JNZ          s1tailrow
	VMOVUPS      Z1, K1, (DI)

s1next:
	NEXTROW(s1row)
	VZEROUPPER
	RET

// Stride 2: output lane l of a vector reads element 2l of the 32 input
// floats from its tap; two loads (masked to the 2·r − 1 floats that r
// outputs need) and VPERMT2PS with the even indices in Z30 gather them.

DATA dwEvenIdx<>+0(SB)/4, $0
DATA dwEvenIdx<>+4(SB)/4, $2
DATA dwEvenIdx<>+8(SB)/4, $4
DATA dwEvenIdx<>+12(SB)/4, $6
DATA dwEvenIdx<>+16(SB)/4, $8
DATA dwEvenIdx<>+20(SB)/4, $10
DATA dwEvenIdx<>+24(SB)/4, $12
DATA dwEvenIdx<>+28(SB)/4, $14
DATA dwEvenIdx<>+32(SB)/4, $16
DATA dwEvenIdx<>+36(SB)/4, $18
DATA dwEvenIdx<>+40(SB)/4, $20
DATA dwEvenIdx<>+44(SB)/4, $22
DATA dwEvenIdx<>+48(SB)/4, $24
DATA dwEvenIdx<>+52(SB)/4, $26
DATA dwEvenIdx<>+56(SB)/4, $28
DATA dwEvenIdx<>+60(SB)/4, $30
GLOBL dwEvenIdx<>(SB), RODATA|NOPTR, $64

// func dwRowsS2AVX512(dst, src, w *float32, n, rows, kw, rowStride, colStep, nrows, dstStride, srcStride int, bias float32)
TEXT ·dwRowsS2AVX512(SB), NOSPLIT, $0-92
	LOADARGS
	VMOVDQU32 dwEvenIdx<>(SB), Z30

s2row:
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ n+24(FP), CX

// Two vectors: outputs masked by K1, K2; their input floats by K3, K4
// (first vector, low and high half) and K5, K6 (second vector).
s2block:
	CMPQ    CX, $16
	JLE     s2tail
	MOVQ    CX, AX
	KMASK(K1)
	LEAQ    -16(CX), AX
	KMASK(K2)
	LEAQ    -1(CX)(CX*1), AX
	KMASK(K3)
	LEAQ    -17(CX)(CX*1), AX
	KMASK(K4)
	LEAQ    -33(CX)(CX*1), AX
	KMASK(K5)
	LEAQ    -49(CX)(CX*1), AX
	KMASK(K6)
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	MOVQ    SI, R12
	MOVQ    DX, R14
	MOVQ    R8, AX

s2blockrow:
	MOVQ R12, R13
	MOVQ R9, BX

s2blocktap:
	VBROADCASTSS (R14), Z0
	VMOVUPS.Z    (R13), K3, Z5
	VMOVUPS.Z    64(R13), K4, Z6
	VPERMT2PS    Z6, Z30, Z5
	VFMADD231PS  Z5, Z0, Z1
	VMOVUPS.Z    128(R13), K5, Z7
	VMOVUPS.Z    192(R13), K6, Z8
	VPERMT2PS    Z8, Z30, Z7
	VFMADD231PS  Z7, Z0, Z2
	ADDQ         $4, R14
	ADDQ         R11, R13
	DECQ         BX
	JNZ          s2blocktap
	ADDQ         R10, R12
	DECQ         AX
	JNZ          s2blockrow
	VMOVUPS      Z1, K1, (DI)
	VMOVUPS      Z2, K2, 64(DI)
	ADDQ         $256, SI
	ADDQ         $128, DI
	SUBQ         $32, CX
	JMP          s2block

s2tail:
	TESTQ   CX, CX
	JLE     s2next
	MOVQ    CX, AX
	KMASK(K1)
	LEAQ    -1(CX)(CX*1), AX
	KMASK(K3)
	LEAQ    -17(CX)(CX*1), AX
	KMASK(K4)
	VMOVAPS Z31, Z1
	MOVQ    SI, R12
	MOVQ    DX, R14
	MOVQ    R8, AX

s2tailrow:
	MOVQ R12, R13
	MOVQ R9, BX

s2tailtap:
	VBROADCASTSS (R14), Z0
	VMOVUPS.Z    (R13), K3, Z5
	VMOVUPS.Z    64(R13), K4, Z6
	VPERMT2PS    Z6, Z30, Z5
	VFMADD231PS  Z5, Z0, Z1
	ADDQ         $4, R14
	ADDQ         R11, R13
	DECQ         BX
	JNZ          s2tailtap
	ADDQ         R10, R12
	DECQ         AX
	JNZ          s2tailrow
	VMOVUPS      Z1, K1, (DI)

s2next:
	NEXTROW(s2row)
	VZEROUPPER
	RET
