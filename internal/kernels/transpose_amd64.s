//go:build !noasm

#include "textflag.h"

// transposeAVX512 (see transpose_amd64.go): a 16×16 block transposed in
// the 32 vector registers by the usual three stages: VUNPCKLPS/VUNPCKHPS
// interleave row pairs, VSHUFPS gathers 4×4 blocks inside each 128-bit
// lane, and two rounds of VSHUFF32X4 move the 128-bit lanes. Rows past
// rows are zero, columns past cols are not read (masked loads, K1), and
// only the first rows lanes of the first cols output rows are written
// (masked stores, K2).

// TR_START sets K1 to the first R9 (cols) lanes and K2 to the first R8
// (rows) lanes, and clears Z0..Z15 for the rows past rows.
#define TR_START \
	MOVL  $1, AX; \
	MOVQ  R9, CX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K1; \
	MOVL  $1, AX; \
	MOVQ  R8, CX; \
	SHLL  CX, AX; \
	DECL  AX; \
	KMOVW AX, K2; \
	VPXORD Z0, Z0, Z0; \
	VPXORD Z1, Z1, Z1; \
	VPXORD Z2, Z2, Z2; \
	VPXORD Z3, Z3, Z3; \
	VPXORD Z4, Z4, Z4; \
	VPXORD Z5, Z5, Z5; \
	VPXORD Z6, Z6, Z6; \
	VPXORD Z7, Z7, Z7; \
	VPXORD Z8, Z8, Z8; \
	VPXORD Z9, Z9, Z9; \
	VPXORD Z10, Z10, Z10; \
	VPXORD Z11, Z11, Z11; \
	VPXORD Z12, Z12, Z12; \
	VPXORD Z13, Z13, Z13; \
	VPXORD Z14, Z14, Z14; \
	VPXORD Z15, Z15, Z15

// TR_SHUFFLE_STORE transposes the 16×16 block in Z0..Z15 (the three
// stages described at the top of this file) and stores its first R9 rows at DI under K2, stepping DI
// by DX, then jumps to done.
#define TR_SHUFFLE_STORE(done) \
	VUNPCKLPS Z1, Z0, Z16; \
	VUNPCKHPS Z1, Z0, Z17; \
	VUNPCKLPS Z3, Z2, Z18; \
	VUNPCKHPS Z3, Z2, Z19; \
	VUNPCKLPS Z5, Z4, Z20; \
	VUNPCKHPS Z5, Z4, Z21; \
	VUNPCKLPS Z7, Z6, Z22; \
	VUNPCKHPS Z7, Z6, Z23; \
	VUNPCKLPS Z9, Z8, Z24; \
	VUNPCKHPS Z9, Z8, Z25; \
	VUNPCKLPS Z11, Z10, Z26; \
	VUNPCKHPS Z11, Z10, Z27; \
	VUNPCKLPS Z13, Z12, Z28; \
	VUNPCKHPS Z13, Z12, Z29; \
	VUNPCKLPS Z15, Z14, Z30; \
	VUNPCKHPS Z15, Z14, Z31; \
	VSHUFPS $0x44, Z18, Z16, Z0; \
	VSHUFPS $0xEE, Z18, Z16, Z1; \
	VSHUFPS $0x44, Z19, Z17, Z2; \
	VSHUFPS $0xEE, Z19, Z17, Z3; \
	VSHUFPS $0x44, Z22, Z20, Z4; \
	VSHUFPS $0xEE, Z22, Z20, Z5; \
	VSHUFPS $0x44, Z23, Z21, Z6; \
	VSHUFPS $0xEE, Z23, Z21, Z7; \
	VSHUFPS $0x44, Z26, Z24, Z8; \
	VSHUFPS $0xEE, Z26, Z24, Z9; \
	VSHUFPS $0x44, Z27, Z25, Z10; \
	VSHUFPS $0xEE, Z27, Z25, Z11; \
	VSHUFPS $0x44, Z30, Z28, Z12; \
	VSHUFPS $0xEE, Z30, Z28, Z13; \
	VSHUFPS $0x44, Z31, Z29, Z14; \
	VSHUFPS $0xEE, Z31, Z29, Z15; \
	VSHUFF32X4 $0x88, Z4, Z0, Z16; \
	VSHUFF32X4 $0xDD, Z4, Z0, Z20; \
	VSHUFF32X4 $0x88, Z5, Z1, Z17; \
	VSHUFF32X4 $0xDD, Z5, Z1, Z21; \
	VSHUFF32X4 $0x88, Z6, Z2, Z18; \
	VSHUFF32X4 $0xDD, Z6, Z2, Z22; \
	VSHUFF32X4 $0x88, Z7, Z3, Z19; \
	VSHUFF32X4 $0xDD, Z7, Z3, Z23; \
	VSHUFF32X4 $0x88, Z12, Z8, Z24; \
	VSHUFF32X4 $0xDD, Z12, Z8, Z28; \
	VSHUFF32X4 $0x88, Z13, Z9, Z25; \
	VSHUFF32X4 $0xDD, Z13, Z9, Z29; \
	VSHUFF32X4 $0x88, Z14, Z10, Z26; \
	VSHUFF32X4 $0xDD, Z14, Z10, Z30; \
	VSHUFF32X4 $0x88, Z15, Z11, Z27; \
	VSHUFF32X4 $0xDD, Z15, Z11, Z31; \
	VSHUFF32X4 $0x88, Z24, Z16, Z0; \
	VSHUFF32X4 $0xDD, Z24, Z16, Z8; \
	VSHUFF32X4 $0x88, Z25, Z17, Z1; \
	VSHUFF32X4 $0xDD, Z25, Z17, Z9; \
	VSHUFF32X4 $0x88, Z26, Z18, Z2; \
	VSHUFF32X4 $0xDD, Z26, Z18, Z10; \
	VSHUFF32X4 $0x88, Z27, Z19, Z3; \
	VSHUFF32X4 $0xDD, Z27, Z19, Z11; \
	VSHUFF32X4 $0x88, Z28, Z20, Z4; \
	VSHUFF32X4 $0xDD, Z28, Z20, Z12; \
	VSHUFF32X4 $0x88, Z29, Z21, Z5; \
	VSHUFF32X4 $0xDD, Z29, Z21, Z13; \
	VSHUFF32X4 $0x88, Z30, Z22, Z6; \
	VSHUFF32X4 $0xDD, Z30, Z22, Z14; \
	VSHUFF32X4 $0x88, Z31, Z23, Z7; \
	VSHUFF32X4 $0xDD, Z31, Z23, Z15; \
	CMPQ R9, $0; \
	JLE  done; \
	VMOVUPS Z0, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $1; \
	JLE  done; \
	VMOVUPS Z1, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $2; \
	JLE  done; \
	VMOVUPS Z2, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $3; \
	JLE  done; \
	VMOVUPS Z3, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $4; \
	JLE  done; \
	VMOVUPS Z4, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $5; \
	JLE  done; \
	VMOVUPS Z5, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $6; \
	JLE  done; \
	VMOVUPS Z6, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $7; \
	JLE  done; \
	VMOVUPS Z7, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $8; \
	JLE  done; \
	VMOVUPS Z8, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $9; \
	JLE  done; \
	VMOVUPS Z9, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $10; \
	JLE  done; \
	VMOVUPS Z10, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $11; \
	JLE  done; \
	VMOVUPS Z11, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $12; \
	JLE  done; \
	VMOVUPS Z12, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $13; \
	JLE  done; \
	VMOVUPS Z13, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $14; \
	JLE  done; \
	VMOVUPS Z14, K2, (DI); \
	ADDQ DX, DI; \
	CMPQ R9, $15; \
	JLE  done; \
	VMOVUPS Z15, K2, (DI); \
	ADDQ DX, DI

// func transposeAVX512(dst *float32, ldd int, src *float32, lds int, rows, cols int)
TEXT ·transposeAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	SHLQ $2, DX
	MOVQ src+16(FP), SI
	MOVQ lds+24(FP), BX
	SHLQ $2, BX
	MOVQ rows+32(FP), R8
	MOVQ cols+40(FP), R9
	TR_START
	MOVQ SI, R10
	CMPQ R8, $0
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z0
	ADDQ BX, R10
	CMPQ R8, $1
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z1
	ADDQ BX, R10
	CMPQ R8, $2
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z2
	ADDQ BX, R10
	CMPQ R8, $3
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z3
	ADDQ BX, R10
	CMPQ R8, $4
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z4
	ADDQ BX, R10
	CMPQ R8, $5
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z5
	ADDQ BX, R10
	CMPQ R8, $6
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z6
	ADDQ BX, R10
	CMPQ R8, $7
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z7
	ADDQ BX, R10
	CMPQ R8, $8
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z8
	ADDQ BX, R10
	CMPQ R8, $9
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z9
	ADDQ BX, R10
	CMPQ R8, $10
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z10
	ADDQ BX, R10
	CMPQ R8, $11
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z11
	ADDQ BX, R10
	CMPQ R8, $12
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z12
	ADDQ BX, R10
	CMPQ R8, $13
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z13
	ADDQ BX, R10
	CMPQ R8, $14
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z14
	ADDQ BX, R10
	CMPQ R8, $15
	JLE  tr_loaded
	VMOVUPS.Z (R10), K1, Z15
	ADDQ BX, R10
tr_loaded:
	TR_SHUFFLE_STORE(tr_done)

tr_done:
	VZEROUPPER
	RET

// func packBRows32AVX512(dst, src *float32, kb, ldb, panels, tail int)
//
// packB for a non-transposed B and 32-column panels: for each row p < kb
// of B (at src + p·ldb), columns [32q, 32q+32) go to dst[q·32·kb + p·32]
// for q < panels, and the tail columns that follow (0 ≤ tail < 32) to the
// next panel's row p, zero-padded to 32 (masked loads: nothing past the
// tail is read).
TEXT ·packBRows32AVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ src+8(FP), SI
	MOVQ kb+16(FP), R8
	MOVQ ldb+24(FP), R9
	SHLQ $2, R9
	MOVQ panels+32(FP), R10
	MOVQ tail+40(FP), CX
	MOVQ R8, R11
	SHLQ $7, R11 // panel stride in bytes: 32·kb·4
	// K1, K2: the tail's lanes in its two halves.
	XORL AX, AX
	CMPQ CX, $16
	JGE  pk_t16
	MOVL $1, AX
	SHLL CX, AX
	DECL AX
	KMOVW AX, K1
	KXORW K2, K2, K2
	JMP  pk_rows

pk_t16:
	MOVL  $0xffff, AX
	KMOVW AX, K1
	SUBQ  $16, CX
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K2
	ADDQ  $16, CX

pk_rows:
	TESTQ R8, R8
	JZ    pk_done
	MOVQ  SI, AX // source column
	MOVQ  DI, BX // destination row in panel 0
	MOVQ  R10, DX

pk_panel:
	TESTQ   DX, DX
	JZ      pk_tail
	VMOVUPS (AX), Z0
	VMOVUPS 64(AX), Z1
	VMOVUPS Z0, (BX)
	VMOVUPS Z1, 64(BX)
	ADDQ    $128, AX
	ADDQ    R11, BX
	DECQ    DX
	JMP     pk_panel

pk_tail:
	TESTQ     CX, CX
	JZ        pk_next
	VMOVUPS.Z (AX), K1, Z0
	VMOVUPS.Z 64(AX), K2, Z1
	VMOVUPS   Z0, (BX)
	VMOVUPS   Z1, 64(BX)

pk_next:
	ADDQ R9, SI
	ADDQ $128, DI
	DECQ R8
	JMP  pk_rows

pk_done:
	VZEROUPPER
	RET

// transposeTabAVX512 is transposeAVX512 with row i of the block at
// src + off[i] (in elements) instead of src + i·lds: the rows of a
// convolution's unfolded input read from a TabLayout through its table of
// offsets (see transpose_amd64.go).

// func transposeTabAVX512(dst *float32, ldd int, src *float32, off *int, rows, cols int)
TEXT ·transposeTabAVX512(SB), NOSPLIT, $0-48
	MOVQ dst+0(FP), DI
	MOVQ ldd+8(FP), DX
	SHLQ $2, DX
	MOVQ src+16(FP), SI
	MOVQ off+24(FP), BX
	MOVQ rows+32(FP), R8
	MOVQ cols+40(FP), R9
	TR_START
	CMPQ R8, $0
	JLE  tt_loaded
	MOVQ      0(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z0
	CMPQ R8, $1
	JLE  tt_loaded
	MOVQ      8(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z1
	CMPQ R8, $2
	JLE  tt_loaded
	MOVQ      16(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z2
	CMPQ R8, $3
	JLE  tt_loaded
	MOVQ      24(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z3
	CMPQ R8, $4
	JLE  tt_loaded
	MOVQ      32(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z4
	CMPQ R8, $5
	JLE  tt_loaded
	MOVQ      40(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z5
	CMPQ R8, $6
	JLE  tt_loaded
	MOVQ      48(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z6
	CMPQ R8, $7
	JLE  tt_loaded
	MOVQ      56(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z7
	CMPQ R8, $8
	JLE  tt_loaded
	MOVQ      64(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z8
	CMPQ R8, $9
	JLE  tt_loaded
	MOVQ      72(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z9
	CMPQ R8, $10
	JLE  tt_loaded
	MOVQ      80(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z10
	CMPQ R8, $11
	JLE  tt_loaded
	MOVQ      88(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z11
	CMPQ R8, $12
	JLE  tt_loaded
	MOVQ      96(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z12
	CMPQ R8, $13
	JLE  tt_loaded
	MOVQ      104(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z13
	CMPQ R8, $14
	JLE  tt_loaded
	MOVQ      112(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z14
	CMPQ R8, $15
	JLE  tt_loaded
	MOVQ      120(BX), R10
	VMOVUPS.Z (SI)(R10*4), K1, Z15
tt_loaded:
	TR_SHUFFLE_STORE(tt_done)

tt_done:
	VZEROUPPER
	RET
