//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// sgdVector reports whether SGDMomentum and AddScaled use the AVX-512
// kernels; tests may turn it off while no kernel runs.
var sgdVector = cpu.X86.HasAVX512F

// sgdMomentumAVX512 is SGDMomentum on n ≥ 1 values (sgd_amd64.s).
//
//go:noescape
func sgdMomentumAVX512(p, grad, buf *float32, n int, wd, mom, damp, negLR float32)

// addScaledAVX512 is AddScaled on n ≥ 1 values (sgd_amd64.s).
//
//go:noescape
func addScaledAVX512(p, grad *float32, n int, a float32)
