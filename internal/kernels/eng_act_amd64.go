//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// engActAVX512 applies SiLU (or sigmoid when sigmoid is set) to the n
// elements at x by Exp32's algorithm, 16 per ZMM register, the last
// partial vector masked (eng_act_amd64.s).
//
//go:noescape
func engActAVX512(x *float32, n int, sigmoid bool)

// engActAsm reports whether the AVX-512 kernel runs SiLU and sigmoid. An
// element's result does not depend on its position in a slice (the last
// partial vector is masked, not finished in Go), so splitting a slice
// between goroutines does not change it.
var engActAsm = cpu.X86.HasAVX512F

// engSiLU applies SiLU32's function to x in place (on AVX-512 with fused
// multiply-adds, so its last bit may differ from SiLU32's).
func engSiLU(x []float32) {
	if engActAsm && len(x) > 0 {
		engActAVX512(&x[0], len(x), false)
		return
	}
	engSiLUGo(x)
}

// engSigmoid applies Sigmoid32's function to x in place (on AVX-512 with
// fused multiply-adds, so its last bit may differ from Sigmoid32's).
func engSigmoid(x []float32) {
	if engActAsm && len(x) > 0 {
		engActAVX512(&x[0], len(x), true)
		return
	}
	engSigmoidGo(x)
}
