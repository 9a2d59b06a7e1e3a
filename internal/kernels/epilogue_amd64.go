//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// tileEpilogue is the epilogue of one full 12×32 tile as the fused
// kernel reads it (the EP_* offsets of fused_amd64.s): pointers to the
// tile's first bias value and first residual element (nil when absent),
// the residual's row stride in elements, and the activation (0 none, 1
// ReLU, 2 ReLU6).
type tileEpilogue struct {
	bias *float32 // [12] or nil
	res  *float32 // [12, ldr] or nil
	ldr  int
	act  int
}

// sgemm12x32EpAVX512 is the AVX-512 micro-kernel of sgemm12x32AVX512 with
// alpha = 1, beta ∈ {0, 1}, and the epilogue ep (nil: none) applied in
// registers before the tile is stored (fused_amd64.s). Row p of the
// tile's B is read at b + p·ldb: a packed panel when ldb is 32, B's own
// rows otherwise. Only columns [0, cols) of B, C and the residual are read
// and of C written, 1 ≤ cols ≤ 32.
//
//go:noescape
func sgemm12x32EpAVX512(kc int, a, b *float32, ldb int, c *float32, ldc int, beta int, ep *tileEpilogue, cols int)

// sgemm8x32EpAVX512 is sgemm12x32EpAVX512 for an 8×32 tile
// (fused_amd64.s).
//
//go:noescape
func sgemm8x32EpAVX512(kc int, a, b *float32, ldb int, c *float32, ldc int, beta int, ep *tileEpilogue, cols int)

// sgemm12x16EpAVX512 is sgemm12x32EpAVX512 on a packed panel for a tile
// of cols ≤ 16 columns: it reads only the first 16 columns of each B row
// (kernel16_amd64.s).
//
//go:noescape
func sgemm12x16EpAVX512(kc int, a, b, c *float32, ldc int, beta int, ep *tileEpilogue, cols int)

// epRowAVX512 sets x[i] = act(x[i] + *bias + res[i]) for i < n, skipping
// bias and res when nil; act is 0 (none), 1 (ReLU) or 2 (ReLU6).
//
//go:noescape
func epRowAVX512(x *float32, n int, bias *float32, res *float32, act int)

// epAsm reports whether the fused kernel and the row epilogue run; tests
// may turn it off while no kernel runs.
var epAsm = cpu.X86.HasAVX512F

// epActCode returns the assembly's code for act, or false when the
// assembly does not compute it.
func epActCode(act Act) (int, bool) {
	switch act {
	case ActNone:
		return 0, true
	case ActReLU:
		return 1, true
	case ActReLU6:
		return 2, true
	}
	return 0, false
}

// gemmTileEp computes an mr×32 tile (mr = 12 or 8) with all mr rows and
// its first cols columns inside C with the fused kernel: C = A·B (+ C
// when beta is 1), then, when ep is not nil, ep's bias, residual and
// activation for the tile whose top-left element is (i0, j0). A is a
// packed micro-panel; row p of B is at b[p*ldb:], a packed panel when ldb
// is 32 (nr) and B's own rows otherwise. It reports false, doing nothing,
// when kern has no fused form or ep's activation is not one the kernel
// computes; the caller then takes the unfused path, which gives the same
// bits.
func gemmTileEp(kern *gemmKernel, kb int, a, b []float32, ldb int, c []float32, ldc, beta int, ep *Epilogue, i0, j0, cols int) bool {
	if !hasFusedKernel(kern) {
		return false
	}
	mr := kern.mr
	var te tileEpilogue
	var tp *tileEpilogue
	if ep != nil {
		code, ok := epActCode(ep.Act.Kind)
		if !ok {
			return false
		}
		te.act = code
		if ep.Bias != nil {
			_ = ep.Bias[i0+mr-1]
			te.bias = &ep.Bias[i0]
		}
		if ep.Residual != nil {
			_ = ep.Residual[(i0+mr-1)*ep.ResLd+j0+cols-1]
			te.res, te.ldr = &ep.Residual[i0*ep.ResLd+j0], ep.ResLd
		}
		tp = &te
	}
	_ = a[kb*mr-1]
	_ = b[(kb-1)*ldb+cols-1]
	_ = c[(mr-1)*ldc+cols-1]
	switch {
	case mr == 8:
		sgemm8x32EpAVX512(kb, &a[0], &b[0], ldb, &c[0], ldc, beta, tp, cols)
	case cols <= 16 && ldb == 32:
		sgemm12x16EpAVX512(kb, &a[0], &b[0], &c[0], ldc, beta, tp, cols)
	default:
		sgemm12x32EpAVX512(kb, &a[0], &b[0], ldb, &c[0], ldc, beta, tp, cols)
	}
	return true
}

// hasFusedKernel reports whether gemmTileEp runs kern.
func hasFusedKernel(kern *gemmKernel) bool {
	return epAsm && (kern == gemmKernelAVX512 || kern == gemmKernelAVX512r8)
}

// epilogueRow sets row[j] = act(row[j] + *bias + res[j]) (bias and res
// skipped when nil), as epilogueRowGo does, 16 elements per instruction.
func epilogueRow(row []float32, bias *float32, res []float32, act Activation) {
	if !epAsm || len(row) == 0 {
		epilogueRowGo(row, bias, res, act)
		return
	}
	var rp *float32
	if res != nil {
		rp = &res[:len(row)][0]
	}
	code, ok := epActCode(act.Kind)
	epRowAVX512(&row[0], len(row), bias, rp, code)
	if !ok {
		ApplyAct(act, row)
	}
}
