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
