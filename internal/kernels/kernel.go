package kernels

import "fmt"

// gemmKernel is one register-blocked SGEMM micro-kernel together with the
// shapes that packing and blocking take from it. Sgemm uses one kernel,
// gemmActive, chosen once at start-up from the CPU's features; the others
// stay reachable so that tests can run every kernel the CPU supports.
type gemmKernel struct {
	name string
	mr   int // rows of C per call; A is packed in panels of mr rows
	nr   int // columns of C per call; B is packed in panels of nr columns
	mc   int // rows of a packed A block: a multiple of mr near gemmMC

	// fn computes the mr×nr tile
	//
	//	C[i*ldc+j] = alpha·Σ_p a[p*mr+i]·b[p*nr+j] + beta·C[i*ldc+j]
	//
	// for p in [0, kc), kc ≥ 1, with the contract of microKernel: the sum
	// runs in increasing p, alpha·sum and beta·C are rounded separately
	// before they are added, and with beta == 0 the old C is not read.
	fn func(kc int, a, b []float32, alpha float32, c []float32, ldc int, beta float32)

	// rows8 is a sibling kernel with 8-row panels and the same nr, or
	// nil: gemmKernelFor takes it for row counts that it pads less.
	rows8 *gemmKernel
}

// gemmKernelFor returns the kernel for a product of m rows: gemmActive,
// or its 8-row sibling when m rounded up to 8 rows is less than
// rows8Ratio times m rounded up to the active kernel's rows (16, 32, 64
// and 40 output channels with the 12-row AVX-512 kernel). Both kernels
// form every element by the same chain of fused multiply-adds, so the
// choice changes only the speed.
func gemmKernelFor(m int) *gemmKernel {
	k := gemmActive
	if k.rows8 != nil && float64(roundUp(m, 8)) < rows8Ratio*float64(roundUp(m, k.mr)) {
		return k.rows8
	}
	return k
}

// rows8Ratio is the speed of the 8-row kernel per multiply-add relative to
// the 12-row one, measured in L1 (BenchmarkMicroKernel).
const rows8Ratio = 0.9

// Bounds on the shapes of all kernels: gemmTileMax on mr·nr (the size of
// the staging tile for edge tiles of C), gemmMaxMR on mr and gemmMaxNR on
// nr (for the packing routines' row tables).
const (
	gemmTileMax = 16 * 32
	gemmMaxMR   = 16
	gemmMaxNR   = 32
)

// gemmKernelGo is the pure-Go kernel, the reference and the fallback.
var gemmKernelGo = gemmKernel{name: "go", mr: gemmMR, nr: gemmNR, mc: gemmMC, fn: microKernel}

// gemmActive is the kernel Sgemm uses: the first of asmKernels(), else the
// pure-Go one. Tests may swap it while no SGEMM runs.
var gemmActive = selectKernel()

// selectKernel returns the fastest kernel this CPU (and build) supports.
func selectKernel() *gemmKernel {
	if ks := asmKernels(); len(ks) > 0 {
		return ks[0]
	}
	return &gemmKernelGo
}

// newGemmKernel fills in a kernel's mc from its mr.
func newGemmKernel(name string, mr, nr int, fn func(kc int, a, b []float32, alpha float32, c []float32, ldc int, beta float32)) *gemmKernel {
	if mr*nr > gemmTileMax || mr > gemmMaxMR || nr > gemmMaxNR || gemmNC%nr != 0 {
		panic("kernels: bad micro-kernel shape for " + name)
	}
	return &gemmKernel{name: name, mr: mr, nr: nr, mc: max(mr, gemmMC/mr*mr), fn: fn}
}

// GemmKernel names the SGEMM micro-kernel in use, such as "avx512-12x32",
// "avx2-6x16" or "go-2x4", for benchmark reports and logs.
func GemmKernel() string {
	k := gemmActive
	return fmt.Sprintf("%s-%dx%d", k.name, k.mr, k.nr)
}
