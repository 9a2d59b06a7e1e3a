//go:build !noasm

#include "textflag.h"

// epRowAVX512, the vector row epilogue of Epilogue.apply (epilogue_amd64.go).
// The fused-epilogue micro-kernels are in fused_amd64.s.

// func epRowAVX512(x *float32, n int, bias *float32, res *float32, act int)
//
// x[i] = act(x[i] + *bias + res[i]) for i < n (bias and res skipped when
// nil), 16 elements per step, the last n%16 under the mask K1.
TEXT ·epRowAVX512(SB), NOSPLIT, $0-40
	MOVQ x+0(FP), DI
	MOVQ n+8(FP), CX
	MOVQ bias+16(FP), SI
	MOVQ res+24(FP), R10
	MOVQ act+32(FP), R11
	VPXORD Z30, Z30, Z30
	MOVL $0x40c00000, DX // 6.0
	VPBROADCASTD DX, Z29
	TESTQ SI, SI
	JZ   row_nob
	VBROADCASTSS (SI), Z31
row_nob:
	MOVL  $0xffff, DX
	KMOVW DX, K1

row_loop:
	CMPQ CX, $16
	JGE  row_body
	TESTQ CX, CX
	JZ    row_done
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX
	KMOVW DX, K1
	MOVQ  $16, CX

row_body:
	VMOVUPS.Z (DI), K1, Z0
	TESTQ SI, SI
	JZ    row_b1
	VADDPS Z31, Z0, Z0
row_b1:
	TESTQ R10, R10
	JZ    row_r1
	VMOVUPS.Z (R10), K1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ  $64, R10
row_r1:
	TESTQ R11, R11
	JZ    row_st
	VMAXPS Z0, Z30, Z0
	CMPQ  R11, $1
	JEQ   row_st
	VMINPS Z0, Z29, Z0
row_st:
	VMOVUPS Z0, K1, (DI)
	ADDQ  $64, DI
	SUBQ  $16, CX
	JMP   row_loop

row_done:
	VZEROUPPER
	RET
