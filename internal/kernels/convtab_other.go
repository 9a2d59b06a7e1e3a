//go:build noasm || !amd64

package kernels

// tabAsm is false: without the assembly, GemmPackedTab gathers B into
// packed panels.
var tabAsm = false

// gemmTileTab is never called in this build (tabAsm is false).
func gemmTileTab(kern *gemmKernel, kb int, a, b []float32, h0, h1 tabHalf, off []int, c []float32, ldc, beta, cols int) {
	panic("kernels: gemmTileTab without assembly")
}

// tabRows is rowsGo in this build.
func tabRows(dst, src []float32, rows, w, ldd, lds, mode int) {
	rowsGo(dst, src, rows, w, ldd, lds, mode)
}
