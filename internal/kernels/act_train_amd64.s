//go:build !noasm

#include "textflag.h"

// Clamp and masked-gradient kernels (see act_train.go), 16 floats per step,
// the last n%16 under a mask K1 (no memory past the n elements is touched).

// func clampAVX512(dst, src *float32, n int, lo, hi float32)
//
// VMAXPS and VMINPS return their second source (in Intel order) unless the
// first is strictly greater (less), so max(lo, x) is lo only where x < lo
// (not for NaN, not for −0 against +0) and min(hi, ·) is hi only where
// · > hi: the reference loop's two ifs.
TEXT ·clampAVX512(SB), NOSPLIT, $0-32
	MOVQ         dst+0(FP), DI
	MOVQ         src+8(FP), SI
	MOVQ         n+16(FP), CX
	VBROADCASTSS lo+24(FP), Z30
	VBROADCASTSS hi+28(FP), Z29
	MOVL         $0xffff, DX
	KMOVW        DX, K1

clamp_loop:
	CMPQ CX, $16
	JGE  clamp_body
	TESTQ CX, CX
	JZ    clamp_done
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX
	KMOVW DX, K1
	MOVQ  $16, CX

clamp_body:
	VMOVUPS.Z (SI), K1, Z0
	VMAXPS    Z0, Z30, Z0 // x < lo ? lo : x
	VMINPS    Z0, Z29, Z0 // x > hi ? hi : x
	VMOVUPS   Z0, K1, (DI)
	ADDQ      $64, SI
	ADDQ      $64, DI
	SUBQ      $16, CX
	JMP       clamp_loop

clamp_done:
	VZEROUPPER
	RET

// func maskedGradAVX512(s, grad, dx *float32, n int, lo, hi float32, mode int)
//
// K2 = the lanes (within K1) where the mask passes at s. Accumulate adds g
// into dx under K2 (merge masking: the other lanes keep dx's bits); set
// computes 0 + g under K2 with zero masking (+0 in the other lanes) and
// stores all K1 lanes without loading dx.
TEXT ·maskedGradAVX512(SB), NOSPLIT, $0-48
	MOVQ         s+0(FP), SI
	MOVQ         grad+8(FP), BX
	MOVQ         dx+16(FP), DI
	MOVQ         n+24(FP), CX
	VBROADCASTSS lo+32(FP), Z30
	VBROADCASTSS hi+36(FP), Z29
	MOVQ         mode+40(FP), R8
	MOVQ         R8, R9
	ANDQ         $3, R8 // the GradMask
	ANDQ         $4, R9 // non-zero: set
	MOVL         $0x7fffffff, DX
	VPBROADCASTD DX, Z31
	VXORPS       X28, X28, X28
	MOVL         $0xffff, DX
	KMOVW        DX, K1

mg_loop:
	CMPQ CX, $16
	JGE  mg_body
	TESTQ CX, CX
	JZ    mg_done
	MOVL  $1, DX
	SHLL  CX, DX
	DECL  DX
	KMOVW DX, K1
	MOVQ  $16, CX

mg_body:
	VMOVUPS.Z (SI), K1, Z0
	CMPQ      R8, $1
	JEQ       mg_closed
	JGT       mg_nonzero
	VCMPPS    $0x06, Z30, Z0, K1, K2 // NLE_UQ: !(s <= lo), NaN true
	VCMPPS    $0x09, Z29, Z0, K2, K2 // NGE_UQ: !(s >= hi), NaN true
	JMP       mg_apply

mg_closed:
	VCMPPS $0x1d, Z30, Z0, K1, K2 // GE_OQ: s >= lo, NaN false
	VCMPPS $0x12, Z29, Z0, K2, K2 // LE_OQ: s <= hi, NaN false
	JMP    mg_apply

mg_nonzero:
	VPTESTMD Z31, Z0, K1, K2 // |s| bits non-zero

mg_apply:
	VMOVUPS.Z (BX), K2, Z1
	TESTQ     R9, R9
	JNZ       mg_set
	VMOVUPS.Z (DI), K1, Z2
	VADDPS    Z1, Z2, K2, Z2 // dx + g where the mask passes
	VMOVUPS   Z2, K1, (DI)
	JMP       mg_next

mg_set:
	VADDPS.Z Z1, Z28, K2, Z2 // 0 + g where the mask passes, +0 elsewhere
	VMOVUPS  Z2, K1, (DI)

mg_next:
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DI
	SUBQ $16, CX
	JMP  mg_loop

mg_done:
	VZEROUPPER
	RET
