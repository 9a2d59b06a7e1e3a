//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// tapAsm reports whether TabWeightGrad runs the AVX-512 kernels (and
// transposes with transposeAVX512); tests turn it off to compare with the
// Go loops.
var tapAsm = cpu.X86.HasAVX512F

// tapGrad9x32AVX512 is tapGrad9x32's loop (tapgrad_amd64.s); r and ldg in
// floats.
//
//go:noescape
func tapGrad9x32AVX512(k int, dt *float32, x *float32, r int, gt *float32, ldg int)

// tapGrad18x16AVX512 is tapGrad18x16's loop (tapgrad_amd64.s); r, plane
// and ldg in floats.
//
//go:noescape
func tapGrad18x16AVX512(k int, dt *float32, x *float32, r, plane int, gt *float32, ldg int)

// tapGrad25x16AVX512 is tapGrad25x16's loop (tapgrad_amd64.s); w and ldg
// in floats.
//
//go:noescape
func tapGrad25x16AVX512(k int, dt *float32, x *float32, w int, gt *float32, ldg int)
