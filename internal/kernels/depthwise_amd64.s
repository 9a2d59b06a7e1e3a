//go:build !noasm

#include "textflag.h"

// Depthwise row kernels; see dwRowsGo for what they compute and
// depthwise_amd64.go for their contract. Both take the output rows four at
// a time (then one at a time), and each group of rows one vector of 16
// outputs at a time: one ZMM accumulator per row, started at the bias; for
// every tap (i, j), in increasing i then j, the tap's load mask (which
// clears the lanes past the row's end and those whose tap is in the left or
// right padding), its weight broadcast, then one masked VFMADD231PS per row,
// so that a masked lane skips the tap. Last the residual (masked load) is
// added, the clamp max(lo, ·) then min(hi, ·) applied and the lanes of the
// output mask stored.
//
// Registers: DX holds the *dwAsmArgs, DI the group's dst and SI its first
// tap for the current vector, R15 the vector's mask table (output mask at
// 0, then 8 bytes per tap: lane, lo, hi masks), CX the rows left; R8 =
// srcStride, R9 = 3·srcStride, R10 = rowStride, R11 = colStep (bytes).
// Per vector R12 walks the kernel rows, R13 the taps of one kernel row,
// R14 the weights, AX counts kernel rows and BX the taps j. Z31 holds the
// bias, Z29 lo and Z30 hi in every lane, Z28 the stride-2 gather indices,
// Z0 the weight of a tap, K7 the output mask, K1 a tap's lane mask and K2,
// K3 (stride 2) its input-float masks.

// Offsets of the fields of dwAsmArgs.
#define A_DST 0
#define A_SRC 8
#define A_W 16
#define A_RES 24
#define A_MASK 32
#define A_NVEC 40
#define A_ROWS 48
#define A_KW 56
#define A_ROWSTRIDE 64
#define A_COLSTEP 72
#define A_NROWS 80
#define A_DSTSTRIDE 88
#define A_SRCSTRIDE 96
#define A_RESSTRIDE 104
#define A_SRCOFF 112
#define A_VSTRIDE 120
#define A_SRCVEC 128
#define A_BIAS 136
#define A_LO 140
#define A_HI 144
#define A_SILU 148
#define A_V 152
#define A_GDST 160
#define A_GSRC 168
#define A_GRES 176

// PROLOGUE loads the arguments kept in registers and sets the first row
// group's pointers.
#define PROLOGUE \
	MOVQ         a+0(FP), DX;          \
	VBROADCASTSS A_BIAS(DX), Z31;      \
	VBROADCASTSS A_LO(DX), Z29;        \
	VBROADCASTSS A_HI(DX), Z30;        \
	MOVQ         A_SRCSTRIDE(DX), R8;  \
	LEAQ         (R8)(R8*2), R9;       \
	MOVQ         A_ROWSTRIDE(DX), R10; \
	MOVQ         A_COLSTEP(DX), R11;   \
	MOVQ         A_NROWS(DX), CX;      \
	MOVQ         A_DST(DX), AX;        \
	MOVQ         AX, A_GDST(DX);       \
	MOVQ         A_SRC(DX), AX;        \
	ADDQ         A_SRCOFF(DX), AX;     \
	MOVQ         AX, A_GSRC(DX);       \
	MOVQ         A_RES(DX), AX;        \
	MOVQ         AX, A_GRES(DX)

// GROUPSTART points DI, SI and R15 at the group's first vector.
#define GROUPSTART \
	MOVQ A_GDST(DX), DI;  \
	MOVQ A_GSRC(DX), SI;  \
	MOVQ A_MASK(DX), R15; \
	MOVQ A_NVEC(DX), AX;  \
	MOVQ AX, A_V(DX)

// VECSTART loads the vector's output mask and starts the walks over the
// kernel rows and weights.
#define VECSTART \
	KMOVW (R15), K7;      \
	MOVQ  SI, R12;        \
	MOVQ  A_W(DX), R14;   \
	MOVQ  A_ROWS(DX), AX

// RESROW points AX at the residual of the vector's first row, or jumps to
// label when there is none.
#define RESROW(label) \
	MOVQ  A_GRES(DX), AX; \
	TESTQ AX, AX;         \
	JZ    label;          \
	ADDQ  DI, AX;         \
	SUBQ  A_GDST(DX), AX

// ADDRES adds the residual row at AX to z and moves AX to the next row.
#define ADDRES(z) \
	VADDPS (AX), z, K7, z; \
	ADDQ   A_RESSTRIDE(DX), AX

// STORE clamps z and stores its output lanes at BX, then moves BX to the
// next row.
#define STORE(z) \
	VMAXPS  z, Z29, z;    \
	VMINPS  z, Z30, z;    \
	VMOVUPS z, K7, (BX);  \
	ADDQ    A_DSTSTRIDE(DX), BX

// The constants of engActAVX512 (eng_act_amd64.s), broadcast from here.
DATA dwSiLU<>+0(SB)/4, $0xc2aeac4f  // lo
DATA dwSiLU<>+4(SB)/4, $0x42b00000  // hi
DATA dwSiLU<>+8(SB)/4, $0x3fb8aa3b  // log2 e
DATA dwSiLU<>+12(SB)/4, $0x3f318000 // C1
DATA dwSiLU<>+16(SB)/4, $0xb95e8083 // C2
DATA dwSiLU<>+20(SB)/4, $0x39506967 // P0
DATA dwSiLU<>+24(SB)/4, $0x3ab743ce // P1
DATA dwSiLU<>+28(SB)/4, $0x3c088908 // P2
DATA dwSiLU<>+32(SB)/4, $0x3d2aa9c1 // P3
DATA dwSiLU<>+36(SB)/4, $0x3e2aaaaa // P4
DATA dwSiLU<>+40(SB)/4, $0x3f000000 // P5
DATA dwSiLU<>+44(SB)/4, $0x3f800000 // 1
GLOBL dwSiLU<>(SB), RODATA|NOPTR, $48

// SILU sets z = z/(1 + e^−z) with engActAVX512's instructions, in its
// order and with its operands (a constant it keeps in a register comes
// here from memory by broadcast: the same value in every lane), so every
// lane gets EngApplyAct's bits: a = 0 − z clamped to [lo, hi] (NaN
// kept), n = round(a·log2 e), r = a − n·C1 − n·C2, p the polynomial,
// e^a = (p·r² + r + 1)·2ⁿ, z = z/(1 + e^a). It uses Z12…Z16.
#define SILU(z) \
	VPXORD            Z12, Z12, Z12;          \
	VSUBPS            z, Z12, Z13;            \
	VBROADCASTSS      dwSiLU<>+0(SB), Z12;    \
	VMAXPS            Z13, Z12, Z13;          \
	VBROADCASTSS      dwSiLU<>+4(SB), Z12;    \
	VMINPS            Z13, Z12, Z13;          \
	VMULPS.BCST       dwSiLU<>+8(SB), Z13, Z14; \
	VRNDSCALEPS       $0, Z14, Z14;           \
	VFNMADD231PS.BCST dwSiLU<>+12(SB), Z14, Z13; \
	VFNMADD231PS.BCST dwSiLU<>+16(SB), Z14, Z13; \
	VBROADCASTSS      dwSiLU<>+20(SB), Z15;   \
	VFMADD213PS.BCST  dwSiLU<>+24(SB), Z13, Z15; \
	VFMADD213PS.BCST  dwSiLU<>+28(SB), Z13, Z15; \
	VFMADD213PS.BCST  dwSiLU<>+32(SB), Z13, Z15; \
	VFMADD213PS.BCST  dwSiLU<>+36(SB), Z13, Z15; \
	VFMADD213PS.BCST  dwSiLU<>+40(SB), Z13, Z15; \
	VMULPS            Z13, Z13, Z16;          \
	VFMADD213PS       Z13, Z16, Z15;          \
	VADDPS.BCST       dwSiLU<>+44(SB), Z15, Z15; \
	VSCALEFPS         Z14, Z15, Z15;          \
	VADDPS.BCST       dwSiLU<>+44(SB), Z15, Z15; \
	VDIVPS            Z15, z, z

// STORESILU is STORE with SILU between the clamp and the store.
#define STORESILU(z) \
	VMAXPS  z, Z29, z;    \
	VMINPS  z, Z30, z;    \
	SILU(z);              \
	VMOVUPS z, K7, (BX);  \
	ADDQ    A_DSTSTRIDE(DX), BX

// NEXTVEC moves to the group's next vector.
#define NEXTVEC \
	ADDQ $64, DI;            \
	ADDQ A_SRCVEC(DX), SI;   \
	ADDQ A_VSTRIDE(DX), R15; \
	DECQ A_V(DX)

// NEXTGROUP moves the group pointers on by rows rows (sreg = rows·srcStride).
#define NEXTGROUP(rows, sreg) \
	MOVQ  A_DSTSTRIDE(DX), AX; \
	IMULQ $rows, AX;           \
	ADDQ  AX, A_GDST(DX);      \
	ADDQ  sreg, A_GSRC(DX);    \
	MOVQ  A_RESSTRIDE(DX), AX; \
	IMULQ $rows, AX;           \
	ADDQ  AX, A_GRES(DX);      \
	SUBQ  $rows, CX

// TAPNEXT moves to the next tap of the kernel row; the flags say whether
// it is past the last.
#define TAPNEXT \
	ADDQ $4, R14;  \
	ADDQ R11, R13; \
	INCQ BX;       \
	CMPQ BX, A_KW(DX)

// func dwRowsS1AVX512(a *dwAsmArgs)
TEXT ·dwRowsS1AVX512(SB), NOSPLIT, $0-8
	PROLOGUE

s1group:
	CMPQ CX, $4
	JLT  s1single
	GROUPSTART

s1gvec:
	VECSTART
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4

s1grow:
	MOVQ R12, R13
	XORL BX, BX

s1gtap:
	KMOVW        8(R15)(BX*8), K1
	VBROADCASTSS (R14), Z0
	VFMADD231PS  (R13), Z0, K1, Z1
	VFMADD231PS  (R13)(R8*1), Z0, K1, Z2
	VFMADD231PS  (R13)(R8*2), Z0, K1, Z3
	VFMADD231PS  (R13)(R9*1), Z0, K1, Z4
	TAPNEXT
	JLT          s1gtap
	ADDQ         R10, R12
	DECQ         AX
	JNZ          s1grow
	RESROW(s1gclamp)
	ADDRES(Z1)
	ADDRES(Z2)
	ADDRES(Z3)
	ADDRES(Z4)

s1gclamp:
	MOVQ DI, BX
	CMPL A_SILU(DX), $0
	JNE  s1gsilu
	STORE(Z1)
	STORE(Z2)
	STORE(Z3)
	STORE(Z4)

s1gnext:
	NEXTVEC
	JNZ  s1gvec
	LEAQ (R9)(R8*1), BX
	NEXTGROUP(4, BX)
	JMP  s1group

s1single:
	TESTQ CX, CX
	JZ    s1done
	GROUPSTART

s1svec:
	VECSTART
	VMOVAPS Z31, Z1

s1srow:
	MOVQ R12, R13
	XORL BX, BX

s1stap:
	KMOVW        8(R15)(BX*8), K1
	VBROADCASTSS (R14), Z0
	VFMADD231PS  (R13), Z0, K1, Z1
	TAPNEXT
	JLT          s1stap
	ADDQ         R10, R12
	DECQ         AX
	JNZ          s1srow
	RESROW(s1sclamp)
	ADDRES(Z1)

s1sclamp:
	MOVQ DI, BX
	CMPL A_SILU(DX), $0
	JNE  s1ssilu
	STORE(Z1)

s1snext:
	NEXTVEC
	JNZ  s1svec
	NEXTGROUP(1, R8)
	JMP  s1single

s1done:
	VZEROUPPER
	RET

s1gsilu:
	STORESILU(Z1)
	STORESILU(Z2)
	STORESILU(Z3)
	STORESILU(Z4)
	JMP s1gnext

s1ssilu:
	STORESILU(Z1)
	JMP s1snext

// Stride 2: output lane l reads input float 2l of the 32 from its tap; two
// loads (zero-masked by K2, K3 to the floats that lanes read) and
// VPERMT2PS with the even indices in Z28 gather them.

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

// S2TAPMASKS loads tap BX's masks and weight.
#define S2TAPMASKS \
	KMOVW        8(R15)(BX*8), K1;  \
	KMOVW        10(R15)(BX*8), K2; \
	KMOVW        12(R15)(BX*8), K3; \
	VBROADCASTSS (R14), Z0

// S2FMA adds the tap whose 32 input floats start at lo (and go on at hi,
// 64 bytes further) into z through the temporaries t, u.
#define S2FMA(lo, hi, t, u, z) \
	VMOVUPS.Z   lo, K2, t;  \
	VMOVUPS.Z   hi, K3, u;  \
	VPERMT2PS   u, Z28, t;  \
	VFMADD231PS t, Z0, K1, z

// func dwRowsS2AVX512(a *dwAsmArgs)
TEXT ·dwRowsS2AVX512(SB), NOSPLIT, $0-8
	PROLOGUE
	VMOVDQU32 dwEvenIdx<>(SB), Z28

s2group:
	CMPQ CX, $4
	JLT  s2single
	GROUPSTART

s2gvec:
	VECSTART
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4

s2grow:
	MOVQ R12, R13
	XORL BX, BX

s2gtap:
	S2TAPMASKS
	S2FMA((R13), 64(R13), Z5, Z6, Z1)
	S2FMA((R13)(R8*1), 64(R13)(R8*1), Z7, Z8, Z2)
	S2FMA((R13)(R8*2), 64(R13)(R8*2), Z9, Z10, Z3)
	S2FMA((R13)(R9*1), 64(R13)(R9*1), Z11, Z12, Z4)
	TAPNEXT
	JLT  s2gtap
	ADDQ R10, R12
	DECQ AX
	JNZ  s2grow
	RESROW(s2gclamp)
	ADDRES(Z1)
	ADDRES(Z2)
	ADDRES(Z3)
	ADDRES(Z4)

s2gclamp:
	MOVQ DI, BX
	CMPL A_SILU(DX), $0
	JNE  s2gsilu
	STORE(Z1)
	STORE(Z2)
	STORE(Z3)
	STORE(Z4)

s2gnext:
	NEXTVEC
	JNZ  s2gvec
	LEAQ (R9)(R8*1), BX
	NEXTGROUP(4, BX)
	JMP  s2group

s2single:
	TESTQ CX, CX
	JZ    s2done
	GROUPSTART

s2svec:
	VECSTART
	VMOVAPS Z31, Z1

s2srow:
	MOVQ R12, R13
	XORL BX, BX

s2stap:
	S2TAPMASKS
	S2FMA((R13), 64(R13), Z5, Z6, Z1)
	TAPNEXT
	JLT  s2stap
	ADDQ R10, R12
	DECQ AX
	JNZ  s2srow
	RESROW(s2sclamp)
	ADDRES(Z1)

s2sclamp:
	MOVQ DI, BX
	CMPL A_SILU(DX), $0
	JNE  s2ssilu
	STORE(Z1)

s2snext:
	NEXTVEC
	JNZ  s2svec
	NEXTGROUP(1, R8)
	JMP  s2single

s2done:
	VZEROUPPER
	RET

s2gsilu:
	STORESILU(Z1)
	STORESILU(Z2)
	STORESILU(Z3)
	STORESILU(Z4)
	JMP s2gnext

s2ssilu:
	STORESILU(Z1)
	JMP s2snext

// The 3×3, stride-1, dilation-1 kernel, for groups of 8 output rows whose
// input rows are consecutive (srcStride = rowStride): output row r reads
// input rows r, r+1, r+2, so a group reads 10 input rows. Each input row q
// is loaded once per tap column j (masked by the tap's lane mask, K1, K2,
// K3 for j = 0, 1, 2) and added, with a masked VFMADD231PS, into every
// output row r = q − i it feeds, i = 2, 1, 0. Every accumulator still gets
// its taps in increasing i, then j, so the sums are those of the generic
// kernel, bit for bit. The nine weights stay broadcast in Z20…Z28 (row i
// in Z20+3i … Z22+3i), the accumulators of rows 0…7 are Z1…Z8, the three
// tap loads Z9…Z11. SI addresses input rows 0…4 and BX rows 5…9 of the
// group, as (·), (R8*1), (R8*2), (R9*1), (R8*4).

// LOAD3 loads the three taps of an input row, at a, a+4 and a+8.
#define LOAD3(a0, a1, a2) \
	VMOVUPS.Z a0, K1, Z9;  \
	VMOVUPS.Z a1, K2, Z10; \
	VMOVUPS.Z a2, K3, Z11

// ROW3 adds the three loaded taps times the weights of kernel row w0, w1,
// w2 into acc.
#define ROW3(w0, w1, w2, acc) \
	VFMADD231PS Z9, w0, K1, acc;  \
	VFMADD231PS Z10, w1, K2, acc; \
	VFMADD231PS Z11, w2, K3, acc

#define KROW0(acc) ROW3(Z20, Z21, Z22, acc)
#define KROW1(acc) ROW3(Z23, Z24, Z25, acc)
#define KROW2(acc) ROW3(Z26, Z27, Z28, acc)

// func dwRows3x3S1AVX512(a *dwAsmArgs)
TEXT ·dwRows3x3S1AVX512(SB), NOSPLIT, $0-8
	PROLOGUE
	MOVQ         A_W(DX), AX
	VBROADCASTSS (AX), Z20
	VBROADCASTSS 4(AX), Z21
	VBROADCASTSS 8(AX), Z22
	VBROADCASTSS 12(AX), Z23
	VBROADCASTSS 16(AX), Z24
	VBROADCASTSS 20(AX), Z25
	VBROADCASTSS 24(AX), Z26
	VBROADCASTSS 28(AX), Z27
	VBROADCASTSS 32(AX), Z28
	MOVQ         R8, R10
	SHLQ         $3, R10       // 8·srcStride: the group step

k3group:
	CMPQ CX, $8
	JLT  k3done
	GROUPSTART

k3vec:
	KMOVW   (R15), K7
	KMOVW   8(R15), K1
	KMOVW   16(R15), K2
	KMOVW   24(R15), K3
	LEAQ    (SI)(R8*4), BX
	ADDQ    R8, BX
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4
	VMOVAPS Z31, Z5
	VMOVAPS Z31, Z6
	VMOVAPS Z31, Z7
	VMOVAPS Z31, Z8

	// Input row 0.
	LOAD3((SI), 4(SI), 8(SI))
	KROW0(Z1)

	// 1
	LOAD3((SI)(R8*1), 4(SI)(R8*1), 8(SI)(R8*1))
	KROW1(Z1)
	KROW0(Z2)

	// 2
	LOAD3((SI)(R8*2), 4(SI)(R8*2), 8(SI)(R8*2))
	KROW2(Z1)
	KROW1(Z2)
	KROW0(Z3)

	// 3
	LOAD3((SI)(R9*1), 4(SI)(R9*1), 8(SI)(R9*1))
	KROW2(Z2)
	KROW1(Z3)
	KROW0(Z4)

	// 4
	LOAD3((SI)(R8*4), 4(SI)(R8*4), 8(SI)(R8*4))
	KROW2(Z3)
	KROW1(Z4)
	KROW0(Z5)

	// 5
	LOAD3((BX), 4(BX), 8(BX))
	KROW2(Z4)
	KROW1(Z5)
	KROW0(Z6)

	// 6
	LOAD3((BX)(R8*1), 4(BX)(R8*1), 8(BX)(R8*1))
	KROW2(Z5)
	KROW1(Z6)
	KROW0(Z7)

	// 7
	LOAD3((BX)(R8*2), 4(BX)(R8*2), 8(BX)(R8*2))
	KROW2(Z6)
	KROW1(Z7)
	KROW0(Z8)

	// 8
	LOAD3((BX)(R9*1), 4(BX)(R9*1), 8(BX)(R9*1))
	KROW2(Z7)
	KROW1(Z8)

	// 9
	LOAD3((BX)(R8*4), 4(BX)(R8*4), 8(BX)(R8*4))
	KROW2(Z8)

	RESROW(k3clamp)
	ADDRES(Z1)
	ADDRES(Z2)
	ADDRES(Z3)
	ADDRES(Z4)
	ADDRES(Z5)
	ADDRES(Z6)
	ADDRES(Z7)
	ADDRES(Z8)

k3clamp:
	MOVQ DI, BX
	CMPL A_SILU(DX), $0
	JNE  k3silu
	STORE(Z1)
	STORE(Z2)
	STORE(Z3)
	STORE(Z4)
	STORE(Z5)
	STORE(Z6)
	STORE(Z7)
	STORE(Z8)

k3next:
	NEXTVEC
	JNZ  k3vec
	NEXTGROUP(8, R10)
	JMP  k3group

k3done:
	VZEROUPPER
	RET

k3silu:
	STORESILU(Z1)
	STORESILU(Z2)
	STORESILU(Z3)
	STORESILU(Z4)
	STORESILU(Z5)
	STORESILU(Z6)
	STORESILU(Z7)
	STORESILU(Z8)
	JMP k3next

// The 5×5, stride-1, dilation-1 kernel, for groups of 8 output rows whose
// input rows are consecutive (srcStride = rowStride): output row r reads
// input rows r … r+4, so a group reads 12 input rows. Its 25 weights do not
// fit in registers beside the taps and accumulators, so each vector is
// computed in two passes over the group's input rows: kernel rows 0…2
// (weights in Z14…Z28, row i in Z14+5i … Z18+5i) over input rows 0…9, then
// kernel rows 3, 4 (in Z14…Z23) over input rows 3…11. Each input row is
// loaded once per pass and tap column j (masked by the tap's lane mask,
// K1…K5) and added, with a masked VFMADD231PS, into every output row
// r = q − i it feeds. Every accumulator still gets its taps in increasing
// i, then j (the first pass holds all its taps of i ≤ 2, in order), so the
// sums are the generic kernel's, bit for bit. The accumulators of rows
// 0…7 are Z1…Z8, the five tap loads Z9…Z13; R13 walks the input rows.

// LOAD5 loads the five taps of the input row at R13 and moves R13 to the
// next row.
#define LOAD5 \
	VMOVUPS.Z (R13), K1, Z9;    \
	VMOVUPS.Z 4(R13), K2, Z10;  \
	VMOVUPS.Z 8(R13), K3, Z11;  \
	VMOVUPS.Z 12(R13), K4, Z12; \
	VMOVUPS.Z 16(R13), K5, Z13; \
	ADDQ      R8, R13

// ROW5 adds the five loaded taps times the weights w0 … w0+4 into acc.
#define ROW5(w0, w1, w2, w3, w4, acc) \
	VFMADD231PS Z9, w0, K1, acc;  \
	VFMADD231PS Z10, w1, K2, acc; \
	VFMADD231PS Z11, w2, K3, acc; \
	VFMADD231PS Z12, w3, K4, acc; \
	VFMADD231PS Z13, w4, K5, acc

// K5R0, K5R1, K5R2 add kernel rows 0, 1, 2 in the first pass; K5R3, K5R4
// add kernel rows 3, 4 in the second (whose weights are in K5R0's and
// K5R1's registers).
#define K5R0(acc) ROW5(Z14, Z15, Z16, Z17, Z18, acc)
#define K5R1(acc) ROW5(Z19, Z20, Z21, Z22, Z23, acc)
#define K5R2(acc) ROW5(Z24, Z25, Z26, Z27, Z28, acc)
#define K5R3(acc) K5R0(acc)
#define K5R4(acc) K5R1(acc)

// BCAST5 broadcasts the five weights at off(AX) into w0 … w4.
#define BCAST5(off, w0, w1, w2, w3, w4) \
	VBROADCASTSS off(AX), w0;    \
	VBROADCASTSS off+4(AX), w1;  \
	VBROADCASTSS off+8(AX), w2;  \
	VBROADCASTSS off+12(AX), w3; \
	VBROADCASTSS off+16(AX), w4

// func dwRows5x5S1AVX512(a *dwAsmArgs)
TEXT ·dwRows5x5S1AVX512(SB), NOSPLIT, $0-8
	PROLOGUE
	MOVQ R8, R10
	SHLQ $3, R10 // 8·srcStride: the group step

k5group:
	CMPQ CX, $8
	JLT  k5done
	GROUPSTART

k5vec:
	KMOVW   (R15), K7
	KMOVW   8(R15), K1
	KMOVW   16(R15), K2
	KMOVW   24(R15), K3
	KMOVW   32(R15), K4
	KMOVW   40(R15), K5
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4
	VMOVAPS Z31, Z5
	VMOVAPS Z31, Z6
	VMOVAPS Z31, Z7
	VMOVAPS Z31, Z8
	MOVQ    A_W(DX), AX
	BCAST5(0, Z14, Z15, Z16, Z17, Z18)
	BCAST5(20, Z19, Z20, Z21, Z22, Z23)
	BCAST5(40, Z24, Z25, Z26, Z27, Z28)
	MOVQ    SI, R13

	// First pass: kernel rows 0…2 over input rows 0…9.
	LOAD5
	K5R0(Z1)
	LOAD5
	K5R1(Z1)
	K5R0(Z2)
	LOAD5
	K5R2(Z1)
	K5R1(Z2)
	K5R0(Z3)
	LOAD5
	K5R2(Z2)
	K5R1(Z3)
	K5R0(Z4)
	LOAD5
	K5R2(Z3)
	K5R1(Z4)
	K5R0(Z5)
	LOAD5
	K5R2(Z4)
	K5R1(Z5)
	K5R0(Z6)
	LOAD5
	K5R2(Z5)
	K5R1(Z6)
	K5R0(Z7)
	LOAD5
	K5R2(Z6)
	K5R1(Z7)
	K5R0(Z8)
	LOAD5
	K5R2(Z7)
	K5R1(Z8)
	LOAD5
	K5R2(Z8)

	// Second pass: kernel rows 3, 4 over input rows 3…11.
	BCAST5(60, Z14, Z15, Z16, Z17, Z18)
	BCAST5(80, Z19, Z20, Z21, Z22, Z23)
	LEAQ (SI)(R9*1), R13
	LOAD5
	K5R3(Z1)
	LOAD5
	K5R4(Z1)
	K5R3(Z2)
	LOAD5
	K5R4(Z2)
	K5R3(Z3)
	LOAD5
	K5R4(Z3)
	K5R3(Z4)
	LOAD5
	K5R4(Z4)
	K5R3(Z5)
	LOAD5
	K5R4(Z5)
	K5R3(Z6)
	LOAD5
	K5R4(Z6)
	K5R3(Z7)
	LOAD5
	K5R4(Z7)
	K5R3(Z8)
	LOAD5
	K5R4(Z8)

	RESROW(k5clamp)
	ADDRES(Z1)
	ADDRES(Z2)
	ADDRES(Z3)
	ADDRES(Z4)
	ADDRES(Z5)
	ADDRES(Z6)
	ADDRES(Z7)
	ADDRES(Z8)

k5clamp:
	MOVQ DI, BX
	CMPL A_SILU(DX), $0
	JNE  k5silu
	STORE(Z1)
	STORE(Z2)
	STORE(Z3)
	STORE(Z4)
	STORE(Z5)
	STORE(Z6)
	STORE(Z7)
	STORE(Z8)

k5next:
	NEXTVEC
	JNZ  k5vec
	NEXTGROUP(8, R10)
	JMP  k5group

k5done:
	VZEROUPPER
	RET

k5silu:
	STORESILU(Z1)
	STORESILU(Z2)
	STORESILU(Z3)
	STORESILU(Z4)
	STORESILU(Z5)
	STORESILU(Z6)
	STORESILU(Z7)
	STORESILU(Z8)
	JMP k5next

// Weight-gradient kernels (dwWeightS1AVX512, dwWeightS2AVX512): for every
// tap j of one kernel row they sum dy[r][o] · x[r][o·s + j·colStep − padL]
// over the rows r and outputs o into 16 lanes (lane o mod 16), four rows at
// a time in Z1…Z4 (then one at a time in Z1), with one masked VFMADD231PS
// per row and vector: the tap's lane mask K1 skips the lanes past the row's
// end and those whose column is in the padding, and suppresses the loads
// there. Last (Z1 + Z2) + (Z3 + Z4) is stored at out + 64·j.
//
// Registers: DX holds the *dwWeightAsmArgs, R8 = dyStride, R9 = xStride,
// R10 = 3·dyStride, R11 = 3·xStride; BX counts the taps, SI and DI walk the
// rows of dy and x (DI at the tap's first column), CX the rows left; per
// vector R12 and R13 walk dy and x, R15 the tap's masks, AX the vectors.
// Z28 holds the stride-2 gather indices.

// Offsets of the fields of dwWeightAsmArgs.
#define W_DY 0
#define W_X 8
#define W_MASK 16
#define W_OUT 24
#define W_NVEC 32
#define W_KW 40
#define W_COLSTEP 48
#define W_NROWS 56
#define W_DYSTRIDE 64
#define W_XSTRIDE 72
#define W_SRCOFF 80
#define W_VSTRIDE 88
#define W_SRCVEC 96

// WPROLOGUE loads the strides and starts the walk over the taps.
#define WPROLOGUE \
	MOVQ a+0(FP), DX;         \
	MOVQ W_DYSTRIDE(DX), R8;  \
	MOVQ W_XSTRIDE(DX), R9;   \
	LEAQ (R8)(R8*2), R10;     \
	LEAQ (R9)(R9*2), R11;     \
	XORL BX, BX

// WTAPSTART clears the accumulators and points SI, DI, R15 and CX at tap
// BX's first row.
#define WTAPSTART \
	VPXORD Z1, Z1, Z1;         \
	VPXORD Z2, Z2, Z2;         \
	VPXORD Z3, Z3, Z3;         \
	VPXORD Z4, Z4, Z4;         \
	MOVQ   W_DY(DX), SI;       \
	MOVQ   W_COLSTEP(DX), DI;  \
	IMULQ  BX, DI;             \
	ADDQ   W_SRCOFF(DX), DI;   \
	ADDQ   W_X(DX), DI;        \
	MOVQ   W_MASK(DX), R15;    \
	LEAQ   8(R15)(BX*8), R15;  \
	MOVQ   R15, R14;           \
	MOVQ   W_NROWS(DX), CX

// WVECSTART starts the walk over the vectors of the current rows.
#define WVECSTART \
	MOVQ SI, R12;  \
	MOVQ DI, R13;  \
	MOVQ R14, R15; \
	MOVQ W_NVEC(DX), AX

// WNEXTVEC moves to the next vector; the flags say whether one is left.
#define WNEXTVEC \
	ADDQ $64, R12;           \
	ADDQ W_SRCVEC(DX), R13;  \
	ADDQ W_VSTRIDE(DX), R15; \
	DECQ AX

// WTAPEND stores the tap's sums and moves to the next tap; the flags say
// whether one is left.
#define WTAPEND \
	VADDPS  Z2, Z1, Z1;          \
	VADDPS  Z4, Z3, Z3;          \
	VADDPS  Z3, Z1, Z1;          \
	MOVQ    BX, AX;              \
	SHLQ    $6, AX;              \
	ADDQ    W_OUT(DX), AX;       \
	VMOVUPS Z1, (AX);            \
	INCQ    BX;                  \
	CMPQ    BX, W_KW(DX)

// WS1 adds row pair (dy at dy, x at x) into z through t.
#define WS1(dy, x, t, z) \
	VMOVUPS.Z   x, K1, t; \
	VFMADD231PS dy, t, K1, z

// func dwWeightS1AVX512(a *dwWeightAsmArgs)
TEXT ·dwWeightS1AVX512(SB), NOSPLIT, $0-8
	WPROLOGUE

w1tap:
	WTAPSTART

w1group:
	CMPQ CX, $4
	JLT  w1single
	WVECSTART

w1gvec:
	KMOVW (R15), K1
	WS1((R12), (R13), Z5, Z1)
	WS1((R12)(R8*1), (R13)(R9*1), Z6, Z2)
	WS1((R12)(R8*2), (R13)(R9*2), Z7, Z3)
	WS1((R12)(R10*1), (R13)(R11*1), Z8, Z4)
	WNEXTVEC
	JNZ   w1gvec
	LEAQ  (SI)(R8*4), SI
	LEAQ  (DI)(R9*4), DI
	SUBQ  $4, CX
	JMP   w1group

w1single:
	TESTQ CX, CX
	JZ    w1tapend
	WVECSTART

w1svec:
	KMOVW (R15), K1
	WS1((R12), (R13), Z5, Z1)
	WNEXTVEC
	JNZ   w1svec
	ADDQ  R8, SI
	ADDQ  R9, DI
	DECQ  CX
	JMP   w1single

w1tapend:
	WTAPEND
	JLT w1tap
	VZEROUPPER
	RET

// WS2 adds row pair (dy at dy, x's 32 floats at lo and hi) into z through
// t, u: the even floats, gathered as in dwRowsS2AVX512.
#define WS2(dy, lo, hi, t, u, z) \
	VMOVUPS.Z   lo, K2, t;  \
	VMOVUPS.Z   hi, K3, u;  \
	VPERMT2PS   u, Z28, t;  \
	VFMADD231PS dy, t, K1, z

// WS2MASKS loads the vector's lane and input-float masks.
#define WS2MASKS \
	KMOVW (R15), K1;  \
	KMOVW 2(R15), K2; \
	KMOVW 4(R15), K3

// func dwWeightS2AVX512(a *dwWeightAsmArgs)
TEXT ·dwWeightS2AVX512(SB), NOSPLIT, $0-8
	WPROLOGUE
	VMOVDQU32 dwEvenIdx<>(SB), Z28

w2tap:
	WTAPSTART

w2group:
	CMPQ CX, $4
	JLT  w2single
	WVECSTART

w2gvec:
	WS2MASKS
	WS2((R12), (R13), 64(R13), Z5, Z9, Z1)
	WS2((R12)(R8*1), (R13)(R9*1), 64(R13)(R9*1), Z6, Z10, Z2)
	WS2((R12)(R8*2), (R13)(R9*2), 64(R13)(R9*2), Z7, Z11, Z3)
	WS2((R12)(R10*1), (R13)(R11*1), 64(R13)(R11*1), Z8, Z12, Z4)
	WNEXTVEC
	JNZ  w2gvec
	LEAQ (SI)(R8*4), SI
	LEAQ (DI)(R9*4), DI
	SUBQ $4, CX
	JMP  w2group

w2single:
	TESTQ CX, CX
	JZ    w2tapend
	WVECSTART

w2svec:
	WS2MASKS
	WS2((R12), (R13), 64(R13), Z5, Z9, Z1)
	WNEXTVEC
	JNZ  w2svec
	ADDQ R8, SI
	ADDQ R9, DI
	DECQ CX
	JMP  w2single

w2tapend:
	WTAPEND
	JLT w2tap
	VZEROUPPER
	RET

// Interleaving add (dwInterleaveAddAVX512): d[2i] += a[i], d[2i+1] +=
// b[i], 16 pairs at a time: VPERMT2PS with the indices in Z28 (pairs 0…7)
// and Z29 (pairs 8…15) interleaves a and b into the two vectors of d.

DATA dwIlvLo<>+0(SB)/4, $0
DATA dwIlvLo<>+4(SB)/4, $16
DATA dwIlvLo<>+8(SB)/4, $1
DATA dwIlvLo<>+12(SB)/4, $17
DATA dwIlvLo<>+16(SB)/4, $2
DATA dwIlvLo<>+20(SB)/4, $18
DATA dwIlvLo<>+24(SB)/4, $3
DATA dwIlvLo<>+28(SB)/4, $19
DATA dwIlvLo<>+32(SB)/4, $4
DATA dwIlvLo<>+36(SB)/4, $20
DATA dwIlvLo<>+40(SB)/4, $5
DATA dwIlvLo<>+44(SB)/4, $21
DATA dwIlvLo<>+48(SB)/4, $6
DATA dwIlvLo<>+52(SB)/4, $22
DATA dwIlvLo<>+56(SB)/4, $7
DATA dwIlvLo<>+60(SB)/4, $23
GLOBL dwIlvLo<>(SB), RODATA|NOPTR, $64

DATA dwIlvHi<>+0(SB)/4, $8
DATA dwIlvHi<>+4(SB)/4, $24
DATA dwIlvHi<>+8(SB)/4, $9
DATA dwIlvHi<>+12(SB)/4, $25
DATA dwIlvHi<>+16(SB)/4, $10
DATA dwIlvHi<>+20(SB)/4, $26
DATA dwIlvHi<>+24(SB)/4, $11
DATA dwIlvHi<>+28(SB)/4, $27
DATA dwIlvHi<>+32(SB)/4, $12
DATA dwIlvHi<>+36(SB)/4, $28
DATA dwIlvHi<>+40(SB)/4, $13
DATA dwIlvHi<>+44(SB)/4, $29
DATA dwIlvHi<>+48(SB)/4, $14
DATA dwIlvHi<>+52(SB)/4, $30
DATA dwIlvHi<>+56(SB)/4, $15
DATA dwIlvHi<>+60(SB)/4, $31
GLOBL dwIlvHi<>(SB), RODATA|NOPTR, $64

// func dwInterleaveAddAVX512(d, a, b *float32, n int)
TEXT ·dwInterleaveAddAVX512(SB), NOSPLIT, $0-32
	MOVQ      d+0(FP), DI
	MOVQ      a+8(FP), SI
	MOVQ      b+16(FP), DX
	MOVQ      n+24(FP), CX
	VMOVDQU32 dwIlvLo<>(SB), Z28
	VMOVDQU32 dwIlvHi<>(SB), Z29

ilvloop:
	CMPQ      CX, $16
	JLT       ilvtail
	VMOVUPS   (SI), Z0
	VMOVUPS   (DX), Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z28, Z2
	VPERMT2PS Z1, Z29, Z0
	VADDPS    (DI), Z2, Z2
	VADDPS    64(DI), Z0, Z0
	VMOVUPS   Z2, (DI)
	VMOVUPS   Z0, 64(DI)
	ADDQ      $64, SI
	ADDQ      $64, DX
	ADDQ      $128, DI
	SUBQ      $16, CX
	JMP       ilvloop

ilvtail:
	TESTQ     CX, CX
	JZ        ilvdone
	// K1: the n < 16 pairs left; K2, K3: their 2n floats of d.
	MOVL      $1, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K1
	MOVL      $1, AX
	SHLL      CX, AX
	SHLL      CX, AX
	DECL      AX
	KMOVW     AX, K2
	SHRL      $16, AX
	KMOVW     AX, K3
	VMOVUPS.Z (SI), K1, Z0
	VMOVUPS.Z (DX), K1, Z1
	VMOVAPS   Z0, Z2
	VPERMT2PS Z1, Z28, Z2
	VPERMT2PS Z1, Z29, Z0
	VMOVUPS.Z (DI), K2, Z3
	VMOVUPS.Z 64(DI), K3, Z4
	VADDPS    Z3, Z2, Z2
	VADDPS    Z4, Z0, Z0
	VMOVUPS   Z2, K2, (DI)
	VMOVUPS   Z0, K3, 64(DI)

ilvdone:
	VZEROUPPER
	RET

// Whole-plane kernel (dwPlanesS1AVX512) for small planes of column and row
// stride 1: a table (dwPlaneTable) lists the plane's vectors of 16
// outputs, in groups of four and then one at a time, each with the byte
// offsets of its first tap's input and of its outputs and its output mask,
// and per tap the tap's byte offset and every vector's lane mask (a lane
// is set when its tap lies inside the input, so the padding on all four
// sides is skipped by masks alone). The table is walked once per plane,
// for planes one after another, so one call computes any number of planes.
// Every accumulator starts at the bias and adds its taps with one masked
// VFMADD231PS each in increasing i, then j, as the row kernels do; then
// the residual, the clamp, SiLU when asked, and the masked store.
//
// Registers: DX holds the *dwPlanesAsmArgs, CX the planes left, SI and DI
// the plane's input and output, R15 the current table record, R8…R11 the
// first tap input of the group's vectors, R12 walks the taps' records, R13
// holds a tap's offset, R14 walks the weights and AX counts taps. Z31 is
// the bias, Z29 lo and Z30 hi, Z0 a tap's weight, Z1…Z4 the accumulators.

// Offsets of the fields of dwPlanesAsmArgs.
#define P_RES 24
#define P_TAB 40
#define P_NPLANES 48
#define P_NGROUPS 56
#define P_NSINGLES 64
#define P_KK 72
#define P_DSTPLANE 80
#define P_SRCPLANE 88
#define P_RESPLANE 96
#define P_WPLANE 104
#define P_BIASSTEP 112
#define P_LO 120
#define P_HI 124
#define P_SILU 128
#define P_CDST 136
#define P_CSRC 144
#define P_CW 152
#define P_CRES 160
#define P_CBIAS 168
#define P_G 176

// PRES adds the residual of the group's vector k (record words 4+k, 8+k
// for a group, 1, 2 for a single: dst at dw, mask at mw) to z.
#define PRES(z, dw, mw) \
	KMOVW  mw(R15), K7;    \
	MOVQ   dw(R15), BX;    \
	VADDPS (AX)(BX*1), z, K7, z

// PSTORE clamps z and stores it under its output mask at DI + dst offset.
#define PSTORE(z, dw, mw) \
	VMAXPS  z, Z29, z;   \
	VMINPS  z, Z30, z;   \
	KMOVW   mw(R15), K7; \
	MOVQ    dw(R15), BX; \
	VMOVUPS z, K7, (DI)(BX*1)

// PSTORESILU is PSTORE with SILU between the clamp and the store.
#define PSTORESILU(z, dw, mw) \
	VMAXPS  z, Z29, z;   \
	VMINPS  z, Z30, z;   \
	SILU(z);             \
	KMOVW   mw(R15), K7; \
	MOVQ    dw(R15), BX; \
	VMOVUPS z, K7, (DI)(BX*1)

// func dwPlanesS1AVX512(a *dwPlanesAsmArgs)
TEXT ·dwPlanesS1AVX512(SB), NOSPLIT, $0-8
	MOVQ         a+0(FP), DX
	VBROADCASTSS P_LO(DX), Z29
	VBROADCASTSS P_HI(DX), Z30
	MOVQ         P_NPLANES(DX), CX

p1plane:
	MOVQ         P_CBIAS(DX), AX
	VBROADCASTSS (AX), Z31
	MOVQ         P_CSRC(DX), SI
	MOVQ         P_CDST(DX), DI
	MOVQ         P_TAB(DX), R15
	MOVQ         P_NGROUPS(DX), AX
	MOVQ         AX, P_G(DX)
	TESTQ        AX, AX
	JZ           p1singles

p1group:
	MOVQ    (R15), R8
	ADDQ    SI, R8
	MOVQ    8(R15), R9
	ADDQ    SI, R9
	MOVQ    16(R15), R10
	ADDQ    SI, R10
	MOVQ    24(R15), R11
	ADDQ    SI, R11
	LEAQ    96(R15), R12
	MOVQ    P_CW(DX), R14
	MOVQ    P_KK(DX), AX
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4

p1gtap:
	MOVQ         (R12), R13
	VBROADCASTSS (R14), Z0
	KMOVW        8(R12), K1
	KMOVW        16(R12), K2
	KMOVW        24(R12), K3
	KMOVW        32(R12), K4
	VFMADD231PS  (R8)(R13*1), Z0, K1, Z1
	VFMADD231PS  (R9)(R13*1), Z0, K2, Z2
	VFMADD231PS  (R10)(R13*1), Z0, K3, Z3
	VFMADD231PS  (R11)(R13*1), Z0, K4, Z4
	ADDQ         $4, R14
	ADDQ         $40, R12
	DECQ         AX
	JNZ          p1gtap
	MOVQ         P_CRES(DX), AX
	TESTQ        AX, AX
	JZ           p1gclamp
	PRES(Z1, 32, 64)
	PRES(Z2, 40, 72)
	PRES(Z3, 48, 80)
	PRES(Z4, 56, 88)

p1gclamp:
	CMPL P_SILU(DX), $0
	JNE  p1gsilu
	PSTORE(Z1, 32, 64)
	PSTORE(Z2, 40, 72)
	PSTORE(Z3, 48, 80)
	PSTORE(Z4, 56, 88)

p1gnext:
	MOVQ R12, R15
	DECQ P_G(DX)
	JNZ  p1group

p1singles:
	MOVQ  P_NSINGLES(DX), AX
	MOVQ  AX, P_G(DX)
	TESTQ AX, AX
	JZ    p1planeend

p1single:
	MOVQ    (R15), R8
	ADDQ    SI, R8
	LEAQ    24(R15), R12
	MOVQ    P_CW(DX), R14
	MOVQ    P_KK(DX), AX
	VMOVAPS Z31, Z1

p1stap:
	MOVQ         (R12), R13
	VBROADCASTSS (R14), Z0
	KMOVW        8(R12), K1
	VFMADD231PS  (R8)(R13*1), Z0, K1, Z1
	ADDQ         $4, R14
	ADDQ         $16, R12
	DECQ         AX
	JNZ          p1stap
	MOVQ         P_CRES(DX), AX
	TESTQ        AX, AX
	JZ           p1sclamp
	PRES(Z1, 8, 16)

p1sclamp:
	CMPL P_SILU(DX), $0
	JNE  p1ssilu
	PSTORE(Z1, 8, 16)

p1snext:
	MOVQ R12, R15
	DECQ P_G(DX)
	JNZ  p1single

p1planeend:
	MOVQ P_DSTPLANE(DX), AX
	ADDQ AX, P_CDST(DX)
	MOVQ P_SRCPLANE(DX), AX
	ADDQ AX, P_CSRC(DX)
	MOVQ P_RESPLANE(DX), AX
	ADDQ AX, P_CRES(DX)
	MOVQ P_WPLANE(DX), AX
	ADDQ AX, P_CW(DX)
	MOVQ P_BIASSTEP(DX), AX
	ADDQ AX, P_CBIAS(DX)
	DECQ CX
	JNZ  p1plane
	VZEROUPPER
	RET

p1gsilu:
	PSTORESILU(Z1, 32, 64)
	PSTORESILU(Z2, 40, 72)
	PSTORESILU(Z3, 48, 80)
	PSTORESILU(Z4, 56, 88)
	JMP p1gnext

p1ssilu:
	PSTORESILU(Z1, 8, 16)
	JMP p1snext

// dwPlanesS2AVX512 is dwPlanesS1AVX512 for column stride 2 (any row
// stride, which the table holds): a vector's lane l reads float 2l of the
// 32 from its tap, gathered as in dwRowsS2AVX512 by two loads, zero-masked
// by the input-float masks of the tap's mask word (K2, K3), and VPERMT2PS
// with the even indices in Z28; then the masked FMA under the lane mask
// (K1). Z5…Z12 hold the loads.

// P2FMA adds the tap at (base)(R13*1), its mask word at mw(R12), into z
// through the temporaries t, u.
#define P2FMA(base, mw, t, u, z) \
	KMOVW       mw(R12), K1;              \
	KMOVW       mw+2(R12), K2;            \
	KMOVW       mw+4(R12), K3;            \
	VMOVUPS.Z   (base)(R13*1), K2, t;     \
	VMOVUPS.Z   64(base)(R13*1), K3, u;   \
	VPERMT2PS   u, Z28, t;                \
	VFMADD231PS t, Z0, K1, z

// func dwPlanesS2AVX512(a *dwPlanesAsmArgs)
TEXT ·dwPlanesS2AVX512(SB), NOSPLIT, $0-8
	MOVQ         a+0(FP), DX
	VBROADCASTSS P_LO(DX), Z29
	VBROADCASTSS P_HI(DX), Z30
	VMOVDQU32    dwEvenIdx<>(SB), Z28
	MOVQ         P_NPLANES(DX), CX

p2plane:
	MOVQ         P_CBIAS(DX), AX
	VBROADCASTSS (AX), Z31
	MOVQ         P_CSRC(DX), SI
	MOVQ         P_CDST(DX), DI
	MOVQ         P_TAB(DX), R15
	MOVQ         P_NGROUPS(DX), AX
	MOVQ         AX, P_G(DX)
	TESTQ        AX, AX
	JZ           p2singles

p2group:
	MOVQ    (R15), R8
	ADDQ    SI, R8
	MOVQ    8(R15), R9
	ADDQ    SI, R9
	MOVQ    16(R15), R10
	ADDQ    SI, R10
	MOVQ    24(R15), R11
	ADDQ    SI, R11
	LEAQ    96(R15), R12
	MOVQ    P_CW(DX), R14
	MOVQ    P_KK(DX), AX
	VMOVAPS Z31, Z1
	VMOVAPS Z31, Z2
	VMOVAPS Z31, Z3
	VMOVAPS Z31, Z4

p2gtap:
	MOVQ         (R12), R13
	VBROADCASTSS (R14), Z0
	P2FMA(R8, 8, Z5, Z6, Z1)
	P2FMA(R9, 16, Z7, Z8, Z2)
	P2FMA(R10, 24, Z9, Z10, Z3)
	P2FMA(R11, 32, Z11, Z12, Z4)
	ADDQ         $4, R14
	ADDQ         $40, R12
	DECQ         AX
	JNZ          p2gtap
	MOVQ         P_CRES(DX), AX
	TESTQ        AX, AX
	JZ           p2gclamp
	PRES(Z1, 32, 64)
	PRES(Z2, 40, 72)
	PRES(Z3, 48, 80)
	PRES(Z4, 56, 88)

p2gclamp:
	CMPL P_SILU(DX), $0
	JNE  p2gsilu
	PSTORE(Z1, 32, 64)
	PSTORE(Z2, 40, 72)
	PSTORE(Z3, 48, 80)
	PSTORE(Z4, 56, 88)

p2gnext:
	MOVQ R12, R15
	DECQ P_G(DX)
	JNZ  p2group

p2singles:
	MOVQ  P_NSINGLES(DX), AX
	MOVQ  AX, P_G(DX)
	TESTQ AX, AX
	JZ    p2planeend

p2single:
	MOVQ    (R15), R8
	ADDQ    SI, R8
	LEAQ    24(R15), R12
	MOVQ    P_CW(DX), R14
	MOVQ    P_KK(DX), AX
	VMOVAPS Z31, Z1

p2stap:
	MOVQ         (R12), R13
	VBROADCASTSS (R14), Z0
	P2FMA(R8, 8, Z5, Z6, Z1)
	ADDQ         $4, R14
	ADDQ         $16, R12
	DECQ         AX
	JNZ          p2stap
	MOVQ         P_CRES(DX), AX
	TESTQ        AX, AX
	JZ           p2sclamp
	PRES(Z1, 8, 16)

p2sclamp:
	CMPL P_SILU(DX), $0
	JNE  p2ssilu
	PSTORE(Z1, 8, 16)

p2snext:
	MOVQ R12, R15
	DECQ P_G(DX)
	JNZ  p2single

p2planeend:
	MOVQ P_DSTPLANE(DX), AX
	ADDQ AX, P_CDST(DX)
	MOVQ P_SRCPLANE(DX), AX
	ADDQ AX, P_CSRC(DX)
	MOVQ P_RESPLANE(DX), AX
	ADDQ AX, P_CRES(DX)
	MOVQ P_WPLANE(DX), AX
	ADDQ AX, P_CW(DX)
	MOVQ P_BIASSTEP(DX), AX
	ADDQ AX, P_CBIAS(DX)
	DECQ CX
	JNZ  p2plane
	VZEROUPPER
	RET

p2gsilu:
	PSTORESILU(Z1, 32, 64)
	PSTORESILU(Z2, 40, 72)
	PSTORESILU(Z3, 48, 80)
	PSTORESILU(Z4, 56, 88)
	JMP p2gnext

p2ssilu:
	PSTORESILU(Z1, 8, 16)
	JMP p2snext
