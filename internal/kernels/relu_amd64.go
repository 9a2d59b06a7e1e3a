//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// reluVector reports whether ReLU and ReLUBackward use the AVX-512 kernels;
// tests may turn it off while no kernel runs.
var reluVector = cpu.X86.HasAVX512F

// reluAVX512 is ReLU on n ≥ 1 elements (relu_amd64.s).
//
//go:noescape
func reluAVX512(dst, src *float32, n int)

// reluBackwardAVX512 is ReLUBackward on n ≥ 1 elements (relu_amd64.s).
//
//go:noescape
func reluBackwardAVX512(y, grad, dx *float32, n int)
