//go:build noasm || !amd64

package kernels

// epAsm is false: there is no assembly here (tests set it).
var epAsm = false

// gemmTileEp reports false: this build has no fused kernel, so GemmPacked
// applies epilogues with Epilogue.apply.
func gemmTileEp(kern *gemmKernel, kb int, a, b []float32, ldb int, c []float32, ldc, beta int, ep *Epilogue, i0, j0, cols int) bool {
	return false
}

// hasFusedKernel reports false: no fused kernel in this build.
func hasFusedKernel(kern *gemmKernel) bool { return false }

// epilogueRow is epilogueRowGo.
func epilogueRow(row []float32, bias *float32, res []float32, act Activation) {
	epilogueRowGo(row, bias, res, act)
}
