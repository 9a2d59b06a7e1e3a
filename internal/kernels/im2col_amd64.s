//go:build !noasm

#include "textflag.h"

// Im2col / Col2im for stride-1 columns (see im2col_amd64.go): one kernel
// tap (c, i, j) over all output rows, 16 columns per step under masks, so
// that short rows (CIFAR's 32, ResNet's 14 and 7) cost one or two vector
// moves instead of three calls to copy and clear. Lanes outside [lo, hi)
// are masked: their addresses, which may lie outside the row, are never
// read or written (AVX-512 masked accesses do not fault on masked lanes).

// masks16<>[k] = (1 << k) − 1 for k in [0, 16]: the first k lanes.
DATA masks16<>+0(SB)/2, $0x0000
DATA masks16<>+2(SB)/2, $0x0001
DATA masks16<>+4(SB)/2, $0x0003
DATA masks16<>+6(SB)/2, $0x0007
DATA masks16<>+8(SB)/2, $0x000f
DATA masks16<>+10(SB)/2, $0x001f
DATA masks16<>+12(SB)/2, $0x003f
DATA masks16<>+14(SB)/2, $0x007f
DATA masks16<>+16(SB)/2, $0x00ff
DATA masks16<>+18(SB)/2, $0x01ff
DATA masks16<>+20(SB)/2, $0x03ff
DATA masks16<>+22(SB)/2, $0x07ff
DATA masks16<>+24(SB)/2, $0x0fff
DATA masks16<>+26(SB)/2, $0x1fff
DATA masks16<>+28(SB)/2, $0x3fff
DATA masks16<>+30(SB)/2, $0x7fff
DATA masks16<>+32(SB)/2, $0xffff
GLOBL masks16<>(SB), RODATA|NOPTR, $34

// CLAMP16(r) clamps the signed count in r to [0, 16].
#define CLAMP16(r) \
	CMPQ r, $0;  \
	JGE  2(PC);  \
	XORQ r, r;   \
	CMPQ r, $16; \
	JLE  2(PC);  \
	MOVQ $16, r

// CHUNK_MASKS sets K2 to the lanes of the chunk at column CX that lie in
// [0, ow) and K1 to those in [lo, hi) (hi ≤ ow); it jumps to done when the
// row has no column left. R13 holds masks16's address; AX, DX, R9 and R12
// are scratch.
#define CHUNK_MASKS(done) \
	MOVQ    ow+24(FP), DX;                 \
	SUBQ    CX, DX;                        \
	JLE     done;                          \
	CLAMP16(DX);                           \
	MOVWLZX (R13)(DX*2), R9;       \
	KMOVW   R9, K2;                        \
	MOVQ    hi+80(FP), AX;                 \
	SUBQ    CX, AX;                        \
	CLAMP16(AX);                           \
	MOVWLZX (R13)(AX*2), R9;       \
	MOVQ    lo+72(FP), AX;                 \
	SUBQ    CX, AX;                        \
	CLAMP16(AX);                           \
	MOVWLZX (R13)(AX*2), R12;      \
	NOTL    R12;                           \
	ANDL    R12, R9;                       \
	KMOVW   R9, K1

// func im2colTapAVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)
TEXT ·im2colTapAVX512(SB), NOSPLIT, $0-88
	LEAQ   masks16<>(SB), R13
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   oh+16(FP), R8
	MOVQ   y0+48(FP), R11
	MOVQ   x0+64(FP), BX
	SHLQ   $2, BX
	VPXORD Z1, Z1, Z1

im_row:
	TESTQ R8, R8
	JZ    im_done
	CMPQ  R11, $0
	JLT   im_zero
	CMPQ  R11, h+40(FP)
	JGE   im_zero
	MOVQ  R11, R10
	IMULQ w+32(FP), R10
	SHLQ  $2, R10
	ADDQ  SI, R10
	ADDQ  BX, R10 // R10 = &src[y·w + x0]
	XORQ  CX, CX

im_chunk:
	CHUNK_MASKS(im_next)
	VMOVUPS.Z (R10)(CX*4), K1, Z0
	VMOVUPS   Z0, K2, (DI)(CX*4)
	ADDQ      $16, CX
	JMP       im_chunk

im_zero:
	XORQ CX, CX

im_zchunk:
	MOVQ    ow+24(FP), DX
	SUBQ    CX, DX
	JLE     im_next
	CLAMP16(DX)
	MOVWLZX (R13)(DX*2), R9
	KMOVW   R9, K2
	VMOVUPS Z1, K2, (DI)(CX*4)
	ADDQ    $16, CX
	JMP     im_zchunk

im_next:
	MOVQ ow+24(FP), AX
	LEAQ (DI)(AX*4), DI
	ADDQ sh+56(FP), R11
	DECQ R8
	JMP  im_row

im_done:
	VZEROUPPER
	RET

// func col2imTapAVX512(img, col *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)
//
// For each output row oy whose input row y = y0 + oy·sh lies in [0, h):
// img[y·w + x0 + ox] += col[oy·ow + ox] for ox in [lo, hi), the image's
// value first as in addRow.
TEXT ·col2imTapAVX512(SB), NOSPLIT, $0-88
	LEAQ masks16<>(SB), R13
	MOVQ img+0(FP), SI
	MOVQ col+8(FP), DI
	MOVQ oh+16(FP), R8
	MOVQ y0+48(FP), R11
	MOVQ x0+64(FP), BX
	SHLQ $2, BX

co_row:
	TESTQ R8, R8
	JZ    co_done
	CMPQ  R11, $0
	JLT   co_next
	CMPQ  R11, h+40(FP)
	JGE   co_next
	MOVQ  R11, R10
	IMULQ w+32(FP), R10
	SHLQ  $2, R10
	ADDQ  SI, R10
	ADDQ  BX, R10 // R10 = &img[y·w + x0]
	XORQ  CX, CX

co_chunk:
	CHUNK_MASKS(co_next)
	VMOVUPS.Z (DI)(CX*4), K1, Z0
	VMOVUPS.Z (R10)(CX*4), K1, Z2
	VADDPS    Z0, Z2, Z2
	VMOVUPS   Z2, K1, (R10)(CX*4)
	ADDQ      $16, CX
	JMP       co_chunk

co_next:
	MOVQ ow+24(FP), AX
	LEAQ (DI)(AX*4), DI
	ADDQ sh+56(FP), R11
	DECQ R8
	JMP  co_row

co_done:
	VZEROUPPER
	RET

// even16<>: VPERMT2PS indices of the even lanes of a 32-lane pair.
DATA even16<>+0(SB)/4, $0
DATA even16<>+4(SB)/4, $2
DATA even16<>+8(SB)/4, $4
DATA even16<>+12(SB)/4, $6
DATA even16<>+16(SB)/4, $8
DATA even16<>+20(SB)/4, $10
DATA even16<>+24(SB)/4, $12
DATA even16<>+28(SB)/4, $14
DATA even16<>+32(SB)/4, $16
DATA even16<>+36(SB)/4, $18
DATA even16<>+40(SB)/4, $20
DATA even16<>+44(SB)/4, $22
DATA even16<>+48(SB)/4, $24
DATA even16<>+52(SB)/4, $26
DATA even16<>+56(SB)/4, $28
DATA even16<>+60(SB)/4, $30
GLOBL even16<>(SB), RODATA|NOPTR, $64

// LANES(lo, hi, k) sets mask k to the lanes j in [0, 16) with lo ≤ j < hi,
// for the signed counts lo in AX and hi in DX (both clobbered, and R9).
#define LANES(k) \
	CLAMP16(DX);                \
	MOVWLZX (R13)(DX*2), R9;    \
	CLAMP16(AX);                \
	MOVWLZX (R13)(AX*2), AX;    \
	NOTL    AX;                 \
	ANDL    AX, R9;             \
	KMOVW   R9, k

// func im2colTap2AVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)
//
// im2colTapAVX512 for a column stride of 2: output column ox takes input
// column x0 + 2·ox. Each chunk of 16 outputs loads the 32 inputs they span
// under masks of the columns inside [0, w) (so padding reads as 0 and
// nothing outside the row is touched) and keeps the even lanes
// (VPERMT2PS). lo and hi are not needed: an output is 0 exactly where its
// input column is outside the row.
TEXT ·im2colTap2AVX512(SB), NOSPLIT, $0-88
	LEAQ    masks16<>(SB), R13
	VMOVUPS even16<>(SB), Z5
	MOVQ    dst+0(FP), DI
	MOVQ    src+8(FP), SI
	MOVQ    oh+16(FP), R8
	MOVQ    y0+48(FP), R11
	VPXORD  Z1, Z1, Z1

i2_row:
	TESTQ R8, R8
	JZ    i2_done
	CMPQ  R11, $0
	JLT   i2_zero
	CMPQ  R11, h+40(FP)
	JGE   i2_zero
	MOVQ  R11, R10
	IMULQ w+32(FP), R10
	SHLQ  $2, R10
	ADDQ  SI, R10 // R10 = &src[y·w]
	XORQ  CX, CX

i2_chunk:
	MOVQ    ow+24(FP), DX
	SUBQ    CX, DX
	JLE     i2_next
	CLAMP16(DX)
	MOVWLZX (R13)(DX*2), R9
	KMOVW   R9, K2
	MOVQ    x0+64(FP), R12
	LEAQ    (R12)(CX*2), R12 // in0 = x0 + 2·ox
	MOVQ    R12, AX
	NEGQ    AX
	MOVQ    w+32(FP), DX
	SUBQ    R12, DX
	LANES(K1) // lanes of in0 + j inside [0, w)
	MOVQ    R12, AX
	NEGQ    AX
	SUBQ    $16, AX
	MOVQ    w+32(FP), DX
	SUBQ    R12, DX
	SUBQ    $16, DX
	LANES(K3) // lanes of in0 + 16 + j inside [0, w)
	VMOVUPS.Z (R10)(R12*4), K1, Z0
	VMOVUPS.Z 64(R10)(R12*4), K3, Z2
	VPERMT2PS Z2, Z5, Z0
	VMOVUPS   Z0, K2, (DI)(CX*4)
	ADDQ      $16, CX
	JMP       i2_chunk

i2_zero:
	XORQ CX, CX

i2_zchunk:
	MOVQ    ow+24(FP), DX
	SUBQ    CX, DX
	JLE     i2_next
	CLAMP16(DX)
	MOVWLZX (R13)(DX*2), R9
	KMOVW   R9, K2
	VMOVUPS Z1, K2, (DI)(CX*4)
	ADDQ    $16, CX
	JMP     i2_zchunk

i2_next:
	MOVQ ow+24(FP), AX
	LEAQ (DI)(AX*4), DI
	ADDQ sh+56(FP), R11
	DECQ R8
	JMP  i2_row

i2_done:
	VZEROUPPER
	RET

// SMALL_MASKS sets, for rows of ow ≤ 32 columns, K1/K2 to the load/store
// masks of columns [0, 16) and K3/K4 to those of [16, 32) (CHUNK_MASKS at
// columns 0 and 16; K3 = K4 = 0 when ow ≤ 16). Uses CX, AX, DX, R9, R12.
#define SMALL_MASKS(l1) \
	XORQ       CX, CX;    \
	CHUNK_MASKS(l1);      \
	KMOVW      K1, K3;    \
	KMOVW      K2, K4;    \
	MOVQ       $16, CX;   \
	KXORW      K5, K5, K5; \
	KXORW      K6, K6, K6; \
	CHUNK_MASKS(l1);      \
	KMOVW      K1, K5;    \
	KMOVW      K2, K6;    \
l1:                       \
	KMOVW      K3, K1;    \
	KMOVW      K4, K2;    \
	KMOVW      K5, K3;    \
	KMOVW      K6, K4

// func im2colTapSmallAVX512(dst, src *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)
//
// im2colTapAVX512 for ow ≤ 32: the masks of the row's two chunks depend on
// the tap only, so they are formed once and every row is two masked loads
// and stores.
TEXT ·im2colTapSmallAVX512(SB), NOSPLIT, $0-88
	LEAQ   masks16<>(SB), R13
	SMALL_MASKS(ims_masks)
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   oh+16(FP), R8
	MOVQ   y0+48(FP), R11
	MOVQ   x0+64(FP), BX
	SHLQ   $2, BX
	ADDQ   BX, SI // SI = &src[x0]
	MOVQ   ow+24(FP), DX
	SHLQ   $2, DX
	MOVQ   w+32(FP), R9
	SHLQ   $2, R9
	MOVQ   h+40(FP), R12
	VPXORD Z1, Z1, Z1

ims_row:
	TESTQ R8, R8
	JZ    ims_done
	CMPQ  R11, $0
	JLT   ims_zero
	CMPQ  R11, R12
	JGE   ims_zero
	MOVQ  R11, R10
	IMULQ R9, R10
	ADDQ  SI, R10 // R10 = &src[y·w + x0]
	VMOVUPS.Z (R10), K1, Z0
	VMOVUPS.Z 64(R10), K3, Z2
	VMOVUPS   Z0, K2, (DI)
	VMOVUPS   Z2, K4, 64(DI)
	JMP       ims_next

ims_zero:
	VMOVUPS Z1, K2, (DI)
	VMOVUPS Z1, K4, 64(DI)

ims_next:
	ADDQ DX, DI
	ADDQ sh+56(FP), R11
	DECQ R8
	JMP  ims_row

ims_done:
	VZEROUPPER
	RET

// func col2imTapSmallAVX512(img, col *float32, oh, ow, w, h, y0, sh, x0, lo, hi int)
//
// col2imTapAVX512 for ow ≤ 32, with the masks formed once per tap.
TEXT ·col2imTapSmallAVX512(SB), NOSPLIT, $0-88
	LEAQ masks16<>(SB), R13
	SMALL_MASKS(cos_masks)
	MOVQ img+0(FP), SI
	MOVQ col+8(FP), DI
	MOVQ oh+16(FP), R8
	MOVQ y0+48(FP), R11
	MOVQ x0+64(FP), BX
	SHLQ $2, BX
	ADDQ BX, SI // SI = &img[x0]
	MOVQ ow+24(FP), DX
	SHLQ $2, DX
	MOVQ w+32(FP), R9
	SHLQ $2, R9
	MOVQ h+40(FP), R12

cos_row:
	TESTQ R8, R8
	JZ    cos_done
	CMPQ  R11, $0
	JLT   cos_next
	CMPQ  R11, R12
	JGE   cos_next
	MOVQ  R11, R10
	IMULQ R9, R10
	ADDQ  SI, R10 // R10 = &img[y·w + x0]
	VMOVUPS.Z (DI), K1, Z0
	VMOVUPS.Z (R10), K1, Z2
	VADDPS    Z0, Z2, Z2
	VMOVUPS   Z2, K1, (R10)
	VMOVUPS.Z 64(DI), K3, Z0
	VMOVUPS.Z 64(R10), K3, Z2
	VADDPS    Z0, Z2, Z2
	VMOVUPS   Z2, K3, 64(R10)

cos_next:
	ADDQ DX, DI
	ADDQ sh+56(FP), R11
	DECQ R8
	JMP  cos_row

cos_done:
	VZEROUPPER
	RET

// func rowsAVX512(dst, src *float32, rows, w, ldd, lds, mode int)
//
// For each of rows rows (dst and src step by ldd and lds floats): mode 0
// copies w floats, mode 1 copies them and zeroes dst[w], mode 2 adds them
// to dst (TabLayout's Pad and Unpad), 16 lanes per step under masks.
TEXT ·rowsAVX512(SB), NOSPLIT, $0-56
	MOVQ  dst+0(FP), DI
	MOVQ  src+8(FP), SI
	MOVQ  rows+16(FP), R8
	MOVQ  w+24(FP), R10
	MOVQ  ldd+32(FP), R11
	SHLQ  $2, R11
	MOVQ  lds+40(FP), R12
	SHLQ  $2, R12
	MOVQ  mode+48(FP), R14
	MOVQ  R10, R15 // floats stored per row
	CMPQ  R14, $1
	JNE   rows_w
	INCQ  R15

rows_w:
	LEAQ  masks16<>(SB), R13
	TESTQ R8, R8
	JLE   rows_done
	TESTQ $15, R10
	JZ    rows_full

rows_row:
	XORQ CX, CX

rows_chunk:
	MOVQ      R15, DX
	SUBQ      CX, DX
	JLE       rows_next
	CLAMP16(DX)
	MOVWLZX   (R13)(DX*2), R9
	KMOVW     R9, K2
	MOVQ      R10, AX
	SUBQ      CX, AX
	CLAMP16(AX)
	MOVWLZX   (R13)(AX*2), R9
	KMOVW     R9, K1
	VMOVUPS.Z (SI)(CX*4), K1, Z0
	CMPQ      R14, $2
	JNE       rows_store
	VMOVUPS.Z (DI)(CX*4), K1, Z1
	VADDPS    Z1, Z0, Z0

rows_store:
	VMOVUPS Z0, K2, (DI)(CX*4)
	ADDQ    $16, CX
	JMP     rows_chunk

rows_next:
	ADDQ R11, DI
	ADDQ R12, SI
	DECQ R8
	JNZ  rows_row

rows_done:
	VZEROUPPER
	RET

	// Rows of a multiple of 16 floats (the 32×32 and 16×16 planes of the
	// CIFAR networks, 56×56 is not): whole vectors without masks, and in
	// mode 1 one zero float after the row.
rows_full:
	VPXORD Z2, Z2, Z2

rows_full_row:
	XORQ CX, CX

rows_full_chunk:
	VMOVUPS (SI)(CX*4), Z0
	CMPQ    R14, $2
	JNE     rows_full_store
	VADDPS  (DI)(CX*4), Z0, Z0

rows_full_store:
	VMOVUPS Z0, (DI)(CX*4)
	ADDQ    $16, CX
	CMPQ    CX, R10
	JLT     rows_full_chunk
	CMPQ    R14, $1
	JNE     rows_full_next
	VMOVSS  X2, (DI)(CX*4)

rows_full_next:
	ADDQ R11, DI
	ADDQ R12, SI
	DECQ R8
	JNZ  rows_full_row
	VZEROUPPER
	RET

// func col2imRowAVX512(dst *float32, w int, col *float32, offs *int, masks *uint16, n int)
//
// col2imSmall's row: the w ≤ 16 values of dst are loaded once, each of the
// n ≥ 1 taps adds the floats at col + offs[t] + lane for the lanes of
// masks[t] (merge masking: the other lanes keep their bits, and masked-off
// lanes are not read), and the row is stored once.
TEXT ·col2imRowAVX512(SB), NOSPLIT, $0-48
	MOVQ      dst+0(FP), DI
	MOVQ      w+8(FP), CX
	MOVQ      col+16(FP), SI
	MOVQ      offs+24(FP), R8
	MOVQ      masks+32(FP), R9
	MOVQ      n+40(FP), R10
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1
	VMOVUPS.Z (DI), K1, Z0

c2r_tap:
	MOVQ      (R8), AX
	KMOVW     (R9), K2
	VMOVUPS.Z (SI)(AX*4), K2, Z1
	VADDPS    Z1, Z0, K2, Z0
	ADDQ      $8, R8
	ADDQ      $2, R9
	DECQ      R10
	JNZ       c2r_tap
	VMOVUPS   Z0, K1, (DI)
	VZEROUPPER
	RET
