//go:build !noasm

#include "textflag.h"
#include "gemm_amd64.h"

// SGEMM micro-kernels for amd64; see kernel_amd64.go for their contract.
// Each keeps the whole C tile in vector registers: per step p it loads one
// row of the B micro-panel, broadcasts each of the mr values of column p of
// the A micro-panel in turn and adds their products to the tile with
// VFMADD231PS (acc += a·b), so every C element is one FMA chain in
// increasing p. Panels are zero-padded by packing: no masks are needed.
//
// Registers: AX walks the A panel, BX the B panel, CX counts steps, R9
// counts unrolled groups of four, DI walks the rows of C, DX is ldc in
// bytes, R10 walks the rows of C for the prefetches.

// Prefetch the row of C at R10 (its first byte and the byte at off, the
// line holding its end), then step R10 to the next row.
#define PREFETCH_C_ROW(off) \
	PREFETCHT1 (R10);    \
	PREFETCHT1 off(R10); \
	ADDQ       DX, R10

// ---- AVX-512F: 12×32 tile in Z8..Z31 (row i in Z(8+2i), Z(9+2i)). ----

// One step of p: STEP_12x32, four: STEP4_12x32 (gemm_amd64.h).


// func sgemm12x32AVX512(kc int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm12x32AVX512(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	// Start fetching the C tile now, so that its update at the end finds
	// it in cache.
	MOVQ DI, R10
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)
	PREFETCH_C_ROW(64)

	ZERO_12x32

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail12x32

loop12x32:
	STEP4_12x32
	DECQ R9
	JNZ  loop12x32

tail12x32:
	ANDQ $3, CX
	JZ   store12x32

step12x32:
	STEP_12x32(0, 0)
	ADDQ $48, AX
	ADDQ $128, BX
	DECQ CX
	JNZ  step12x32

store12x32:
	VBROADCASTSS alpha+40(FP), Z2
	MOVL         beta+44(FP), R8
	ANDL         $0x7fffffff, R8
	JNZ          storeb12x32
	ROWS_LO(STORE_Z)
	ROWS_HI(STORE_Z)
	VZEROUPPER
	RET

storeb12x32:
	VBROADCASTSS beta+44(FP), Z3
	ROWS_LO(STOREB_Z)
	ROWS_HI(STOREB_Z)
	VZEROUPPER
	RET

// ---- AVX2+FMA: 6×16 tile in Y4..Y15 (row i in Y(4+2i), Y(5+2i)). ----

// One step of p: B row in Y0, Y1; broadcasts alternate Y2, Y3.
#define STEP_6x16 \
	VMOVUPS      (BX), Y0;     \
	VMOVUPS      32(BX), Y1;   \
	VBROADCASTSS (AX), Y2;     \
	VFMADD231PS  Y0, Y2, Y4;   \
	VFMADD231PS  Y1, Y2, Y5;   \
	VBROADCASTSS 4(AX), Y3;    \
	VFMADD231PS  Y0, Y3, Y6;   \
	VFMADD231PS  Y1, Y3, Y7;   \
	VBROADCASTSS 8(AX), Y2;    \
	VFMADD231PS  Y0, Y2, Y8;   \
	VFMADD231PS  Y1, Y2, Y9;   \
	VBROADCASTSS 12(AX), Y3;   \
	VFMADD231PS  Y0, Y3, Y10;  \
	VFMADD231PS  Y1, Y3, Y11;  \
	VBROADCASTSS 16(AX), Y2;   \
	VFMADD231PS  Y0, Y2, Y12;  \
	VFMADD231PS  Y1, Y2, Y13;  \
	VBROADCASTSS 20(AX), Y3;   \
	VFMADD231PS  Y0, Y3, Y14;  \
	VFMADD231PS  Y1, Y3, Y15;  \
	ADDQ         $24, AX;      \
	ADDQ         $64, BX

// func sgemm6x16AVX2(kc int, a, b, c *float32, ldc int, alpha, beta float32)
TEXT ·sgemm6x16AVX2(SB), NOSPLIT, $0-48
	MOVQ kc+0(FP), CX
	MOVQ a+8(FP), AX
	MOVQ b+16(FP), BX
	MOVQ c+24(FP), DI
	MOVQ ldc+32(FP), DX
	SHLQ $2, DX

	VXORPS Y4, Y4, Y4
	VXORPS Y5, Y5, Y5
	VXORPS Y6, Y6, Y6
	VXORPS Y7, Y7, Y7
	VXORPS Y8, Y8, Y8
	VXORPS Y9, Y9, Y9
	VXORPS Y10, Y10, Y10
	VXORPS Y11, Y11, Y11
	VXORPS Y12, Y12, Y12
	VXORPS Y13, Y13, Y13
	VXORPS Y14, Y14, Y14
	VXORPS Y15, Y15, Y15

	MOVQ CX, R9
	SHRQ $2, R9
	JZ   tail6x16

loop6x16:
	STEP_6x16
	STEP_6x16
	STEP_6x16
	STEP_6x16
	DECQ R9
	JNZ  loop6x16

tail6x16:
	ANDQ $3, CX
	JZ   store6x16

step6x16:
	STEP_6x16
	DECQ CX
	JNZ  step6x16

store6x16:
	VBROADCASTSS alpha+40(FP), Y2
	MOVL         beta+44(FP), R8
	ANDL         $0x7fffffff, R8
	JNZ          storeb6x16
	STORE_Y(Y4, Y5)
	STORE_Y(Y6, Y7)
	STORE_Y(Y8, Y9)
	STORE_Y(Y10, Y11)
	STORE_Y(Y12, Y13)
	STORE_Y(Y14, Y15)
	VZEROUPPER
	RET

storeb6x16:
	VBROADCASTSS beta+44(FP), Y3
	STOREB_Y(Y4, Y5)
	STOREB_Y(Y6, Y7)
	STOREB_Y(Y8, Y9)
	STOREB_Y(Y10, Y11)
	STOREB_Y(Y12, Y13)
	STOREB_Y(Y14, Y15)
	VZEROUPPER
	RET
