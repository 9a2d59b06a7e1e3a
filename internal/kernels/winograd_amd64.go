//go:build !noasm

package kernels

import "golang.org/x/sys/cpu"

// winoVector reports whether WinogradInput and WinogradOutput use the
// AVX-512 kernels; tests may turn it off while no transform runs.
var winoVector = cpu.X86.HasAVX512F

// winoInAVX512 transforms one chunk of up to 16 tiles of one channel
// (winograd_amd64.s): x is the channel's first input pixel, w the image
// width, v the element of v of the chunk's first tile at ξ = 0, vStride
// the distance between the 36 matrices, segs[0:nseg] the chunk's segments
// and r a scratch of 6·winoRStride floats.
//
//go:noescape
func winoInAVX512(x *float32, w int, v *float32, vStride int, segs *winoInSeg, nseg int, r *float32)

// winoOutAVX512 finishes one chunk of nt ≤ 16 tiles of one output channel
// (winograd_amd64.s): m is the element of M of the chunk's first tile at
// ξ = 0, mStride the distance between the 36 matrices, y (and res, or
// nil) the channel's first output pixel, ow the output width, bias the
// channel's bias, relu whether max(v, 0) follows, segs[0:nseg] the chunk's
// segments and t a scratch of 4·6·16 floats.
//
//go:noescape
func winoOutAVX512(m *float32, mStride, nt int, y, res *float32, ow int, bias float32, relu bool, segs *winoOutSeg, nseg int, t *float32)

// winoWeightsPanelAVX512 transforms the 3×3 filters of one panel of up to
// 16 output channels into the packed micro-panels of the 36 matrices
// (winograd_amd64.s; see WinogradPackedWeights): for n input channels,
// lane i < rows reads the filter at w + i·ldo floats (w steps 9 floats per
// channel) and the channel's 36 values go to dst + ξ·plane floats, mr
// lanes each (0 past rows), dst stepping step floats per channel.
//
//go:noescape
func winoWeightsPanelAVX512(w *float32, ldo, n int, dst *float32, step, plane, rows, mr int)
