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

// tapFwd8x32AVX512 and tapFwd16x16AVX512 are tapFwdTile's loops for the
// 8×32 and 16×16 tiles (tapfwd_amd64.s); ldw, r and plane in floats.
//
//go:noescape
func tapFwd8x32AVX512(cin int, wt *float32, ldw int, x *float32, r, plane int, out *float32)

//go:noescape
func tapFwd16x16AVX512(cin int, wt *float32, ldw int, x *float32, r, plane int, out *float32)
