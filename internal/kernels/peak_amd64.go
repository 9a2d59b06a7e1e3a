//go:build !noasm

package kernels

// FMA-throughput loops (peak_amd64.s) for MeasurePeak.

//go:noescape
func fmaLoopAVX512(n int, x *float32)

//go:noescape
func fmaLoopAVX2(n int, x *float32)

// peakLoopFor returns the FMA loop matching kernel k's instruction set and
// the FLOPs of one of its iterations, or ok == false for the pure-Go
// kernel.
func peakLoopFor(k *gemmKernel) (loop func(n int), flopsPerIter float64, ok bool) {
	switch k {
	case gemmKernelAVX512:
		return func(n int) { fmaLoopAVX512(n, &peakData[0]) }, 24 * 16 * 2, true
	case gemmKernelAVX2:
		return func(n int) { fmaLoopAVX2(n, &peakData[0]) }, 12 * 8 * 2, true
	}
	return nil, 0, false
}
