//go:build !noasm

#include "textflag.h"
#include "gemm_amd64.h"

// 8×32 AVX-512 SGEMM micro-kernel sgemm8x32AVX512, with the contract of
// sgemm12x32AVX512 (kernel_amd64.go) (its fused-epilogue form is in
// fused_amd64.s), for products whose row count is a
// multiple of 8 but not of 12 (16, 32, 64 output channels), where the
// 12-row panels would compute up to a third of padding. Same loop as the
// 12-row kernels with 8 broadcasts per step: the tile lives in Z16..Z31,
// row i in Z(16+2i), Z(17+2i). Every C element is the same chain of fused
// multiply-adds as in the 12-row kernels, so results do not depend on
// which kernel ran.


// func sgemm8x32AVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm8x32AVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX
	MOVQ DI, R10
	ROWS_HI(PREFETCH_C_LINES)
	ZERO_8x32
	MOVQ CX, R9
	SHRQ $2, R9
	JZ   k8_tail
k8_loop:
	STEP4_8x32
	DECQ R9
	JNZ  k8_loop
k8_tail:
	ANDQ $3, CX
	JZ   k8_end
k8_step:
	STEP_8x32(0, 0)
	ADDQ $32, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  k8_step
k8_end:
	VBROADCASTSS alpha+40(FP), Z2
	MOVL beta+44(FP), R8
	ANDL $0x7fffffff, R8
	JNZ  k8_beta
	ROWS_HI(STORE_Z)
	VZEROUPPER
	RET
k8_beta:
	VBROADCASTSS beta+44(FP), Z3
	ROWS_HI(STOREB_Z)
	VZEROUPPER
	RET
