//go:build !amd64 || noasm

package kernels

// actTrainVector is false: this build has only the reference loops.
var actTrainVector = false

func clampAVX512(dst, src *float32, n int, lo, hi float32) {
	panic("kernels: no clamp kernel")
}

func maskedGradAVX512(s, grad, dx *float32, n int, lo, hi float32, mode int) {
	panic("kernels: no masked-gradient kernel")
}
