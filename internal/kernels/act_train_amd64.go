//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// actTrainVector reports whether Clamp and MaskedGrad use the AVX-512
// kernels; tests may turn it off while no kernel runs.
var actTrainVector = cpu.X86.HasAVX512F

// clampAVX512 is Clamp on n ≥ 1 elements (act_train_amd64.s).
//
//go:noescape
func clampAVX512(dst, src *float32, n int, lo, hi float32)

// maskedGradAVX512 is MaskedGrad on n ≥ 1 elements (act_train_amd64.s);
// mode is the GradMask, plus maskedGradSet to set instead of accumulate.
//
//go:noescape
func maskedGradAVX512(s, grad, dx *float32, n int, lo, hi float32, mode int)
