//go:build !noasm

#include "textflag.h"

// Winograd F(4×4, 3×3) input and output transforms (see winograd.go), 16
// tiles at a time, one per ZMM lane. Each computes exactly the operations
// of the reference bt6 and at6, in the same order (the fused multiply-adds
// multiply by 2, 4 or 8 only, which is exact), so the results are the
// reference's bits.

// VPERMT2PS indices that deinterleave 32 values (8 tiles of 4) by 4:
// phases 0 and 1 (winoIdxE), phases 2 and 3 (winoIdxF).
DATA winoIdxE<>+0(SB)/8, $0x0000000400000000
DATA winoIdxE<>+8(SB)/8, $0x0000000c00000008
DATA winoIdxE<>+16(SB)/8, $0x0000001400000010
DATA winoIdxE<>+24(SB)/8, $0x0000001c00000018
DATA winoIdxE<>+32(SB)/8, $0x0000000500000001
DATA winoIdxE<>+40(SB)/8, $0x0000000d00000009
DATA winoIdxE<>+48(SB)/8, $0x0000001500000011
DATA winoIdxE<>+56(SB)/8, $0x0000001d00000019
GLOBL winoIdxE<>(SB), RODATA|NOPTR, $64

DATA winoIdxF<>+0(SB)/8, $0x0000000600000002
DATA winoIdxF<>+8(SB)/8, $0x0000000e0000000a
DATA winoIdxF<>+16(SB)/8, $0x0000001600000012
DATA winoIdxF<>+24(SB)/8, $0x0000001e0000001a
DATA winoIdxF<>+32(SB)/8, $0x0000000700000003
DATA winoIdxF<>+40(SB)/8, $0x0000000f0000000b
DATA winoIdxF<>+48(SB)/8, $0x0000001700000013
DATA winoIdxF<>+56(SB)/8, $0x0000001f0000001b
GLOBL winoIdxF<>(SB), RODATA|NOPTR, $64

// Indices that interleave two vectors' lanes 0–7 (winoIdxA) and 8–15
// (winoIdxB).
DATA winoIdxA<>+0(SB)/8, $0x0000001000000000
DATA winoIdxA<>+8(SB)/8, $0x0000001100000001
DATA winoIdxA<>+16(SB)/8, $0x0000001200000002
DATA winoIdxA<>+24(SB)/8, $0x0000001300000003
DATA winoIdxA<>+32(SB)/8, $0x0000001400000004
DATA winoIdxA<>+40(SB)/8, $0x0000001500000005
DATA winoIdxA<>+48(SB)/8, $0x0000001600000006
DATA winoIdxA<>+56(SB)/8, $0x0000001700000007
GLOBL winoIdxA<>(SB), RODATA|NOPTR, $64

DATA winoIdxB<>+0(SB)/8, $0x0000001800000008
DATA winoIdxB<>+8(SB)/8, $0x0000001900000009
DATA winoIdxB<>+16(SB)/8, $0x0000001a0000000a
DATA winoIdxB<>+24(SB)/8, $0x0000001b0000000b
DATA winoIdxB<>+32(SB)/8, $0x0000001c0000000c
DATA winoIdxB<>+40(SB)/8, $0x0000001d0000000d
DATA winoIdxB<>+48(SB)/8, $0x0000001e0000000e
DATA winoIdxB<>+56(SB)/8, $0x0000001f0000000f
GLOBL winoIdxB<>(SB), RODATA|NOPTR, $64

// Indices that interleave pairs of two vectors' lanes 0–7 (winoIdxC) and
// 8–15 (winoIdxD).
DATA winoIdxC<>+0(SB)/8, $0x0000000100000000
DATA winoIdxC<>+8(SB)/8, $0x0000001100000010
DATA winoIdxC<>+16(SB)/8, $0x0000000300000002
DATA winoIdxC<>+24(SB)/8, $0x0000001300000012
DATA winoIdxC<>+32(SB)/8, $0x0000000500000004
DATA winoIdxC<>+40(SB)/8, $0x0000001500000014
DATA winoIdxC<>+48(SB)/8, $0x0000000700000006
DATA winoIdxC<>+56(SB)/8, $0x0000001700000016
GLOBL winoIdxC<>(SB), RODATA|NOPTR, $64

DATA winoIdxD<>+0(SB)/8, $0x0000000900000008
DATA winoIdxD<>+8(SB)/8, $0x0000001900000018
DATA winoIdxD<>+16(SB)/8, $0x0000000b0000000a
DATA winoIdxD<>+24(SB)/8, $0x0000001b0000001a
DATA winoIdxD<>+32(SB)/8, $0x0000000d0000000c
DATA winoIdxD<>+40(SB)/8, $0x0000001d0000001c
DATA winoIdxD<>+48(SB)/8, $0x0000000f0000000e
DATA winoIdxD<>+56(SB)/8, $0x0000001f0000001e
GLOBL winoIdxD<>(SB), RODATA|NOPTR, $64

// BT6 computes Bᵀ z (bt6) of Z0…Z5 into Z7, Z9, Z11, Z13, Z6, Z14, with
// Z28 = 4 and Z29 = 2; it overwrites Z6…Z14.
#define BT6 \
	VSUBPS       Z2, Z4, Z6   \
	VSUBPS       Z2, Z0, Z7   \
	VFMADD213PS  Z6, Z28, Z7  \
	VADDPS       Z2, Z1, Z8   \
	VADDPS       Z4, Z3, Z9   \
	VFNMADD231PS Z28, Z8, Z9  \
	VSUBPS       Z2, Z1, Z10  \
	VSUBPS       Z3, Z4, Z11  \
	VFMADD231PS  Z28, Z10, Z11 \
	VSUBPS       Z1, Z3, Z12  \
	VMOVAPS      Z6, Z13      \
	VFMADD231PS  Z29, Z12, Z13 \
	VFNMADD231PS Z29, Z12, Z6 \
	VSUBPS       Z3, Z5, Z14  \
	VFNMADD231PS Z28, Z12, Z14

// AT6 computes Aᵀ m (at6) of Z0…Z5 into Z10, Z11, Z6, Z7, with Z27 = 8,
// Z28 = 4 and Z29 = 2; it overwrites Z6…Z11.
#define AT6 \
	VADDPS      Z2, Z1, Z6   \
	VSUBPS      Z2, Z1, Z7   \
	VADDPS      Z4, Z3, Z8   \
	VSUBPS      Z4, Z3, Z9   \
	VADDPS      Z6, Z0, Z10  \
	VADDPS      Z8, Z10, Z10 \
	VMOVAPS     Z7, Z11      \
	VFMADD231PS Z29, Z9, Z11 \
	VFMADD231PS Z28, Z8, Z6  \
	VFMADD231PS Z27, Z9, Z7  \
	VADDPS      Z5, Z7, Z7

// func winoInAVX512(x *float32, w int, v *float32, vStride int, segs *winoInSeg, nseg int, r *float32)
//
// Pass 1, per segment and block of 16 columns: load the 6 input rows under
// the segment's masks (zeros outside the image), R[k][col] = (Bᵀ d)[k].
// Pass 2, per row k of R: deinterleave R[k][0:66] into the 6 columns of the
// 16 tiles (P_j[lane] = R[k][4·lane + j]), row transform, and store the 6
// results (ξ = 6k + l) under each segment's lane mask.
TEXT ·winoInAVX512(SB), NOSPLIT, $0-56
	MOVQ         x+0(FP), SI
	MOVQ         w+8(FP), R8
	SHLQ         $2, R8               // input row stride, bytes
	LEAQ         (R8)(R8*2), R10      // 3 rows
	LEAQ         (R8)(R8*4), R11      // 5 rows
	MOVQ         segs+32(FP), AX
	MOVQ         nseg+40(FP), CX
	MOVQ         r+48(FP), DI
	MOVL         $0x40800000, DX      // 4.0
	VPBROADCASTD DX, Z28
	MOVL         $0x40000000, DX      // 2.0
	VPBROADCASTD DX, Z29

in_seg:
	MOVQ 0(AX), DX
	LEAQ (SI)(DX*4), DX  // row 0 of block 0
	MOVQ 8(AX), R12
	ADDQ DI, R12         // R[0] at the segment's first column
	MOVQ 16(AX), R13     // blocks
	LEAQ 40(AX), BX      // lmask[0][0]

in_block:
	KMOVW     0(BX), K1
	KMOVW     10(BX), K2
	KMOVW     20(BX), K3
	KMOVW     30(BX), K4
	KMOVW     40(BX), K5
	KMOVW     50(BX), K6
	VMOVUPS.Z (DX), K1, Z0
	VMOVUPS.Z (DX)(R8*1), K2, Z1
	VMOVUPS.Z (DX)(R8*2), K3, Z2
	VMOVUPS.Z (DX)(R10*1), K4, Z3
	VMOVUPS.Z (DX)(R8*4), K5, Z4
	VMOVUPS.Z (DX)(R11*1), K6, Z5
	BT6
	VMOVUPS   Z7, (R12)
	VMOVUPS   Z9, 640(R12)
	VMOVUPS   Z11, 1280(R12)
	VMOVUPS   Z13, 1920(R12)
	VMOVUPS   Z6, 2560(R12)
	VMOVUPS   Z14, 3200(R12)
	ADDQ      $64, DX
	ADDQ      $64, R12
	ADDQ      $2, BX
	DECQ      R13
	JNZ       in_block
	ADDQ      $104, AX
	DECQ      CX
	JNZ       in_seg

	VMOVDQU32 winoIdxE<>(SB), Z24
	VMOVDQU32 winoIdxF<>(SB), Z25
	MOVQ      v+16(FP), DX
	MOVQ      vStride+24(FP), CX
	SHLQ      $2, CX             // ξ stride, bytes
	LEAQ      (CX)(CX*2), R10    // 3 ξ
	LEAQ      (CX)(CX*4), R11    // 5 ξ
	MOVQ      $6, R13

in_row:
	VMOVUPS    0(DI), Z16
	VMOVUPS    64(DI), Z17
	VMOVUPS    128(DI), Z18
	VMOVUPS    192(DI), Z19
	VMOVUPS    256(DI), Z20      // R[k][64:]
	VMOVUPS    260(DI), Z21      // R[k][65:]
	VMOVAPS    Z16, Z22
	VPERMT2PS  Z17, Z24, Z22     // phases 0, 1 of tiles 0–7
	VPERMT2PS  Z17, Z25, Z16     // phases 2, 3 of tiles 0–7
	VMOVAPS    Z18, Z23
	VPERMT2PS  Z19, Z24, Z23     // phases 0, 1 of tiles 8–15
	VPERMT2PS  Z19, Z25, Z18     // phases 2, 3 of tiles 8–15
	VSHUFF32X4 $0x44, Z23, Z22, Z0
	VSHUFF32X4 $0xee, Z23, Z22, Z1
	VSHUFF32X4 $0x44, Z18, Z16, Z2
	VSHUFF32X4 $0xee, Z18, Z16, Z3
	VALIGND    $1, Z0, Z20, Z4   // column 4 = column 0 of the next lane
	VALIGND    $1, Z1, Z21, Z5   // column 5 = column 1 of the next lane
	BT6
	MOVQ       segs+32(FP), AX
	MOVQ       nseg+40(FP), R9

in_store:
	KMOVW   32(AX), K1
	MOVQ    24(AX), R12
	LEAQ    (DX)(R12*4), R12
	VMOVUPS Z7, K1, (R12)
	VMOVUPS Z9, K1, (R12)(CX*1)
	VMOVUPS Z11, K1, (R12)(CX*2)
	VMOVUPS Z13, K1, (R12)(R10*1)
	VMOVUPS Z6, K1, (R12)(CX*4)
	VMOVUPS Z14, K1, (R12)(R11*1)
	ADDQ    $104, AX
	DECQ    R9
	JNZ     in_store
	ADDQ    $640, DI
	ADDQ    R11, DX
	ADDQ    CX, DX               // next 6 ξ
	DECQ    R13
	JNZ     in_row
	VZEROUPPER
	RET

// func winoOutAVX512(m *float32, mStride, nt int, y, res *float32, ow int, bias float32, relu bool, segs *winoOutSeg, nseg int, t *float32)
//
// Pass 1, per column j: T[i][j] = (Aᵀ m[·][j])[i] into the scratch t.
// Pass 2, per output row i: the row transform of T[i], + bias, interleaved
// into the row's 64 values (4 per lane), + residual (loaded under each
// segment's masks), ReLU, stored under each segment's masks.
TEXT ·winoOutAVX512(SB), NOSPLIT, $0-80
	MOVQ         m+0(FP), SI
	MOVQ         mStride+8(FP), R8
	SHLQ         $2, R8             // ξ stride, bytes
	LEAQ         (R8)(R8*2), R9
	ADDQ         R9, R9             // 6 ξ: one row of m
	LEAQ         (R9)(R9*2), R10    // 3 rows
	LEAQ         (R9)(R9*4), R11    // 5 rows
	MOVQ         nt+16(FP), CX
	MOVL         $1, AX
	SHLL         CX, AX
	DECL         AX
	KMOVW        AX, K1             // the chunk's lanes
	MOVL         $0x41000000, DX    // 8.0
	VPBROADCASTD DX, Z27
	MOVL         $0x40800000, DX    // 4.0
	VPBROADCASTD DX, Z28
	MOVL         $0x40000000, DX    // 2.0
	VPBROADCASTD DX, Z29
	VBROADCASTSS bias+48(FP), Z30
	VXORPS       Z31, Z31, Z31
	MOVQ         t+72(FP), DI
	MOVQ         $6, CX

out_col:
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (SI)(R9*1), K1, Z1
	VMOVUPS.Z (SI)(R9*2), K1, Z2
	VMOVUPS.Z (SI)(R10*1), K1, Z3
	VMOVUPS.Z (SI)(R9*4), K1, Z4
	VMOVUPS.Z (SI)(R11*1), K1, Z5
	AT6
	VMOVUPS   Z10, (DI)
	VMOVUPS   Z11, 384(DI)
	VMOVUPS   Z6, 768(DI)
	VMOVUPS   Z7, 1152(DI)
	ADDQ      R8, SI
	ADDQ      $64, DI
	DECQ      CX
	JNZ       out_col

	VMOVDQU32 winoIdxA<>(SB), Z20
	VMOVDQU32 winoIdxB<>(SB), Z21
	VMOVDQU32 winoIdxC<>(SB), Z22
	VMOVDQU32 winoIdxD<>(SB), Z23
	MOVQ      t+72(FP), DI
	MOVQ      y+24(FP), SI
	MOVQ      res+32(FP), DX
	MOVQ      ow+40(FP), R8
	SHLQ      $2, R8             // output row stride, bytes
	XORQ      R13, R13           // row i's offset, bytes
	XORQ      R12, R12           // i

out_row:
	VMOVUPS   0(DI), Z0
	VMOVUPS   64(DI), Z1
	VMOVUPS   128(DI), Z2
	VMOVUPS   192(DI), Z3
	VMOVUPS   256(DI), Z4
	VMOVUPS   320(DI), Z5
	AT6
	VADDPS    Z30, Z10, Z10
	VADDPS    Z30, Z11, Z11
	VADDPS    Z30, Z6, Z6
	VADDPS    Z30, Z7, Z7
	VMOVAPS   Z10, Z12
	VPERMT2PS Z11, Z20, Z12      // columns 0, 1 of lanes 0–7
	VPERMT2PS Z11, Z21, Z10      // columns 0, 1 of lanes 8–15
	VMOVAPS   Z6, Z13
	VPERMT2PS Z7, Z20, Z13       // columns 2, 3 of lanes 0–7
	VPERMT2PS Z7, Z21, Z6        // columns 2, 3 of lanes 8–15
	VMOVAPS   Z12, Z0
	VPERMT2PS Z13, Z22, Z0       // lanes 0–3
	VPERMT2PS Z13, Z23, Z12      // lanes 4–7
	VMOVAPS   Z10, Z2
	VPERMT2PS Z6, Z22, Z2        // lanes 8–11
	VPERMT2PS Z6, Z23, Z10       // lanes 12–15
	TESTQ     DX, DX
	JZ        out_relu
	VXORPS    Z14, Z14, Z14
	VXORPS    Z15, Z15, Z15
	VXORPS    Z16, Z16, Z16
	VXORPS    Z17, Z17, Z17
	MOVQ      segs+56(FP), AX
	MOVQ      nseg+64(FP), CX

out_res:
	CMPQ    R12, 8(AX)
	JGE     out_res_next
	MOVQ    0(AX), BX
	LEAQ    (DX)(BX*4), BX
	ADDQ    R13, BX
	KMOVW   16(AX), K2
	KMOVW   18(AX), K3
	KMOVW   20(AX), K4
	KMOVW   22(AX), K5
	VMOVUPS (BX), K2, Z14
	VMOVUPS 64(BX), K3, Z15
	VMOVUPS 128(BX), K4, Z16
	VMOVUPS 192(BX), K5, Z17

out_res_next:
	ADDQ   $24, AX
	DECQ   CX
	JNZ    out_res
	VADDPS Z14, Z0, Z0
	VADDPS Z15, Z12, Z12
	VADDPS Z16, Z2, Z2
	VADDPS Z17, Z10, Z10

out_relu:
	MOVBLZX relu+52(FP), AX
	TESTL   AX, AX
	JZ      out_store0
	// max(v, 0) as the reference: (0 > v ? 0 : v) keeps a NaN, + 0 turns −0 into +0.
	VMAXPS  Z0, Z31, Z0
	VMAXPS  Z12, Z31, Z12
	VMAXPS  Z2, Z31, Z2
	VMAXPS  Z10, Z31, Z10
	VADDPS  Z31, Z0, Z0
	VADDPS  Z31, Z12, Z12
	VADDPS  Z31, Z2, Z2
	VADDPS  Z31, Z10, Z10

out_store0:
	MOVQ segs+56(FP), AX
	MOVQ nseg+64(FP), CX

out_store:
	CMPQ    R12, 8(AX)
	JGE     out_store_next
	MOVQ    0(AX), BX
	LEAQ    (SI)(BX*4), BX
	ADDQ    R13, BX
	KMOVW   16(AX), K2
	KMOVW   18(AX), K3
	KMOVW   20(AX), K4
	KMOVW   22(AX), K5
	VMOVUPS Z0, K2, (BX)
	VMOVUPS Z12, K3, 64(BX)
	VMOVUPS Z2, K4, 128(BX)
	VMOVUPS Z10, K5, 192(BX)

out_store_next:
	ADDQ $24, AX
	DECQ CX
	JNZ  out_store
	ADDQ $384, DI
	ADDQ R8, R13
	INCQ R12
	CMPQ R12, $4
	JLT  out_row
	VZEROUPPER
	RET

// ---- Weight transform into packed panels (WinogradPackedWeights) ----
//
// Per input channel c, the 3×3 filters of up to 16 output channels (one
// per lane, gathered with the row stride in Z31) go through G·w·Gᵀ in
// WinogradWeights32's operations and order; each of the 36 results is a
// vector of the panel's output channels, stored as one column of the
// packed micro-panel of its matrix ξ (the stores 36 planes apart).
// Constants: Z20 = 1/4, Z21 = 1/6, Z22 = −1/6, Z23 = 1/12, Z24 = 1/24;
// scratch Z25..Z28.

// WG3(a, b, c, r0, r1, r2, r3, r4): WinogradWeights32's g3 on lanes, the
// sixth result being c itself: r0 = a/4, r1 = −(a+c+b)/6, r2 =
// −(a+c−b)/6, r3 = e+o, r4 = e−o with e = a/24 + c/6, o = b/12 (each
// product and sum rounded on its own). Lanes outside K1 (no output
// channel: the panel's padding rows) are +0, as packing pads them.
#define WG3(a, b, c, r0, r1, r2, r3, r4) \
	VADDPS   c, a, Z25;         \
	VMULPS   Z24, a, Z26;       \
	VMULPS   Z21, c, Z27;       \
	VADDPS   Z27, Z26, Z26;     \
	VMULPS   Z23, b, Z27;       \
	VADDPS   b, Z25, r1;        \
	VMULPS.Z Z22, r1, K1, r1;   \
	VSUBPS   b, Z25, r2;        \
	VMULPS.Z Z22, r2, K1, r2;   \
	VADDPS.Z Z27, Z26, K1, r3;  \
	VSUBPS.Z Z27, Z26, K1, r4;  \
	VMULPS.Z Z20, a, K1, r0

// WG3_STORE(a, b, c): WG3 of one row of the first pass (into Z28, Z29,
// Z30, Z2, Z5, free by then), its six results stored under K3 at DI,
// DI+P, …, DI+5P (P = R8, 3P = R12, 5P = R13), then DI moves 6P on.
#define WG3_STORE(a, b, c) \
	WG3(a, b, c, Z28, Z29, Z30, Z2, Z5); \
	VMOVUPS Z28, K3, (DI);               \
	VMOVUPS Z29, K3, (DI)(R8*1);         \
	VMOVUPS Z30, K3, (DI)(R8*2);         \
	VMOVUPS Z2, K3, (DI)(R12*1);         \
	VMOVUPS Z5, K3, (DI)(R8*4);          \
	VMOVUPS c, K3, (DI)(R13*1);            \
	ADDQ    R11, DI

// GATHER(off, z): tap off/4 of every lane's filter into z (zero where K1
// is clear).
#define GATHER(off, z) \
	VPXORD     z, z, z;              \
	KMOVW      K1, K2;               \
	VGATHERDPS off(SI)(Z31*4), K2, z

// func winoWeightsPanelAVX512(w *float32, ldo, n int, dst *float32, step, plane, rows, mr int)
//
// For n input channels in turn: lane i < rows takes the filter at w +
// i·ldo floats (w moves 9 floats per channel); the 36 transformed values
// of the channel go to dst + ξ·plane floats, mr lanes each (lanes ≥ rows
// are 0), and dst moves step floats per channel.
TEXT ·winoWeightsPanelAVX512(SB), NOSPLIT, $0-64
	MOVQ w+0(FP), SI
	MOVQ ldo+8(FP), AX
	MOVQ n+16(FP), CX
	MOVQ dst+24(FP), R9
	MOVQ step+32(FP), R10
	SHLQ $2, R10
	MOVQ plane+40(FP), R8
	SHLQ $2, R8                  // P: bytes from one ξ to the next
	LEAQ (R8)(R8*2), R12         // 3P
	LEAQ (R8)(R8*4), R13         // 5P
	LEAQ (R12)(R12*1), R11       // 6P

	// K1: the rows present; K3: the mr lanes stored.
	MOVQ  rows+48(FP), BX
	MOVL  $1, DX
	SHLXL BX, DX, DX
	DECL  DX
	KMOVW DX, K1
	MOVQ  mr+56(FP), BX
	MOVL  $1, DX
	SHLXL BX, DX, DX
	DECL  DX
	KMOVW DX, K3

	// Z31: lane i's offset i·ldo, in floats.
	VMOVUPS      wwLanes<>(SB), Z31
	VPBROADCASTD AX, Z30
	VPMULLD      Z30, Z31, Z31

	MOVL         $0x3e800000, DX // 0.25
	VPBROADCASTD DX, Z20
	MOVL         $0x3e2aaaab, DX // float32(1/6)
	VPBROADCASTD DX, Z21
	MOVL         $0xbe2aaaab, DX // −float32(1/6)
	VPBROADCASTD DX, Z22
	MOVL         $0x3daaaaab, DX // float32(1/12)
	VPBROADCASTD DX, Z23
	MOVL         $0x3d2aaaab, DX // float32(1/24)
	VPBROADCASTD DX, Z24

ww_loop:
	GATHER(0, Z0)
	GATHER(4, Z1)
	GATHER(8, Z2)
	GATHER(12, Z3)
	GATHER(16, Z4)
	GATHER(20, Z5)
	GATHER(24, Z6)
	GATHER(28, Z7)
	GATHER(32, Z8)

	// G·w, column by column: (k0, k3, k6) → a0..a5 (a5 = k6), (k1, k4,
	// k7) → b0..b5 (b5 = k7), (k2, k5, k8) → d0..d5 (d5 = k8).
	WG3(Z0, Z3, Z6, Z9, Z10, Z11, Z12, Z13)
	WG3(Z1, Z4, Z7, Z14, Z15, Z16, Z17, Z18)
	WG3(Z2, Z5, Z8, Z19, Z0, Z3, Z1, Z4)

	// Each row of it times Gᵀ: row i gives ξ = 6i … 6i+5.
	MOVQ R9, DI
	WG3_STORE(Z9, Z14, Z19)
	WG3_STORE(Z10, Z15, Z0)
	WG3_STORE(Z11, Z16, Z3)
	WG3_STORE(Z12, Z17, Z1)
	WG3_STORE(Z13, Z18, Z4)
	WG3_STORE(Z6, Z7, Z8)

	ADDQ $36, SI
	ADDQ R10, R9
	DECQ CX
	JNZ  ww_loop
	VZEROUPPER
	RET

// Lane numbers 0..15.
DATA wwLanes<>+0(SB)/4, $0
DATA wwLanes<>+4(SB)/4, $1
DATA wwLanes<>+8(SB)/4, $2
DATA wwLanes<>+12(SB)/4, $3
DATA wwLanes<>+16(SB)/4, $4
DATA wwLanes<>+20(SB)/4, $5
DATA wwLanes<>+24(SB)/4, $6
DATA wwLanes<>+28(SB)/4, $7
DATA wwLanes<>+32(SB)/4, $8
DATA wwLanes<>+36(SB)/4, $9
DATA wwLanes<>+40(SB)/4, $10
DATA wwLanes<>+44(SB)/4, $11
DATA wwLanes<>+48(SB)/4, $12
DATA wwLanes<>+52(SB)/4, $13
DATA wwLanes<>+56(SB)/4, $14
DATA wwLanes<>+60(SB)/4, $15
GLOBL wwLanes<>(SB), RODATA|NOPTR, $64
