//go:build !amd64 || noasm

package kernels

// peakLoopFor returns no assembly loop: this build has only the pure-Go
// kernel, whose peak is the scalar one (peakLoopGo).
func peakLoopFor(k *gemmKernel) (loop func(n int), flopsPerIter float64, ok bool) {
	return nil, 0, false
}
