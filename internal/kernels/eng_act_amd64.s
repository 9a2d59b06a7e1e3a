//go:build !noasm

#include "textflag.h"

// func engActAVX512(x *float32, n int, sigmoid bool)
//
// x[i] = x[i]/(1+e^−x[i]) (SiLU), or 1/(1+e^−x[i]) when sigmoid is set,
// for i < n, 16 elements per ZMM register and the last partial vector under
// a mask, so that every element gets the same instructions. e^a is Exp32's
// algorithm: a clamped to [lo, hi], n = round(a·log2 e), r = a − n·C1 −
// n·C2 (fused), the degree-6 polynomial by fused multiply-adds, times 2ⁿ
// by VSCALEFPS.
TEXT ·engActAVX512(SB), NOSPLIT, $0-17
	MOVQ    x+0(FP), DI
	MOVQ    n+8(FP), CX
	MOVBLZX sigmoid+16(FP), DX

	MOVL         $0xc2aeac4f, AX // lo
	VPBROADCASTD AX, Z20
	MOVL         $0x42b00000, AX // hi
	VPBROADCASTD AX, Z21
	MOVL         $0x3fb8aa3b, AX // log2 e
	VPBROADCASTD AX, Z22
	MOVL         $0x3f318000, AX // C1
	VPBROADCASTD AX, Z23
	MOVL         $0xb95e8083, AX // C2
	VPBROADCASTD AX, Z24
	MOVL         $0x39506967, AX // P0
	VPBROADCASTD AX, Z25
	MOVL         $0x3ab743ce, AX // P1
	VPBROADCASTD AX, Z26
	MOVL         $0x3c088908, AX // P2
	VPBROADCASTD AX, Z27
	MOVL         $0x3d2aa9c1, AX // P3
	VPBROADCASTD AX, Z28
	MOVL         $0x3e2aaaaa, AX // P4
	VPBROADCASTD AX, Z29
	MOVL         $0x3f000000, AX // P5
	VPBROADCASTD AX, Z30
	MOVL         $0x3f800000, AX // 1
	VPBROADCASTD AX, Z31
	VPXORD       Z19, Z19, Z19   // 0

	MOVL $0xffff, AX
	KMOVW AX, K1

loop:
	CMPQ CX, $0
	JLE  done
	CMPQ CX, $16
	JGE  full
	// Last partial vector: mask of the CX low lanes.
	MOVL  $1, AX
	SHLL  CX, AX
	DECL  AX
	KMOVW AX, K1

full:
	VMOVUPS.Z (DI), K1, Z0 // v
	VSUBPS    Z0, Z19, Z1  // a = −v
	VMAXPS    Z1, Z20, Z1  // max(lo, a), NaN kept
	VMINPS    Z1, Z21, Z1  // min(hi, a), NaN kept
	VMULPS    Z22, Z1, Z2
	VRNDSCALEPS $0, Z2, Z2 // n = round(a·log2 e)
	VMOVAPS   Z1, Z3
	VFNMADD231PS Z23, Z2, Z3 // r = a − n·C1
	VFNMADD231PS Z24, Z2, Z3 // r −= n·C2
	VMOVAPS   Z25, Z4
	VFMADD213PS Z26, Z3, Z4 // p = p·r + P1
	VFMADD213PS Z27, Z3, Z4
	VFMADD213PS Z28, Z3, Z4
	VFMADD213PS Z29, Z3, Z4
	VFMADD213PS Z30, Z3, Z4
	VMULPS    Z3, Z3, Z5   // r²
	VFMADD213PS Z3, Z5, Z4 // p·r² + r
	VADDPS    Z31, Z4, Z4  // + 1
	VSCALEFPS Z2, Z4, Z4   // e^a = p·2ⁿ
	VADDPS    Z31, Z4, Z4  // d = 1 + e^−v
	TESTB     DL, DL
	JNZ       sig
	VDIVPS    Z4, Z0, Z0   // v/d
	JMP       store

sig:
	VDIVPS Z4, Z31, Z0 // 1/d

store:
	VMOVUPS Z0, K1, (DI)
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     loop

done:
	VZEROUPPER
	RET
