package ops

// Instance normalisation, global max pooling and the depth/space
// rearrangements, with ONNX semantics (InstanceNormalization,
// GlobalMaxPool, DepthToSpace, SpaceToDepth), which equal PyTorch's
// (torch.nn.functional.instance_norm, adaptive_max_pool2d(x, 1),
// pixel_shuffle / pixel_unshuffle).
//
// Shapes:
//
//	x       [N, C, S...]  S the spatial dimensions (H, W for 2-d)
//	scale   [C]           γ of InstanceNorm, may be nil
//	bias    [C]           β of InstanceNorm, may be nil
//
// The plane of sample n and channel c is the contiguous block
// x[(n·C+c)·S : (n·C+c+1)·S], S the product of the spatial dimensions.

import (
	"fmt"
	"math"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// nxGrainElems is about how many elements one goroutine should own.
const nxGrainElems = 16384

// InstanceNorm normalises every plane of x [N, C, S...] (at least one
// spatial dimension) over its S values and applies a per-channel affine
// transform:
//
//	y = γ_c · (x − mean) / √(var + eps) + β_c
//
// with the plane's mean and biased variance (ONNX InstanceNormalization;
// torch.nn.functional.instance_norm without running statistics). scale (γ)
// and bias (β) are [C] or nil (γ = 1, β = 0). Statistics are computed in
// float64. The gradient flows to x, scale and bias.
func InstanceNorm(x, scale, bias *Var, eps float64) *Var {
	shape := x.Value.Shape()
	if len(shape) < 3 {
		panic(fmt.Sprintf("ops: InstanceNorm: input of shape %v, want [N, C, S...] with at least one spatial dimension", shape))
	}
	n, c := shape[0], shape[1]
	s := 1
	for _, d := range shape[2:] {
		s *= d
	}
	for _, p := range []struct {
		name string
		v    *Var
	}{{"scale", scale}, {"bias", bias}} {
		if p.v != nil && !tensor.ShapeEqual(p.v.Value.Shape(), []int{c}) {
			panic(fmt.Sprintf("ops: InstanceNorm: %s of shape %v for input of shape %v, want [%d]", p.name, p.v.Value.Shape(), shape, c))
		}
	}
	planes := n * c
	mean := make([]float64, planes)   // [N·C]
	invstd := make([]float64, planes) // [N·C] 1/√(var + eps)
	var gamma, beta []float32         // [C] or nil
	if scale != nil {
		gamma = scale.Value.Data()
	}
	if bias != nil {
		beta = bias.Value.Data()
	}
	xd := x.Value.Data()
	out := tensor.New(shape...)
	od := out.Data()
	grain := max(1, nxGrainElems/max(1, s))
	kernels.ParallelFor(planes, grain, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src, dst := xd[p*s:(p+1)*s], od[p*s:(p+1)*s]
			var mu, v float64
			for _, x := range src {
				mu += float64(x)
			}
			mu /= float64(s)
			for _, x := range src {
				d := float64(x) - mu
				v += d * d
			}
			v /= float64(s)
			is := 1 / math.Sqrt(v+eps)
			mean[p], invstd[p] = mu, is
			g, b := 1.0, 0.0
			if gamma != nil {
				g = float64(gamma[p%c])
			}
			if beta != nil {
				b = float64(beta[p%c])
			}
			for i, x := range src {
				dst[i] = float32(g*(float64(x)-mu)*is + b)
			}
		}
	})
	return result("instance_norm", out, func(res *Var) {
		gd := res.Grad.Data()
		sumG := make([]float64, planes)  // [N·C] Σ g
		sumGX := make([]float64, planes) // [N·C] Σ g·x̂
		var gx []float32
		if needs(x) {
			gx = x.gradBuf().Data()
		}
		kernels.ParallelFor(planes, grain, func(lo, hi int) {
			for p := lo; p < hi; p++ {
				src, g := xd[p*s:(p+1)*s], gd[p*s:(p+1)*s]
				mu, is := mean[p], invstd[p]
				var sg, sgx float64
				for i, x := range src {
					sg += float64(g[i])
					sgx += float64(g[i]) * (float64(x) - mu) * is
				}
				sumG[p], sumGX[p] = sg, sgx
				if gx == nil {
					continue
				}
				// dx = γ·invstd·(g − mean(g) − x̂·mean(g·x̂))
				gm := 1.0
				if gamma != nil {
					gm = float64(gamma[p%c])
				}
				k := gm * is
				mg, mgx := sg/float64(s), sgx/float64(s)
				dst := gx[p*s : (p+1)*s]
				for i, x := range src {
					xh := (float64(x) - mu) * is
					dst[i] += float32(k * (float64(g[i]) - mg - xh*mgx))
				}
			}
		})
		// Channel gradients summed over the batch in a fixed order.
		for _, pv := range []struct {
			v   *Var
			sum []float64
		}{{scale, sumGX}, {bias, sumG}} {
			if !needs(pv.v) {
				continue
			}
			dst := pv.v.gradBuf().Data()
			for ch := 0; ch < c; ch++ {
				t := 0.0
				for i := 0; i < n; i++ {
					t += pv.sum[i*c+ch]
				}
				dst[ch] += float32(t)
			}
		}
	}, x, scale, bias)
}

// GlobalMaxPool2d returns the maximum of every plane of x [N, C, H, W] as
// [N, C, 1, 1] (ONNX GlobalMaxPool, torch adaptive_max_pool2d(x, 1)). As
// in MaxPool2d, NaN wins and, among equal maxima, the first in row-major
// order does; the gradient flows only to that element.
func GlobalMaxPool2d(x *Var) *Var {
	shape := x.Value.Shape()
	if len(shape) != 4 || shape[2]*shape[3] == 0 {
		panic(fmt.Sprintf("ops: GlobalMaxPool2d: input of shape %v, want non-empty [N, C, H, W]", shape))
	}
	planes, s := shape[0]*shape[1], shape[2]*shape[3]
	out := tensor.New(shape[0], shape[1], 1, 1)
	arg := make([]int, planes) // [N·C] offset of the maximum within its plane
	xd, od := x.Value.Data(), out.Data()
	kernels.ParallelFor(planes, max(1, nxGrainElems/s), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src := xd[p*s : (p+1)*s]
			best, at := src[0], 0
			for i, v := range src[1:] {
				if v > best || v != v {
					best, at = v, i+1
				}
			}
			od[p], arg[p] = best, at
		}
	})
	return result("global_max_pool2d", out, func(res *Var) {
		if needs(x) {
			g, gx := res.Grad.Data(), x.gradBuf().Data()
			for p, at := range arg {
				gx[p*s+at] += g[p]
			}
		}
	}, x)
}

// nxPermute returns x viewed as view, transposed by perm and viewed as
// outShape: a rearrangement whose gradient is the inverse rearrangement.
func nxPermute(op string, x *Var, view, perm, outShape []int) *Var {
	out := tensor.New(outShape...)
	kernels.Permute(out.Data(), x.Value.Data(), view, perm, false)
	permuted := make([]int, len(perm)) // the shape of the transposed view
	inv := make([]int, len(perm))
	for i, p := range perm {
		permuted[i] = view[p]
		inv[p] = i
	}
	return result(op, out, func(res *Var) {
		if needs(x) {
			kernels.Permute(x.gradBuf().Data(), res.Grad.Data(), permuted, inv, true)
		}
	}, x)
}

// Modes of DepthToSpace: the order in which the channels of x are split
// into (block row, block column, output channel).
const (
	DepthToSpaceDCR = "DCR" // depth-column-row: channel (i·b + j)·C' + c (ONNX default, TensorFlow)
	DepthToSpaceCRD = "CRD" // column-row-depth: channel (c·b + i)·b + j (torch.nn.PixelShuffle)
)

// DepthToSpace moves blocks of b·b channels of x [N, C, H, W] into b×b
// spatial blocks, giving [N, C/b², H·b, W·b] (ONNX DepthToSpace). Output
// pixel (h·b + i, w·b + j) of channel c comes from input channel
// (i·b + j)·C/b² + c in mode DCR, and from c·b² + i·b + j in mode CRD
// (torch.nn.functional.pixel_shuffle). C must be divisible by b².
func DepthToSpace(x *Var, blocksize int, mode string) *Var {
	shape := x.Value.Shape()
	b := blocksize
	if len(shape) != 4 || b < 1 || shape[1]%(b*b) != 0 {
		panic(fmt.Sprintf("ops: DepthToSpace: input of shape %v with blocksize %d, want [N, C, H, W] with C divisible by %d", shape, b, b*b))
	}
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	c2 := c / (b * b)
	outShape := []int{n, c2, h * b, w * b}
	switch mode {
	case DepthToSpaceDCR:
		return nxPermute("depth_to_space", x, []int{n, b, b, c2, h, w}, []int{0, 3, 4, 1, 5, 2}, outShape)
	case DepthToSpaceCRD:
		return nxPermute("depth_to_space", x, []int{n, c2, b, b, h, w}, []int{0, 1, 4, 2, 5, 3}, outShape)
	}
	panic(fmt.Sprintf("ops: DepthToSpace of shape %v: mode %q, want %q or %q", shape, mode, DepthToSpaceDCR, DepthToSpaceCRD))
}

// SpaceToDepth moves b×b spatial blocks of x [N, C, H, W] into channels,
// giving [N, C·b², H/b, W/b] (ONNX SpaceToDepth, the inverse of
// DepthToSpace in mode DCR): output channel (i·b + j)·C + c at (h, w) is
// input channel c at (h·b + i, w·b + j). H and W must be divisible by b.
// (torch.nn.functional.pixel_unshuffle orders channels as CRD instead.)
func SpaceToDepth(x *Var, blocksize int) *Var {
	shape := x.Value.Shape()
	b := blocksize
	if len(shape) != 4 || b < 1 || shape[2]%b != 0 || shape[3]%b != 0 {
		panic(fmt.Sprintf("ops: SpaceToDepth: input of shape %v with blocksize %d, want [N, C, H, W] with H and W divisible by %d", shape, b, b))
	}
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	return nxPermute("space_to_depth", x, []int{n, c, h / b, b, w / b, b}, []int{0, 3, 5, 1, 2, 4}, []int{n, c * b * b, h / b, w / b})
}
