//go:build !noasm

#include "textflag.h"

// ReLU kernels (see relu.go), 16 floats per step, the last n%16 under a
// mask K1 (no memory past the n elements is touched).

// func reluAVX512(dst, src *float32, n int)
//
// K2 = (x < 0), ordered, so NaN and −0 are not below 0; the store writes x
// with those lanes zeroed.
TEXT ·reluAVX512(SB), NOSPLIT, $0-24
	MOVQ   dst+0(FP), DI
	MOVQ   src+8(FP), SI
	MOVQ   n+16(FP), CX
	VXORPS X31, X31, X31
	MOVL   $0xffff, DX
	KMOVW  DX, K1

relu_loop:
	CMPQ CX, $16
	JGE  relu_body
	TESTQ CX, CX
	JZ    relu_done
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX
	KMOVW DX, K1
	MOVQ  $16, CX

relu_body:
	VMOVUPS.Z (SI), K1, Z0
	VCMPPS    $0x11, Z31, Z0, K1, K2 // LT_OQ: x < 0
	KANDNW    K1, K2, K3             // lanes to keep: in range and not below 0
	VMOVUPS.Z Z0, K3, Z1
	VMOVUPS   Z1, K1, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       relu_loop

relu_done:
	VZEROUPPER
	RET

// func reluBackwardAVX512(y, grad, dx *float32, n int)
//
// K2 = (|y| bits ≠ 0); dx += g with the other lanes of g zeroed (so that
// dx = dx + 0 there, as the reference loop computes).
TEXT ·reluBackwardAVX512(SB), NOSPLIT, $0-32
	MOVQ         y+0(FP), SI
	MOVQ         grad+8(FP), BX
	MOVQ         dx+16(FP), DI
	MOVQ         n+24(FP), CX
	MOVL         $0x7fffffff, DX
	VPBROADCASTD DX, Z31
	MOVL         $0xffff, DX
	KMOVW        DX, K1

back_loop:
	CMPQ CX, $16
	JGE  back_body
	TESTQ CX, CX
	JZ    back_done
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX
	KMOVW DX, K1
	MOVQ  $16, CX

back_body:
	VMOVUPS.Z (SI), K1, Z0
	VPTESTMD  Z31, Z0, K1, K2 // |y| bits non-zero, in range
	VMOVUPS.Z (BX), K2, Z1
	VMOVUPS.Z (DI), K1, Z2
	VADDPS    Z1, Z2, Z2
	VMOVUPS   Z2, K1, (DI)
	ADDQ      $64, SI
	ADDQ      $64, BX
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       back_loop

back_done:
	VZEROUPPER
	RET
