//go:build !noasm

#include "textflag.h"

// Max-pooling row passes (see eng_pool.go), 16 floats per step.
//
// NaN wins: every running maximum acc is updated as
//
//	K2 = ordered(acc, acc)          // lanes where acc is not NaN
//	acc{K2} = VMAXPS(acc, t)        // t when t > acc is false, i.e. when t is NaN too
//
// so a NaN already in acc stays (the masked-off lanes keep it) and a NaN t
// is taken (VMAXPS returns its second source when either is NaN).

// Indices 0, 2, …, 30: VPERMT2PS picks the even elements of two vectors.
DATA engEvenIdx<>+0(SB)/4, $0
DATA engEvenIdx<>+4(SB)/4, $2
DATA engEvenIdx<>+8(SB)/4, $4
DATA engEvenIdx<>+12(SB)/4, $6
DATA engEvenIdx<>+16(SB)/4, $8
DATA engEvenIdx<>+20(SB)/4, $10
DATA engEvenIdx<>+24(SB)/4, $12
DATA engEvenIdx<>+28(SB)/4, $14
DATA engEvenIdx<>+32(SB)/4, $16
DATA engEvenIdx<>+36(SB)/4, $18
DATA engEvenIdx<>+40(SB)/4, $20
DATA engEvenIdx<>+44(SB)/4, $22
DATA engEvenIdx<>+48(SB)/4, $24
DATA engEvenIdx<>+52(SB)/4, $26
DATA engEvenIdx<>+56(SB)/4, $28
DATA engEvenIdx<>+60(SB)/4, $30
GLOBL engEvenIdx<>(SB), RODATA|NOPTR, $64

// MAXNAN sets acc to the NaN-winning maximum of acc and t (K2 is clobbered).
#define MAXNAN(t, acc) \
	VCMPPS $7, acc, acc, K2; \
	VMAXPS t, acc, K2, acc

// func engMax3AVX512(dst, a, b, c *float32, n int)
//
// The last n%16 elements are loaded and stored under the mask K1, so no
// memory past them is touched.
TEXT ·engMax3AVX512(SB), NOSPLIT, $0-40
	MOVQ  dst+0(FP), DI
	MOVQ  a+8(FP), SI
	MOVQ  b+16(FP), DX
	MOVQ  c+24(FP), R8
	MOVQ  n+32(FP), CX
	XORQ  BX, BX
	MOVL  $0xffff, AX
	KMOVW AX, K1

max3_loop:
	CMPQ  CX, $16
	JGE   max3_body
	TESTQ CX, CX
	JZ    max3_done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	MOVQ  $16, CX

max3_body:
	VMOVUPS.Z (SI)(BX*1), K1, Z0
	VMOVUPS.Z (DX)(BX*1), K1, Z1
	VMOVUPS.Z (R8)(BX*1), K1, Z2
	MAXNAN(Z1, Z0)
	MAXNAN(Z2, Z0)
	VMOVUPS   Z0, K1, (DI)(BX*1)
	ADDQ      $64, BX
	SUBQ      $16, CX
	JMP       max3_loop

max3_done:
	VZEROUPPER
	RET

// func engHMaxS1AVX512(dst, src *float32, n, kw int)
//
// dst[o] = max(src[o], …, src[o+kw−1]): per block of 16 outputs, one
// unaligned load per tap. Whole blocks of src are read (the caller
// guarantees 16·⌈n/16⌉ + kw − 1 elements); the last n%16 outputs are
// stored under the mask K1.
TEXT ·engHMaxS1AVX512(SB), NOSPLIT, $0-32
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  n+16(FP), CX
	MOVQ  kw+24(FP), R9
	MOVL  $0xffff, AX
	KMOVW AX, K1

s1_loop:
	CMPQ  CX, $16
	JGE   s1_body
	TESTQ CX, CX
	JZ    s1_done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	MOVQ  $16, CX

s1_body:
	MOVQ    SI, R10
	MOVQ    R9, R11
	VMOVUPS (R10), Z0

s1_tap:
	DECQ    R11
	JZ      s1_store
	ADDQ    $4, R10
	VMOVUPS (R10), Z1
	MAXNAN(Z1, Z0)
	JMP     s1_tap

s1_store:
	VMOVUPS Z0, K1, (DI)
	ADDQ    $64, DI
	ADDQ    $64, SI
	SUBQ    $16, CX
	JMP     s1_loop

s1_done:
	VZEROUPPER
	RET

// func engHMaxS2AVX512(dst, src *float32, n, kw int)
//
// dst[o] = max(src[2o], …, src[2o+kw−1]): per block of 16 outputs and tap
// j, the 32 floats from src[2·o0 + j] are loaded and their even elements
// picked (VPERMT2PS with engEvenIdx in Z31). Whole blocks of src are read
// (the caller guarantees 32·⌈n/16⌉ + kw − 1 elements); the last n%16
// outputs are stored under the mask K1.
TEXT ·engHMaxS2AVX512(SB), NOSPLIT, $0-32
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    n+16(FP), CX
	MOVQ    kw+24(FP), R9
	VMOVUPS engEvenIdx<>(SB), Z31
	MOVL    $0xffff, AX
	KMOVW   AX, K1

s2_loop:
	CMPQ  CX, $16
	JGE   s2_body
	TESTQ CX, CX
	JZ    s2_done
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	MOVQ  $16, CX

s2_body:
	MOVQ      SI, R10
	MOVQ      R9, R11
	VMOVUPS   (R10), Z0
	VPERMT2PS 64(R10), Z31, Z0

s2_tap:
	DECQ      R11
	JZ        s2_store
	ADDQ      $4, R10
	VMOVUPS   (R10), Z1
	VPERMT2PS 64(R10), Z31, Z1
	MAXNAN(Z1, Z0)
	JMP       s2_tap

s2_store:
	VMOVUPS Z0, K1, (DI)
	ADDQ    $64, DI
	ADDQ    $128, SI
	SUBQ    $16, CX
	JMP     s2_loop

s2_done:
	VZEROUPPER
	RET

// Load a row of up to 32 floats from p into lo, hi: lanes past the row
// (outside K1 and K3) are −Inf (Z31); no memory past the row is read.
#define POOLROW(p, lo, hi) \
	VMOVAPS Z31, lo;       \
	VMOVUPS (p), K1, lo;   \
	VMOVAPS Z31, hi;       \
	VMOVUPS 64(p), K3, hi

// func engMaxPool3x3S1AVX512(x, y *float32, h, w, planes int)
//
// 3×3 max pooling, stride 1, padding 1, of planes consecutive planes
// [h, w] (1 ≤ w ≤ 32) of x into the same shape at y, a whole row in two
// vectors: the vertical maximum of the rows above, at and below (a rolling
// window, each row loaded once), then of each element's left and right
// neighbours within the row (VALIGND, with −Inf shifted in as padding).
TEXT ·engMaxPool3x3S1AVX512(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), SI
	MOVQ y+8(FP), DI
	MOVQ h+16(FP), R8
	MOVQ w+24(FP), R9
	MOVQ planes+32(FP), R10
	// K1: lanes [0, min(w, 16)); K3: lanes [0, w − 16), none when w ≤ 16.
	MOVQ R9, CX
	CMPQ CX, $16
	JLE  mp3_narrow
	MOVL $0xffff, AX
	KMOVW AX, K1
	SUBQ $16, CX
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K3
	JMP  mp3_masks

mp3_narrow:
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1
	KXORW K3, K3, K3

mp3_masks:
	MOVL         $0xff800000, AX // −Inf
	VPBROADCASTD AX, Z31
	MOVQ         R9, R11
	SHLQ         $2, R11         // row stride in bytes
	MOVQ         R8, R12
	IMULQ        R11, R12        // plane stride in bytes

mp3_plane:
	TESTQ   R10, R10
	JZ      mp3_done
	VMOVAPS Z31, Z0 // the row above row 0: padding
	VMOVAPS Z31, Z1
	POOLROW(SI, Z2, Z3)
	LEAQ    (SI)(R11*1), BX // the next row to load
	MOVQ    R8, CX          // rows left
	MOVQ    DI, DX          // output row

mp3_row:
	CMPQ CX, $1
	JLE  mp3_last
	POOLROW(BX, Z4, Z5)
	ADDQ R11, BX
	JMP  mp3_vert

mp3_last:
	VMOVAPS Z31, Z4 // the row below the last: padding
	VMOVAPS Z31, Z5

mp3_vert:
	VMOVAPS Z2, Z6
	VMOVAPS Z3, Z7
	MAXNAN(Z0, Z6)
	MAXNAN(Z4, Z6)
	MAXNAN(Z1, Z7)
	MAXNAN(Z5, Z7)
	// Left neighbours: Z8 = (−Inf, v0…v14), Z9 = (v15, v16…v30);
	// right ones: Z10 = (v1…v15, v16), Z11 = (v17…v31, −Inf).
	VALIGND $15, Z31, Z6, Z8
	VALIGND $15, Z6, Z7, Z9
	VALIGND $1, Z6, Z7, Z10
	VALIGND $1, Z7, Z31, Z11
	MAXNAN(Z8, Z6)
	MAXNAN(Z10, Z6)
	MAXNAN(Z9, Z7)
	MAXNAN(Z11, Z7)
	VMOVUPS Z6, K1, (DX)
	VMOVUPS Z7, K3, 64(DX)
	ADDQ    R11, DX
	VMOVAPS Z2, Z0
	VMOVAPS Z3, Z1
	VMOVAPS Z4, Z2
	VMOVAPS Z5, Z3
	DECQ    CX
	JNZ     mp3_row

	ADDQ R12, SI
	ADDQ R12, DI
	DECQ R10
	JMP  mp3_plane

mp3_done:
	VZEROUPPER
	RET

// Indices 1, 3, …, 31: VPERMT2PS picks the odd elements of two vectors.
DATA poolOddIdx<>+0(SB)/4, $1
DATA poolOddIdx<>+4(SB)/4, $3
DATA poolOddIdx<>+8(SB)/4, $5
DATA poolOddIdx<>+12(SB)/4, $7
DATA poolOddIdx<>+16(SB)/4, $9
DATA poolOddIdx<>+20(SB)/4, $11
DATA poolOddIdx<>+24(SB)/4, $13
DATA poolOddIdx<>+28(SB)/4, $15
DATA poolOddIdx<>+32(SB)/4, $17
DATA poolOddIdx<>+36(SB)/4, $19
DATA poolOddIdx<>+40(SB)/4, $21
DATA poolOddIdx<>+44(SB)/4, $23
DATA poolOddIdx<>+48(SB)/4, $25
DATA poolOddIdx<>+52(SB)/4, $27
DATA poolOddIdx<>+56(SB)/4, $29
DATA poolOddIdx<>+60(SB)/4, $31
GLOBL poolOddIdx<>(SB), RODATA|NOPTR, $64

// TAP0(R), TAP1(R), TAP2(R): the 16 values of kernel column 0, 1 or 2 of
// a row of windows (R: the row's element under the first window's column
// 0) into Z1. Columns 0 and 1 are the even elements of the 32 floats at R
// and at R+4 bytes, column 2 the odd ones of the latter: no element past
// the last window's column 2 is read.
#define TAP0(R) \
	VMOVUPS   (R), Z1; \
	VPERMT2PS 64(R), Z31, Z1

#define TAP1(R) \
	VMOVUPS   4(R), Z1; \
	VPERMT2PS 68(R), Z31, Z1

#define TAP2(R) \
	VMOVUPS   4(R), Z1; \
	VPERMT2PS 68(R), Z30, Z1

// TAKE(off): the running maximum Z0 takes the tap in Z1 where it is
// greater or NaN (maxStep), and the argmax Z10 the tap's index, the
// block's base indices Z29 plus off.
#define TAKE(off) \
	VCMPPS  $0x1e, Z0, Z1, K1; \
	VCMPPS  $3, Z1, Z1, K2;    \
	KORW    K2, K1, K1;        \
	VMOVAPS Z1, K1, Z0;        \
	VPADDD  off, Z29, K1, Z10

// func poolMax3x3S2RowAVX512(r0, r1, r2, out *float32, am *int32, n, a0, w int)
//
// out[k] and am[k] for k < n (a positive multiple of 16) are the maximum
// and its index of the 3×3 window whose top-left element is r0[2k], rows
// r0, r1, r2 (w floats apart in the plane; a0 is r0[0]'s index in it), in
// poolMax3x3S2Plane's order. am may be nil.
TEXT ·poolMax3x3S2RowAVX512(SB), NOSPLIT, $0-64
	MOVQ r0+0(FP), SI
	MOVQ r1+8(FP), DI
	MOVQ r2+16(FP), R8
	MOVQ out+24(FP), R9
	MOVQ am+32(FP), R10
	MOVQ n+40(FP), CX
	MOVQ a0+48(FP), AX
	MOVQ w+56(FP), BX

	VMOVUPS      engEvenIdx<>(SB), Z31
	VMOVUPS      poolOddIdx<>(SB), Z30
	VPBROADCASTD AX, Z29
	VPADDD       Z31, Z29, Z29 // a0 + 2k: the indices of column 0 of row 0
	MOVL         $32, AX
	VPBROADCASTD AX, Z28       // the indices' step per block
	// Index offsets of the other eight taps: 1, 2, w, w+1, w+2, 2w, 2w+1, 2w+2.
	MOVL         $1, AX
	VPBROADCASTD AX, Z20
	MOVL         $2, AX
	VPBROADCASTD AX, Z21
	MOVL         BX, AX
	VPBROADCASTD AX, Z22
	INCL         AX
	VPBROADCASTD AX, Z23
	INCL         AX
	VPBROADCASTD AX, Z24
	LEAL         (BX)(BX*1), AX
	VPBROADCASTD AX, Z25
	INCL         AX
	VPBROADCASTD AX, Z26
	INCL         AX
	VPBROADCASTD AX, Z27

mp3s2_loop:
	TAP0(SI)
	VMOVAPS   Z1, Z0
	VMOVDQA32 Z29, Z10
	TAP1(SI)
	TAKE(Z20)
	TAP2(SI)
	TAKE(Z21)
	TAP0(DI)
	TAKE(Z22)
	TAP1(DI)
	TAKE(Z23)
	TAP2(DI)
	TAKE(Z24)
	TAP0(R8)
	TAKE(Z25)
	TAP1(R8)
	TAKE(Z26)
	TAP2(R8)
	TAKE(Z27)
	VMOVUPS   Z0, (R9)
	TESTQ     R10, R10
	JZ        mp3s2_next
	VMOVDQU32 Z10, (R10)
	ADDQ      $64, R10

mp3s2_next:
	ADDQ   $128, SI
	ADDQ   $128, DI
	ADDQ   $128, R8
	ADDQ   $64, R9
	VPADDD Z28, Z29, Z29
	SUBQ   $16, CX
	JNZ    mp3s2_loop
	VZEROUPPER
	RET

// TAP2X2(R): the windows' left (Z1) and right (Z2) columns in the row of
// 32 floats at R, under the load masks K3 (floats 0–15) and K4 (16–31);
// Z5 is scratch.
#define TAP2X2(R) \
	VMOVUPS.Z (R), K3, Z1;     \
	VMOVUPS.Z 64(R), K4, Z5;   \
	VMOVAPS   Z1, Z2;          \
	VPERMT2PS Z5, Z31, Z1;     \
	VPERMT2PS Z5, Z30, Z2

// func poolMax2x2PlaneAVX512(x, y *float32, am *int32, oh, ow, w int)
//
// poolMax2x2Plane's loop: y[oy·ow + k] and am[oy·ow + k] (am may be nil)
// are the maximum and its index of the 2×2 window at x[2oy·w + 2k], in
// maxStep's order, for oy < oh and k < ow (both ≥ 1). Each row's last
// ow%16 windows are read, computed and stored under masks: nothing outside
// the windows and the outputs is touched.
TEXT ·poolMax2x2PlaneAVX512(SB), NOSPLIT, $0-48
	MOVQ x+0(FP), R12
	MOVQ y+8(FP), R9
	MOVQ am+16(FP), R10
	MOVQ oh+24(FP), R11
	MOVQ ow+32(FP), R13
	MOVQ w+40(FP), BX

	VMOVUPS      engEvenIdx<>(SB), Z31
	VMOVUPS      poolOddIdx<>(SB), Z30
	MOVL         $32, AX
	VPBROADCASTD AX, Z28       // the indices' step per block
	MOVL         $1, AX
	VPBROADCASTD AX, Z20       // index offsets of the other taps: 1, w, w+1
	MOVL         BX, AX
	VPBROADCASTD AX, Z22
	INCL         AX
	VPBROADCASTD AX, Z23
	LEAL         (BX)(BX*1), AX
	VPBROADCASTD AX, Z26       // 2w: a row of windows' step in indices
	VPXORD       Z27, Z27, Z27 // 2·oy·w: the row's first index
	SHLQ         $2, BX        // w in bytes

mp2_row:
	MOVQ   R12, SI
	LEAQ   (R12)(BX*1), DI
	MOVQ   R13, CX
	VPADDD Z31, Z27, Z29 // indices of the windows' top-left taps
	MOVL   $0xffff, AX
	KMOVW  AX, K3
	KMOVW  AX, K4
	KMOVW  AX, K5

mp2_block:
	MOVQ $16, R8
	CMPQ CX, $16
	JGE  mp2_body
	// The row's last CX < 16 windows: K5 = their outputs, K3:K4 = their
	// 2·CX floats.
	MOVQ     CX, R8
	MOVL     $1, AX
	SHLL     CX, AX
	DECL     AX
	KMOVW    AX, K5
	MOVL     $1, AX
	SHLL     CX, AX
	SHLL     CX, AX
	DECL     AX
	KMOVD    AX, K3
	KSHIFTRD $16, K3, K4

mp2_body:
	TAP2X2(SI)
	VMOVAPS   Z1, Z0
	VMOVDQA32 Z29, Z10
	VMOVAPS   Z2, Z1
	TAKE(Z20)
	TAP2X2(DI)
	TAKE(Z22)
	VMOVAPS   Z2, Z1
	TAKE(Z23)
	VMOVUPS   Z0, K5, (R9)
	LEAQ      (R9)(R8*4), R9
	TESTQ     R10, R10
	JZ        mp2_next
	VMOVDQU32 Z10, K5, (R10)
	LEAQ      (R10)(R8*4), R10

mp2_next:
	ADDQ   $128, SI
	ADDQ   $128, DI
	VPADDD Z28, Z29, Z29
	SUBQ   R8, CX
	JNZ    mp2_block
	LEAQ   (R12)(BX*2), R12
	VPADDD Z26, Z27, Z27
	DECQ   R11
	JNZ    mp2_row
	VZEROUPPER
	RET
