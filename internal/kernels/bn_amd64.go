//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// bnAsm reports whether the batch-normalisation loops use the AVX-512
// kernels of bn_amd64.s; tests may turn it off while none runs.
var bnAsm = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

//go:noescape
func bnSumAVX512(p *BNPartials, x *float32, n int)

//go:noescape
func bnSumSqDevAVX512(p *BNPartials, x *float32, n int, mean float64)

//go:noescape
func bnBackwardSumsAVX512(sum, dot *BNPartials, dy, x *float32, n int, mean float64)

//go:noescape
func bnAffineAVX512(dst, x *float32, n int, a, b float32, res *float32, act int)

//go:noescape
func bnBackwardDxAVX512(dx, dy, x *float32, n int, mean, gm, proj, scale float64, set bool)

//go:noescape
func bnBackwardSumsReLUAVX512(sum, dot *BNPartials, dy, x *float32, n int, mean float64, a, b float32)

//go:noescape
func bnBackwardDxReLUAVX512(dx, dy, x *float32, n int, mean, gm, proj, scale float64, set bool, a, b float32)
