//go:build !noasm

#include "textflag.h"
#include "tap_amd64.h"

// Direct 3×3 convolution tiles of TabConvForward (tapfwd.go): a tile of P
// output pixels of one row × T output channels, summed over every input
// channel c, window row ky and column kx in that order (the order of
// im2col's rows). Per input channel and window row the kernel loads the
// transposed weights of the row's three taps (T channels each) and
// broadcasts the P+2 input values x[q] of that row once each, adding
// x[q]·w[kx] to pixel p = q − kx for every kx that reaches it: (3 + P+2)
// loads for 3·P multiply-adds of T lanes.
//
// Registers: CX counts input channels; SI, BX, R11 point at the weights
// of window rows 0, 1, 2 of the current channel (R12 bytes per channel,
// DX bytes per tap); DI, R9, R10 at the input pixel under tap (ky, 0) of
// output pixel 0 for window rows 0, 1, 2 (R13 bytes per channel); AX at
// the tile buffer.

// FWD_ARGS loads the arguments and sets up the weight pointers of the
// three window rows and the input pointers of the three rows.
#define FWD_ARGS \
	MOVQ cin+0(FP), CX; \
	MOVQ wt+8(FP), SI; \
	MOVQ ldw+16(FP), DX; \
	SHLQ $2, DX; \
	MOVQ x+24(FP), DI; \
	MOVQ r+32(FP), R8; \
	SHLQ $2, R8; \
	LEAQ (DI)(R8*1), R9; \
	LEAQ (DI)(R8*2), R10; \
	MOVQ plane+40(FP), R13; \
	SHLQ $2, R13; \
	MOVQ out+48(FP), AX; \
	LEAQ (DX)(DX*2), R12; \
	LEAQ (SI)(R12*1), BX; \
	LEAQ (BX)(R12*1), R11; \
	LEAQ (R12)(R12*2), R12

// FWD_NEXT steps every pointer to the next input channel and loops.
#define FWD_NEXT(label) \
	ADDQ R12, SI; \
	ADDQ R12, BX; \
	ADDQ R12, R11; \
	ADDQ R13, DI; \
	ADDQ R13, R9; \
	ADDQ R13, R10; \
	DECQ CX; \
	JNZ  label

// FWD_ROW8x32(wb, xb), FWD_ROW16x16(wb, xb): one window row of one input
// channel: its three taps' weights from wb (Z16…), the input row from xb,
// each value broadcast once into every pixel it reaches.
#define FWD_ROW8x32(wb, xb) \
	VMOVUPS (wb), Z16; \
	VMOVUPS 64(wb), Z17; \
	VMOVUPS (wb)(DX*1), Z18; \
	VMOVUPS 64(wb)(DX*1), Z19; \
	VMOVUPS (wb)(DX*2), Z20; \
	VMOVUPS 64(wb)(DX*2), Z21; \
	VBROADCASTSS (xb), Z22; \
	VFMADD231PS Z16, Z22, Z0; \
	VFMADD231PS Z17, Z22, Z1; \
	VBROADCASTSS 4(xb), Z23; \
	VFMADD231PS Z16, Z23, Z2; \
	VFMADD231PS Z17, Z23, Z3; \
	VFMADD231PS Z18, Z23, Z0; \
	VFMADD231PS Z19, Z23, Z1; \
	VBROADCASTSS 8(xb), Z22; \
	VFMADD231PS Z16, Z22, Z4; \
	VFMADD231PS Z17, Z22, Z5; \
	VFMADD231PS Z18, Z22, Z2; \
	VFMADD231PS Z19, Z22, Z3; \
	VFMADD231PS Z20, Z22, Z0; \
	VFMADD231PS Z21, Z22, Z1; \
	VBROADCASTSS 12(xb), Z23; \
	VFMADD231PS Z16, Z23, Z6; \
	VFMADD231PS Z17, Z23, Z7; \
	VFMADD231PS Z18, Z23, Z4; \
	VFMADD231PS Z19, Z23, Z5; \
	VFMADD231PS Z20, Z23, Z2; \
	VFMADD231PS Z21, Z23, Z3; \
	VBROADCASTSS 16(xb), Z22; \
	VFMADD231PS Z16, Z22, Z8; \
	VFMADD231PS Z17, Z22, Z9; \
	VFMADD231PS Z18, Z22, Z6; \
	VFMADD231PS Z19, Z22, Z7; \
	VFMADD231PS Z20, Z22, Z4; \
	VFMADD231PS Z21, Z22, Z5; \
	VBROADCASTSS 20(xb), Z23; \
	VFMADD231PS Z16, Z23, Z10; \
	VFMADD231PS Z17, Z23, Z11; \
	VFMADD231PS Z18, Z23, Z8; \
	VFMADD231PS Z19, Z23, Z9; \
	VFMADD231PS Z20, Z23, Z6; \
	VFMADD231PS Z21, Z23, Z7; \
	VBROADCASTSS 24(xb), Z22; \
	VFMADD231PS Z16, Z22, Z12; \
	VFMADD231PS Z17, Z22, Z13; \
	VFMADD231PS Z18, Z22, Z10; \
	VFMADD231PS Z19, Z22, Z11; \
	VFMADD231PS Z20, Z22, Z8; \
	VFMADD231PS Z21, Z22, Z9; \
	VBROADCASTSS 28(xb), Z23; \
	VFMADD231PS Z16, Z23, Z14; \
	VFMADD231PS Z17, Z23, Z15; \
	VFMADD231PS Z18, Z23, Z12; \
	VFMADD231PS Z19, Z23, Z13; \
	VFMADD231PS Z20, Z23, Z10; \
	VFMADD231PS Z21, Z23, Z11; \
	VBROADCASTSS 32(xb), Z22; \
	VFMADD231PS Z18, Z22, Z14; \
	VFMADD231PS Z19, Z22, Z15; \
	VFMADD231PS Z20, Z22, Z12; \
	VFMADD231PS Z21, Z22, Z13; \
	VBROADCASTSS 36(xb), Z23; \
	VFMADD231PS Z20, Z23, Z14; \
	VFMADD231PS Z21, Z23, Z15

#define FWD_ROW16x16(wb, xb) \
	VMOVUPS (wb), Z16; \
	VMOVUPS (wb)(DX*1), Z17; \
	VMOVUPS (wb)(DX*2), Z18; \
	VBROADCASTSS (xb), Z19; \
	VFMADD231PS Z16, Z19, Z0; \
	VBROADCASTSS 4(xb), Z20; \
	VFMADD231PS Z16, Z20, Z1; \
	VFMADD231PS Z17, Z20, Z0; \
	VBROADCASTSS 8(xb), Z19; \
	VFMADD231PS Z16, Z19, Z2; \
	VFMADD231PS Z17, Z19, Z1; \
	VFMADD231PS Z18, Z19, Z0; \
	VBROADCASTSS 12(xb), Z20; \
	VFMADD231PS Z16, Z20, Z3; \
	VFMADD231PS Z17, Z20, Z2; \
	VFMADD231PS Z18, Z20, Z1; \
	VBROADCASTSS 16(xb), Z19; \
	VFMADD231PS Z16, Z19, Z4; \
	VFMADD231PS Z17, Z19, Z3; \
	VFMADD231PS Z18, Z19, Z2; \
	VBROADCASTSS 20(xb), Z20; \
	VFMADD231PS Z16, Z20, Z5; \
	VFMADD231PS Z17, Z20, Z4; \
	VFMADD231PS Z18, Z20, Z3; \
	VBROADCASTSS 24(xb), Z19; \
	VFMADD231PS Z16, Z19, Z6; \
	VFMADD231PS Z17, Z19, Z5; \
	VFMADD231PS Z18, Z19, Z4; \
	VBROADCASTSS 28(xb), Z20; \
	VFMADD231PS Z16, Z20, Z7; \
	VFMADD231PS Z17, Z20, Z6; \
	VFMADD231PS Z18, Z20, Z5; \
	VBROADCASTSS 32(xb), Z19; \
	VFMADD231PS Z16, Z19, Z8; \
	VFMADD231PS Z17, Z19, Z7; \
	VFMADD231PS Z18, Z19, Z6; \
	VBROADCASTSS 36(xb), Z20; \
	VFMADD231PS Z16, Z20, Z9; \
	VFMADD231PS Z17, Z20, Z8; \
	VFMADD231PS Z18, Z20, Z7; \
	VBROADCASTSS 40(xb), Z19; \
	VFMADD231PS Z16, Z19, Z10; \
	VFMADD231PS Z17, Z19, Z9; \
	VFMADD231PS Z18, Z19, Z8; \
	VBROADCASTSS 44(xb), Z20; \
	VFMADD231PS Z16, Z20, Z11; \
	VFMADD231PS Z17, Z20, Z10; \
	VFMADD231PS Z18, Z20, Z9; \
	VBROADCASTSS 48(xb), Z19; \
	VFMADD231PS Z16, Z19, Z12; \
	VFMADD231PS Z17, Z19, Z11; \
	VFMADD231PS Z18, Z19, Z10; \
	VBROADCASTSS 52(xb), Z20; \
	VFMADD231PS Z16, Z20, Z13; \
	VFMADD231PS Z17, Z20, Z12; \
	VFMADD231PS Z18, Z20, Z11; \
	VBROADCASTSS 56(xb), Z19; \
	VFMADD231PS Z16, Z19, Z14; \
	VFMADD231PS Z17, Z19, Z13; \
	VFMADD231PS Z18, Z19, Z12; \
	VBROADCASTSS 60(xb), Z20; \
	VFMADD231PS Z16, Z20, Z15; \
	VFMADD231PS Z17, Z20, Z14; \
	VFMADD231PS Z18, Z20, Z13; \
	VBROADCASTSS 64(xb), Z19; \
	VFMADD231PS Z17, Z19, Z15; \
	VFMADD231PS Z18, Z19, Z14; \
	VBROADCASTSS 68(xb), Z20; \
	VFMADD231PS Z18, Z20, Z15

// func tapFwd8x32AVX512(cin int, wt *float32, ldw int, x *float32, r, plane int, out *float32)
// Pixel p's accumulators: Z(2·p) … ; the buffer holds pixel-major rows of 32 floats.
TEXT ·tapFwd8x32AVX512(SB), NOSPLIT, $0-56
	FWD_ARGS
	ZERO_Z0_Z15

looptapFwd8x32AVX512:
	FWD_ROW8x32(SI, DI)
	FWD_ROW8x32(BX, R9)
	FWD_ROW8x32(R11, R10)
	FWD_NEXT(looptapFwd8x32AVX512)

	VMOVUPS Z0, 0(AX)
	VMOVUPS Z1, 64(AX)
	VMOVUPS Z2, 128(AX)
	VMOVUPS Z3, 192(AX)
	VMOVUPS Z4, 256(AX)
	VMOVUPS Z5, 320(AX)
	VMOVUPS Z6, 384(AX)
	VMOVUPS Z7, 448(AX)
	VMOVUPS Z8, 512(AX)
	VMOVUPS Z9, 576(AX)
	VMOVUPS Z10, 640(AX)
	VMOVUPS Z11, 704(AX)
	VMOVUPS Z12, 768(AX)
	VMOVUPS Z13, 832(AX)
	VMOVUPS Z14, 896(AX)
	VMOVUPS Z15, 960(AX)
	VZEROUPPER
	RET

// func tapFwd16x16AVX512(cin int, wt *float32, ldw int, x *float32, r, plane int, out *float32)
// Pixel p's accumulators: Z(p) … ; the buffer holds pixel-major rows of 16 floats.
TEXT ·tapFwd16x16AVX512(SB), NOSPLIT, $0-56
	FWD_ARGS
	ZERO_Z0_Z15

looptapFwd16x16AVX512:
	FWD_ROW16x16(SI, DI)
	FWD_ROW16x16(BX, R9)
	FWD_ROW16x16(R11, R10)
	FWD_NEXT(looptapFwd16x16AVX512)

	VMOVUPS Z0, 0(AX)
	VMOVUPS Z1, 64(AX)
	VMOVUPS Z2, 128(AX)
	VMOVUPS Z3, 192(AX)
	VMOVUPS Z4, 256(AX)
	VMOVUPS Z5, 320(AX)
	VMOVUPS Z6, 384(AX)
	VMOVUPS Z7, 448(AX)
	VMOVUPS Z8, 512(AX)
	VMOVUPS Z9, 576(AX)
	VMOVUPS Z10, 640(AX)
	VMOVUPS Z11, 704(AX)
	VMOVUPS Z12, 768(AX)
	VMOVUPS Z13, 832(AX)
	VMOVUPS Z14, 896(AX)
	VMOVUPS Z15, 960(AX)
	VZEROUPPER
	RET
