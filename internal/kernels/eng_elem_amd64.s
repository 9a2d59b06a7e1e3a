//go:build !noasm

#include "textflag.h"

// func planeMeansAVX512(x *float32, hw int, y *float32, planes int)
//
// For each plane, four ZMM registers of eight float64 sums Z0…Z3 take
// element i of the plane in lane i mod 32 (Z0 lanes 0–7, Z1 lanes 8–15, …),
// 32 elements per block converted by VCVTPS2PD, the last partial block
// under the masks K2…K5 (zeros elsewhere, which leave a sum unchanged). The
// sums are then combined in planeMeanGo's order, divided by hw and rounded
// to float32.
TEXT ·planeMeansAVX512(SB), NOSPLIT, $0-32
	MOVQ x+0(FP), SI
	MOVQ hw+8(FP), BX
	MOVQ y+16(FP), DI
	MOVQ planes+24(FP), DX

	VCVTSI2SDQ BX, X8, X8 // float64(hw)

	// R10 = hw mod 32; AX = its mask of low bits, one byte per register.
	MOVQ  BX, CX
	ANDQ  $31, CX
	MOVQ  CX, R10
	MOVQ  $1, AX
	SHLQ  CX, AX
	DECQ  AX
	MOVL  AX, R9
	ANDL  $0xff, R9
	KMOVW R9, K2
	MOVL  AX, R9
	SHRL  $8, R9
	ANDL  $0xff, R9
	KMOVW R9, K3
	MOVL  AX, R9
	SHRL  $16, R9
	ANDL  $0xff, R9
	KMOVW R9, K4
	MOVL  AX, R9
	SHRL  $24, R9
	KMOVW R9, K5
	MOVQ  BX, R11
	SHRQ  $5, R11 // full blocks per plane

plane:
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	MOVQ   R11, CX
	TESTQ  CX, CX
	JZ     tail

block:
	VCVTPS2PD (SI), Z4
	VCVTPS2PD 32(SI), Z5
	VCVTPS2PD 64(SI), Z6
	VCVTPS2PD 96(SI), Z7
	VADDPD    Z4, Z0, Z0
	VADDPD    Z5, Z1, Z1
	VADDPD    Z6, Z2, Z2
	VADDPD    Z7, Z3, Z3
	ADDQ      $128, SI
	DECQ      CX
	JNZ       block

tail:
	TESTQ R10, R10
	JZ    reduce
	VCVTPS2PD.Z (SI), K2, Z4
	VCVTPS2PD.Z 32(SI), K3, Z5
	VCVTPS2PD.Z 64(SI), K4, Z6
	VCVTPS2PD.Z 96(SI), K5, Z7
	VADDPD      Z4, Z0, Z0
	VADDPD      Z5, Z1, Z1
	VADDPD      Z6, Z2, Z2
	VADDPD      Z7, Z3, Z3
	LEAQ        (SI)(R10*4), SI

reduce:
	VADDPD        Z1, Z0, Z0 // lanes j + (8+j)
	VADDPD        Z3, Z2, Z2 // lanes (16+j) + (24+j)
	VADDPD        Z2, Z0, Z0
	VEXTRACTF64X4 $1, Z0, Y1
	VADDPD        Y1, Y0, Y0 // eight sums to four
	VEXTRACTF128  $1, Y0, X1
	VADDPD        X1, X0, X0 // four to two
	VPERMILPD     $1, X0, X1
	VADDSD        X1, X0, X0 // two to one
	VDIVSD        X8, X0, X0
	VCVTSD2SS     X0, X0, X0
	VMOVSS        X0, (DI)
	ADDQ          $4, DI
	DECQ          DX
	JNZ           plane

	VZEROUPPER
	RET

// func planeOpAVX512(x, s, y *float32, hw, planes int, add bool)
//
// y = x·s[p] (or x + s[p] when add is set) over each plane p, s[p]
// broadcast to Z1, four then one ZMM vector at a time, the last partial
// vector of a plane under the mask K2.
TEXT ·planeOpAVX512(SB), NOSPLIT, $0-41
	MOVQ    x+0(FP), SI
	MOVQ    s+8(FP), R8
	MOVQ    y+16(FP), DI
	MOVQ    hw+24(FP), BX
	MOVQ    planes+32(FP), DX
	MOVBLZX add+40(FP), AX

	MOVQ  BX, CX
	ANDQ  $15, CX
	MOVQ  CX, R11
	SHLQ  $2, R11 // bytes of the partial vector
	MOVL  $1, R9
	SHLL  CX, R9
	DECL  R9
	KMOVW R9, K2
	MOVQ  BX, R10
	SHRQ  $4, R10 // full vectors per plane
	TESTB AL, AL
	JNZ   addplane

mulplane:
	VBROADCASTSS (R8), Z1
	MOVQ         R10, CX

mul4:
	CMPQ    CX, $4
	JLT     mul1
	VMULPS  (SI), Z1, Z2
	VMULPS  64(SI), Z1, Z3
	VMULPS  128(SI), Z1, Z4
	VMULPS  192(SI), Z1, Z5
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, 64(DI)
	VMOVUPS Z4, 128(DI)
	VMOVUPS Z5, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	SUBQ    $4, CX
	JMP     mul4

mul1:
	TESTQ   CX, CX
	JZ      multail
	VMULPS  (SI), Z1, Z2
	VMOVUPS Z2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JMP     mul1

multail:
	TESTQ     R11, R11
	JZ        mulnext
	VMOVUPS.Z (SI), K2, Z2
	VMULPS    Z1, Z2, Z2
	VMOVUPS   Z2, K2, (DI)
	ADDQ      R11, SI
	ADDQ      R11, DI

mulnext:
	ADDQ $4, R8
	DECQ DX
	JNZ  mulplane
	VZEROUPPER
	RET

addplane:
	VBROADCASTSS (R8), Z1
	MOVQ         R10, CX

add4:
	CMPQ    CX, $4
	JLT     add1
	VADDPS  (SI), Z1, Z2
	VADDPS  64(SI), Z1, Z3
	VADDPS  128(SI), Z1, Z4
	VADDPS  192(SI), Z1, Z5
	VMOVUPS Z2, (DI)
	VMOVUPS Z3, 64(DI)
	VMOVUPS Z4, 128(DI)
	VMOVUPS Z5, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, DI
	SUBQ    $4, CX
	JMP     add4

add1:
	TESTQ   CX, CX
	JZ      addtail
	VADDPS  (SI), Z1, Z2
	VMOVUPS Z2, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	DECQ    CX
	JMP     add1

addtail:
	TESTQ     R11, R11
	JZ        addnext
	VMOVUPS.Z (SI), K2, Z2
	VADDPS    Z1, Z2, Z2
	VMOVUPS   Z2, K2, (DI)
	ADDQ      R11, SI
	ADDQ      R11, DI

addnext:
	ADDQ $4, R8
	DECQ DX
	JNZ  addplane
	VZEROUPPER
	RET

// func elemOpAVX512(a, b, y *float32, n int, add bool)
//
// y = a·b (or a + b when add is set), four then one ZMM vector at a time,
// the last partial vector under the mask K2.
TEXT ·elemOpAVX512(SB), NOSPLIT, $0-33
	MOVQ    a+0(FP), SI
	MOVQ    b+8(FP), R8
	MOVQ    y+16(FP), DI
	MOVQ    n+24(FP), CX
	MOVBLZX add+32(FP), AX
	TESTB   AL, AL
	JNZ     add4

mul4:
	CMPQ    CX, $64
	JLT     mul1
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VMULPS  (R8), Z0, Z0
	VMULPS  64(R8), Z1, Z1
	VMULPS  128(R8), Z2, Z2
	VMULPS  192(R8), Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, R8
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     mul4

mul1:
	CMPQ    CX, $16
	JLT     multail
	VMOVUPS (SI), Z0
	VMULPS  (R8), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     mul1

multail:
	TESTQ     CX, CX
	JZ        done
	MOVL      $1, R9
	SHLL      CX, R9
	DECL      R9
	KMOVW     R9, K2
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (R8), K2, Z1
	VMULPS    Z1, Z0, Z0
	VMOVUPS   Z0, K2, (DI)
	JMP       done

add4:
	CMPQ    CX, $64
	JLT     add1
	VMOVUPS (SI), Z0
	VMOVUPS 64(SI), Z1
	VMOVUPS 128(SI), Z2
	VMOVUPS 192(SI), Z3
	VADDPS  (R8), Z0, Z0
	VADDPS  64(R8), Z1, Z1
	VADDPS  128(R8), Z2, Z2
	VADDPS  192(R8), Z3, Z3
	VMOVUPS Z0, (DI)
	VMOVUPS Z1, 64(DI)
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	ADDQ    $256, SI
	ADDQ    $256, R8
	ADDQ    $256, DI
	SUBQ    $64, CX
	JMP     add4

add1:
	CMPQ    CX, $16
	JLT     addtail
	VMOVUPS (SI), Z0
	VADDPS  (R8), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, R8
	ADDQ    $64, DI
	SUBQ    $16, CX
	JMP     add1

addtail:
	TESTQ     CX, CX
	JZ        done
	MOVL      $1, R9
	SHLL      CX, R9
	DECL      R9
	KMOVW     R9, K2
	VMOVUPS.Z (SI), K2, Z0
	VMOVUPS.Z (R8), K2, Z1
	VADDPS    Z1, Z0, Z0
	VMOVUPS   Z0, K2, (DI)

done:
	VZEROUPPER
	RET
