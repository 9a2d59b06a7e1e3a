//go:build !noasm

#include "textflag.h"

// Optimizer updates (see sgd.go), 16 floats per step, the last n%16 under
// a mask K1 (no memory past the n values is touched). Products and sums
// are separate instructions, each rounded, as in the reference loops.

// TAIL_MASK(body, done): with 16 or more values left in CX, go on at
// body; with none, jump to done; else K1 = the lanes below CX and CX = 16
// (one last step), then body.
#define TAIL_MASK(body, done) \
	CMPQ  CX, $16; \
	JGE   body;    \
	TESTQ CX, CX;  \
	JZ    done;    \
	MOVL  $1, DX;  \
	SHLL  CX, DX;  \
	DECL  DX;      \
	KMOVW DX, K1;  \
	MOVQ  $16, CX

// func sgdMomentumAVX512(p, grad, buf *float32, n int, wd, mom, damp, negLR float32)
//
// R8 holds wd's bits without the sign: zero when the decay term is skipped
// (wd = ±0, as the loop's wd != 0 test skips it).
TEXT ·sgdMomentumAVX512(SB), NOSPLIT, $0-48
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         buf+16(FP), BX
	MOVQ         n+24(FP), CX
	MOVL         wd+32(FP), R8
	ANDL         $0x7fffffff, R8
	VBROADCASTSS wd+32(FP), Z27
	VBROADCASTSS mom+36(FP), Z30
	VBROADCASTSS damp+40(FP), Z29
	VBROADCASTSS negLR+44(FP), Z28
	MOVL         $0xffff, DX
	KMOVW        DX, K1

mom_loop:
	TAIL_MASK(mom_body, mom_done)

mom_body:
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z (SI), K1, Z1
	VMOVUPS.Z (DI), K1, Z2
	TESTL     R8, R8
	JZ        mom_nowd
	VMULPS    Z27, Z2, Z3 // wd·p
	VADDPS    Z3, Z1, Z1  // g + wd·p

mom_nowd:
	VMULPS    Z30, Z0, Z0 // buf·mom
	VMULPS    Z29, Z1, Z1 // damp·g
	VADDPS    Z1, Z0, Z0  // the new buf
	VMOVUPS   Z0, K1, (BX)
	VMULPS    Z28, Z0, Z0 // negLR·buf
	VADDPS    Z0, Z2, Z2
	VMOVUPS   Z2, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	ADDQ      $64, BX
	SUBQ      $16, CX
	JMP       mom_loop

mom_done:
	VZEROUPPER
	RET

// func addScaledAVX512(p, grad *float32, n int, a float32)
TEXT ·addScaledAVX512(SB), NOSPLIT, $0-28
	MOVQ         p+0(FP), DI
	MOVQ         grad+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS a+24(FP), Z30
	MOVL         $0xffff, DX
	KMOVW        DX, K1

axpy_loop:
	TAIL_MASK(axpy_body, axpy_done)

axpy_body:
	VMOVUPS.Z (SI), K1, Z1
	VMOVUPS.Z (DI), K1, Z2
	VMULPS    Z30, Z1, Z1 // a·g
	VADDPS    Z1, Z2, Z2
	VMOVUPS   Z2, K1, (DI)
	ADDQ      $64, DI
	ADDQ      $64, SI
	SUBQ      $16, CX
	JMP       axpy_loop

axpy_done:
	VZEROUPPER
	RET
