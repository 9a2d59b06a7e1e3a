//go:build !noasm

#include "textflag.h"
#include "gemm_amd64.h"

// The fused-epilogue SGEMM micro-kernels of the pre-packed products
// (GemmPacked, and Sgemm's column-edge tiles): 12×32 and 8×32 tiles of
// C = A·B (+ C when beta = 1), finished in registers before they are
// stored, in the order of Epilogue.apply: the bias of each row, then the
// residual, then ReLU or ReLU6; each step is one IEEE operation, so the
// result equals the unfused path bit for bit. A comes as a packed
// micro-panel; row p of the tile's 32 columns of B is read at b + p·ldb,
// which is a packed panel when ldb = 32 and B's own rows otherwise (for
// products of few rows, where packing B costs as much as multiplying by
// it; a packed panel takes a loop of unmasked loads at fixed offsets).
// Strided B loads, C loads and stores and residual loads are masked to the
// tile's first cols columns (K1: columns 0–15, K2: 16–31), so nothing
// outside the tile is read or written. The 12-row tile lives in Z8..Z31,
// row i in Z(8+2i), Z(9+2i); the 8-row one in Z16..Z31.
//
// ReLU is VMAXPS with 0 as the first source: (0 > v) ? 0 : v, so NaN and
// −0 pass unchanged as in ApplyAct; ReLU6 then takes (6 < v) ? 6 : v.

// PFA is how far ahead of the step being multiplied the main loops
// prefetch the A stream into L1 (one line per 64 bytes of A). A
// pre-packed layer's weights are one sequential stream in the order the
// row panels use them, and at batch 1 they come from DRAM: the hardware
// prefetchers stop at every 4 KiB page, while each 12 KiB panel is only
// used for a few column tiles. ResNet-50 batch 1, one thread, medians of
// 20 runs, 3 rounds interleaved: 59.0–62.5 → 55.0–57.4 ms; a 512→512 3×3
// layer at 7×7 right after the rest of the model 2.5 → 2.0 ms. Distances of
// 512 to 4096 bytes measured alike.
#define PFA 1024

// The loops over a B read in place also prefetch, for each row of B they
// read, the 128 bytes after the tile's: the next column tile's part of
// that row, which the next call reads. Rows of B lie N floats apart (12.5
// KiB for 56² pixels), too far apart for the hardware prefetchers, and the
// products that read B in place have few rows of A to hide the misses
// behind. MobileNet-v2 batch 1, 2 threads, 3 interleaved rounds:
// 4.04–4.25 → 3.83–3.90 ms; EfficientNet-B0 6.58–6.87 → 6.52–6.63.
//
// PREFETCH_NEXT_B4 does so for the four rows of B at BX, BX + R11,
// BX + 2·R11 and BX + R12 (= 3·R11) that a group of four steps reads.
#define PREFETCH_NEXT_B4 \
	PREFETCHT0 128(BX);         \
	PREFETCHT0 192(BX);         \
	PREFETCHT0 128(BX)(R11*1);  \
	PREFETCHT0 192(BX)(R11*1);  \
	PREFETCHT0 128(BX)(R11*2);  \
	PREFETCHT0 192(BX)(R11*2);  \
	PREFETCHT0 128(BX)(R12*1);  \
	PREFETCHT0 192(BX)(R12*1)

// Per-row steps of the epilogues: a row of the tile is the register pair
// r0, r1 (columns [0, 16) under K1, [16, 32) under K2).
//
// ADD_ROW adds the row at R10 (masked loads) and steps R10 by stride;
// BIAS_ROW adds the bias at off(SI); STORE_ROW stores the row at DI under
// the masks and steps DI by ldc (DX). ReLU and ReLU6 take RELU_ROW and
// MIN6_ROW (gemm_amd64.h).
#define ADD_ROW(stride, r0, r1) \
	VMOVUPS.Z (R10), K1, Z0;    \
	VADDPS    Z0, r0, r0;       \
	VMOVUPS.Z 64(R10), K2, Z0;  \
	VADDPS    Z0, r1, r1;       \
	ADDQ      stride, R10

#define BIAS_ROW(off, r0, r1)        \
	VBROADCASTSS off(SI), Z0; \
	VADDPS       Z0, r0, r0;  \
	VADDPS       Z0, r1, r1

#define STORE_ROW(r0, r1)        \
	VMOVUPS r0, K1, (DI);     \
	VMOVUPS r1, K2, 64(DI);   \
	ADDQ    DX, DI

// ADD_ROW with the strides of C (DX) and of the residual (R11).
#define ADD_C_ROW(r0, r1) ADD_ROW(DX, r0, r1)
#define ADD_RES_ROW(r0, r1) ADD_ROW(R11, r0, r1)

// BIAS_HI(base): BIAS_ROW for the rows in Z16..Z31, whose biases start at
// base(SI).
#define BIAS_HI(base)              \
	BIAS_ROW(base+0, Z16, Z17);  \
	BIAS_ROW(base+4, Z18, Z19);  \
	BIAS_ROW(base+8, Z20, Z21);  \
	BIAS_ROW(base+12, Z22, Z23); \
	BIAS_ROW(base+16, Z24, Z25); \
	BIAS_ROW(base+20, Z26, Z27); \
	BIAS_ROW(base+24, Z28, Z29); \
	BIAS_ROW(base+28, Z30, Z31)

// SB_STEP(ao, b0, b1), S8B(ao, b0, b1): a step whose B row is read in
// place at the addresses b0, b1 under the column masks K1, K2; on a packed
// panel the kernels take STEP_12x32 and STEP_8x32 (gemm_amd64.h) instead,
// whose unmasked loads at fixed offsets are slightly faster.
#define SB_STEP(ao, b0, b1)  \
	VMOVUPS.Z b0, K1, Z0; \
	VMOVUPS.Z b1, K2, Z1; \
	FMA_12x32(ao)

#define S8B(ao, b0, b1)      \
	VMOVUPS.Z b0, K1, Z0; \
	VMOVUPS.Z b1, K2, Z1; \
	FMA_8x32(ao)



// TAB_ARGS loads the arguments of the table kernels (at the end of this
// file): the column masks into K1, K2, the four load masks packed in lm
// into K3..K6, kc into CX, A, B, the offsets and C into AX, BX, SI, DI
// (and R10), ldc in bytes into DX and B's second half, b2, into R12. (It
// stands before the first TEXT so that vet does not check it against
// another function's arguments.)
#define TAB_ARGS \
	MOVQ  k1+56(FP), R13; \
	KMOVW R13, K1;        \
	MOVQ  k2+64(FP), R13; \
	KMOVW R13, K2;        \
	MOVQ  lm+80(FP), R13; \
	KMOVW R13, K3;        \
	SHRQ  $16, R13;       \
	KMOVW R13, K4;        \
	SHRQ  $16, R13;       \
	KMOVW R13, K5;        \
	SHRQ  $16, R13;       \
	KMOVW R13, K6;        \
	MOVQ  kc+0(FP), CX;   \
	MOVQ  a+8(FP), AX;    \
	MOVQ  b+16(FP), BX;   \
	MOVQ  off+24(FP), SI; \
	MOVQ  c+32(FP), DI;   \
	MOVQ  ldc+40(FP), DX; \
	SHLQ  $2, DX;         \
	MOVQ  DI, R10;        \
	MOVQ  b2+72(FP), R12

// func sgemm12x32EpAVX512(kc int, a, b *float32, ldb int, c *float32, ldc int, beta int, ep *tileEpilogue, cols int)
TEXT ·sgemm12x32EpAVX512(SB), NOSPLIT, $0-72
	// K1, K2: the tile's columns [0, 16) and [16, 32) below cols.
	MOVQ  cols+64(FP), R11
	MOVQ  R11, CX
	CMPQ  CX, $16
	JLE   sb_m1
	MOVQ  $16, CX
sb_m1:
	MOVL  $1, R13
	SHLL  CX, R13
	DECL  R13
	KMOVW R13, K1
	KXORW K2, K2, K2
	SUBQ  $16, R11
	JLE   sb_m2
	MOVQ  R11, CX
	MOVL  $1, R13
	SHLL  CX, R13
	DECL  R13
	KMOVW R13, K2
sb_m2:
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), R11
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), DX
	SHLQ $2, DX

	MOVQ DI, R10
	ROWS_LO(PREFETCH_C_LINES)
	ROWS_HI(PREFETCH_C_LINES)
	ZERO_12x32

	CMPQ R11, $128
	JEQ  sb_packed
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   sb_tail

sb_loop:
	PREFETCHT0 PFA(AX)
	PREFETCHT0 PFA+64(AX)
	PREFETCHT0 PFA+128(AX)
	PREFETCH_NEXT_B4
	SB_STEP(0, (BX), 64(BX))
	SB_STEP(48, (BX)(R11*1), 64(BX)(R11*1))
	SB_STEP(96, (BX)(R11*2), 64(BX)(R11*2))
	SB_STEP(144, (BX)(R12*1), 64(BX)(R12*1))
	ADDQ $192, AX
	LEAQ (BX)(R11*4), BX
	DECQ R9
	JNZ  sb_loop

sb_tail:
	ANDQ $3, CX
	JZ   sb_beta

sb_step:
	SB_STEP(0, (BX), 64(BX))
	ADDQ $48, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  sb_step

	JMP sb_beta

sb_packed:
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   sb_ptail
sb_ploop:
	PREFETCHT0 PFA(AX)
	PREFETCHT0 PFA+64(AX)
	PREFETCHT0 PFA+128(AX)
	STEP4_12x32
	DECQ R9
	JNZ  sb_ploop
sb_ptail:
	ANDQ $3, CX
	JZ   sb_beta
sb_pstep:
	STEP_12x32(0, 0)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  sb_pstep

sb_beta:
	MOVQ beta+48(FP), R9
	TESTQ R9, R9
	JZ   sb_fin
	MOVQ DI, R10
	ROWS_LO(ADD_C_ROW)
	ROWS_HI(ADD_C_ROW)

sb_fin:
	MOVQ ep+56(FP), R8
	TESTQ R8, R8
	JZ   sb_store
	MOVQ EP_BIAS(R8), SI
	TESTQ SI, SI
	JZ   sb_nobias
	BIAS_ROW(0, Z8, Z9)
	BIAS_ROW(4, Z10, Z11)
	BIAS_ROW(8, Z12, Z13)
	BIAS_ROW(12, Z14, Z15)
	BIAS_HI(16)

sb_nobias:
	MOVQ EP_RES(R8), R10
	TESTQ R10, R10
	JZ   sb_nores
	MOVQ EP_LDR(R8), R11
	SHLQ $2, R11
	ROWS_LO(ADD_RES_ROW)
	ROWS_HI(ADD_RES_ROW)

sb_nores:
	MOVQ EP_ACT(R8), R11
	TESTQ R11, R11
	JZ   sb_store
	VPXORD Z0, Z0, Z0
	ROWS_LO(RELU_ROW)
	ROWS_HI(RELU_ROW)
	CMPQ R11, $1
	JEQ  sb_store
	MOVL $0x40c00000, R11 // 6.0
	VPBROADCASTD R11, Z1
	ROWS_LO(MIN6_ROW)
	ROWS_HI(MIN6_ROW)

sb_store:
	ROWS_LO(STORE_ROW)
	ROWS_HI(STORE_ROW)
	VZEROUPPER
	RET



// func sgemm8x32EpAVX512(kc int, a, b *float32, ldb int, c *float32, ldc int, beta int, ep *tileEpilogue, cols int)
TEXT ·sgemm8x32EpAVX512(SB), NOSPLIT, $0-72
	// K1, K2: the tile's columns [0, 16) and [16, 32) below cols.
	MOVQ  cols+64(FP), R11
	MOVQ  R11, CX
	CMPQ  CX, $16
	JLE   s8_m1
	MOVQ  $16, CX
s8_m1:
	MOVL  $1, R13
	SHLL  CX, R13
	DECL  R13
	KMOVW R13, K1
	KXORW K2, K2, K2
	SUBQ  $16, R11
	JLE   s8_m2
	MOVQ  R11, CX
	MOVL  $1, R13
	SHLL  CX, R13
	DECL  R13
	KMOVW R13, K2
s8_m2:
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ ldb+24(FP), R11
	SHLQ $2, R11
	LEAQ (R11)(R11*2), R12
	MOVQ c+32(FP), DI
	MOVQ ldc+40(FP), DX
	SHLQ $2, DX
	MOVQ DI, R10
	ROWS_HI(PREFETCH_C_LINES)
	ZERO_8x32
	CMPQ R11, $128
	JEQ  s8_packed
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   s8_tail
s8_loop:
	PREFETCHT0 PFA(AX)
	PREFETCHT0 PFA+64(AX)
	PREFETCH_NEXT_B4
	S8B(0, (BX), 64(BX))
	S8B(32, (BX)(R11*1), 64(BX)(R11*1))
	S8B(64, (BX)(R11*2), 64(BX)(R11*2))
	S8B(96, (BX)(R12*1), 64(BX)(R12*1))
	ADDQ $128, AX
	LEAQ (BX)(R11*4), BX
	DECQ R9
	JNZ  s8_loop
s8_tail:
	ANDQ $3, CX
	JZ   s8_end
s8_step:
	S8B(0, (BX), 64(BX))
	ADDQ $32, AX
	ADDQ R11, BX
	DECQ CX
	JNZ  s8_step
	JMP s8_end

s8_packed:
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   s8_ptail
s8_ploop:
	PREFETCHT0 PFA(AX)
	PREFETCHT0 PFA+64(AX)
	STEP4_8x32
	DECQ R9
	JNZ  s8_ploop
s8_ptail:
	ANDQ $3, CX
	JZ   s8_end
s8_pstep:
	STEP_8x32(0, 0)
	ADDQ $32, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  s8_pstep

s8_end:
	MOVQ beta+48(FP), R9
	TESTQ R9, R9
	JZ   s8_fin
	MOVQ DI, R10
	ROWS_HI(ADD_C_ROW)
s8_fin:
	MOVQ ep+56(FP), R8
	TESTQ R8, R8
	JZ   s8_store
	MOVQ EP_BIAS(R8), SI
	TESTQ SI, SI
	JZ   s8_nobias
	BIAS_HI(0)
s8_nobias:
	MOVQ EP_RES(R8), R10
	TESTQ R10, R10
	JZ   s8_nores
	MOVQ EP_LDR(R8), R11
	SHLQ $2, R11
	ROWS_HI(ADD_RES_ROW)
s8_nores:
	MOVQ EP_ACT(R8), R11
	TESTQ R11, R11
	JZ   s8_store
	VPXORD Z0, Z0, Z0
	ROWS_HI(RELU_ROW)
	CMPQ R11, $1
	JEQ  s8_store
	MOVL $0x40c00000, R11 // 6.0
	VPBROADCASTD R11, Z1
	ROWS_HI(MIN6_ROW)
s8_store:
	ROWS_HI(STORE_ROW)
	VZEROUPPER
	RET

// The table kernels of GemmPackedTab: the 12×32 and 8×32 tiles of C = A·B
// (+ C when beta = 1) whose B row p is read at b + 4·off[p] (columns
// 0–15) and b2 + 4·off[p] (columns 16–31; off in floats): a
// convolution's input read in place, each row one tap of one channel (see
// TabLayout), so that nothing is unfolded. With b2 = b + 64 bytes the
// tile's columns are contiguous in B; otherwise its halves lie in two
// places, such as two image rows of 16 pixels. Each half is read in two
// masked loads, its lanes under K3 (K5 for the second half) at the
// address and those under K4 (K6) one float further: a half that crosses
// from one image row of the layout into the next skips the row's extra
// column (K4, K6 are empty where a half lies in one row). The arithmetic
// is that of the kernels above, so the tile has the bits that an
// unfolded B read in place would give. C loads and stores are masked by
// K1, K2 (from the arguments k1, k2). Each step prefetches the two cache
// lines after its row's tile: the next column tile's part of the row.
// TAB_LOAD reads a B row of a tile whose halves each lie in one row of
// the layout (K4, K6 empty: K3, K5 are the column masks), TAB_LOAD_SPLIT
// one whose halves may skip an element: the split loads cost the narrow
// kernels a quarter of their speed (16-channel 3×3 forward pass, batch 128,
// 3.14 → 3.95 ms), so the kernels pick the loop at entry (TAB_PICK).
#define TAB_LOAD(oo) \
	MOVQ       oo(SI), R8;              \
	VMOVUPS.Z  (BX)(R8*4), K3, Z0;      \
	VMOVUPS.Z  (R12)(R8*4), K5, Z1;     \
	PREFETCHT0 128(BX)(R8*4);           \
	PREFETCHT0 192(BX)(R8*4)

#define TAB_LOAD_SPLIT(oo) \
	MOVQ       oo(SI), R8;              \
	VMOVUPS.Z  (BX)(R8*4), K3, Z0;      \
	VMOVUPS    4(BX)(R8*4), K4, Z0;     \
	VMOVUPS.Z  (R12)(R8*4), K5, Z1;     \
	VMOVUPS    4(R12)(R8*4), K6, Z1;    \
	PREFETCHT0 128(BX)(R8*4);           \
	PREFETCHT0 192(BX)(R8*4)

#define TAB12(ao, oo) TAB_LOAD(oo); FMA_12x32(ao)
#define TAB8(ao, oo) TAB_LOAD(oo); FMA_8x32(ao)
#define TAB12S(ao, oo) TAB_LOAD_SPLIT(oo); FMA_12x32(ao)
#define TAB8S(ao, oo) TAB_LOAD_SPLIT(oo); FMA_8x32(ao)

// TAB_PICK jumps to split when K4 or K6 holds a lane.
#define TAB_PICK(split) \
	KORTESTW K4, K6;    \
	JNZ      split

// TAB_STEPS(STEP, PF, a1, a2, a3, a4, loop, tail, step, end): a table
// kernel's k loop with step macro STEP (TAB12, TAB12S, TAB8, TAB8S), the A
// micro-panel's columns a1 bytes apart: R9 groups of four steps (PF
// prefetching A ahead), then CX mod 4 single steps, then a jump to end.
// loop, tail and step name labels of its own.
#define TAB_STEPS(STEP, PF, a1, a2, a3, a4, loop, tail, step, end) \
	TESTQ R9, R9;   \
	JZ    tail;     \
loop:               \
	PF;             \
	STEP(0, 0);     \
	STEP(a1, 8);    \
	STEP(a2, 16);   \
	STEP(a3, 24);   \
	ADDQ  $a4, AX;  \
	ADDQ  $32, SI;  \
	DECQ  R9;       \
	JNZ   loop;     \
tail:               \
	ANDQ  $3, CX;   \
	JZ    end;      \
step:               \
	STEP(0, 0);     \
	ADDQ  $a1, AX;  \
	ADDQ  $8, SI;   \
	DECQ  CX;       \
	JNZ   step;     \
	JMP   end

#define TAB_PF12 PREFETCHT0 PFA(AX); PREFETCHT0 PFA+64(AX); PREFETCHT0 PFA+128(AX)
#define TAB_PF8 PREFETCHT0 PFA(AX); PREFETCHT0 PFA+64(AX)

// func sgemm12x32TabAVX512(kc int, a, b *float32, off *int, c *float32, ldc int, beta int, k1, k2 int, b2 *float32, lm uint64)
TEXT ·sgemm12x32TabAVX512(SB), NOSPLIT, $0-88
	TAB_ARGS
	ROWS_LO(PREFETCH_C_LINES)
	ROWS_HI(PREFETCH_C_LINES)
	ZERO_12x32
	MOVQ  CX, R9
	SHRQ  $2, R9
	TAB_PICK(t12_split)
	TAB_STEPS(TAB12, TAB_PF12, 48, 96, 144, 192, t12_loop, t12_tail, t12_step, t12_end)

t12_split:
	TAB_STEPS(TAB12S, TAB_PF12, 48, 96, 144, 192, t12_sloop, t12_stail, t12_sstep, t12_end)

t12_end:
	MOVQ  beta+48(FP), R9
	TESTQ R9, R9
	JZ    t12_store
	MOVQ  DI, R10
	ROWS_LO(ADD_C_ROW)
	ROWS_HI(ADD_C_ROW)

t12_store:
	ROWS_LO(STORE_ROW)
	ROWS_HI(STORE_ROW)
	VZEROUPPER
	RET

// func sgemm8x32TabAVX512(kc int, a, b *float32, off *int, c *float32, ldc int, beta int, k1, k2 int, b2 *float32, lm uint64)
TEXT ·sgemm8x32TabAVX512(SB), NOSPLIT, $0-88
	TAB_ARGS
	ROWS_HI(PREFETCH_C_LINES)
	ZERO_8x32
	MOVQ  CX, R9
	SHRQ  $2, R9
	TAB_PICK(t8_split)
	TAB_STEPS(TAB8, TAB_PF8, 32, 64, 96, 128, t8_loop, t8_tail, t8_step, t8_end)

t8_split:
	TAB_STEPS(TAB8S, TAB_PF8, 32, 64, 96, 128, t8_sloop, t8_stail, t8_sstep, t8_end)

t8_end:
	MOVQ  beta+48(FP), R9
	TESTQ R9, R9
	JZ    t8_store
	MOVQ  DI, R10
	ROWS_HI(ADD_C_ROW)

t8_store:
	ROWS_HI(STORE_ROW)
	VZEROUPPER
	RET
