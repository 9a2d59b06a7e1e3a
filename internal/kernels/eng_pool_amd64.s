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
