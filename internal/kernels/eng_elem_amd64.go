//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// engElemAsm reports whether the element-wise steps of eng_elem.go run on
// the AVX-512 kernels; tests turn it off to compare with the reference
// loops.
var engElemAsm = cpu.X86.HasAVX512F

// planeMeansAVX512 writes into y [planes] the means of the planes of x
// [planes, hw], hw ≥ 1, in planeMeanGo's order (eng_elem_amd64.s).
//
//go:noescape
func planeMeansAVX512(x *float32, hw int, y *float32, planes int)

// planeOpAVX512 is planeOpGo on planes ≥ 1 planes of hw ≥ 1 elements
// (eng_elem_amd64.s).
//
//go:noescape
func planeOpAVX512(x, s, y *float32, hw, planes int, add bool)

// elemOpAVX512 is elemOpGo on n ≥ 1 elements (eng_elem_amd64.s).
//
//go:noescape
func elemOpAVX512(a, b, y *float32, n int, add bool)
