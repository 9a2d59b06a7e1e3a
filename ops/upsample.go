package ops

import (
	"fmt"
	"math"

	"convnet/internal/kernels"
	"convnet/tensor"
)

// Spatial resampling of an NCHW tensor with PyTorch's semantics
// (torch.nn.functional.interpolate with mode "nearest" or "bilinear").
// Every plane of x [N, C, H, W] is resampled independently to
// [N, C, OH, OW]. Each output pixel reads at most four input pixels with
// fixed weights, so the forward pass gathers and the backward pass scatters
// the same weights back, plane by plane in a fixed order: the result does
// not depend on the number of threads.

// UpsampleOptions configures Upsample2d. Exactly one of Size and Scale must
// be set.
type UpsampleOptions struct {
	// Mode is "nearest" (also the meaning of "") or "bilinear".
	Mode string
	// Size is the output height and width (PyTorch's size).
	Size [2]int
	// Scale is the height and width scale factor (PyTorch's scale_factor):
	// the output size is ⌊in·scale⌋, and, as PyTorch does when
	// recompute_scale_factor is not set, source coordinates are computed
	// with 1/scale rather than in/out.
	Scale [2]float64
	// AlignCorners (bilinear only) maps the centres of the corner pixels of
	// input and output onto each other: src = dst·(in−1)/(out−1). Without
	// it, src = (dst + ½)·in/out − ½, clamped at 0 (half-pixel centres).
	AlignCorners bool
}

// upsAxis holds, for one axis, the two source indices and weights of every
// output index: out[o] = w0[o]·in[i0[o]] + w1[o]·in[i1[o]]. For nearest
// sampling w1 is 0 and i1 = i0.
type upsAxis struct {
	i0, i1  []int
	w0, w1  []float32
	nearest bool // only i0 matters (weight 1)
}

// upsNearestAxis returns PyTorch's nearest source index for every output
// index (aten's nearest_idx): the identity for out = in, dst/2 for
// out = 2·in, and otherwise min(⌊dst·s⌋, in−1) computed in float32 with
// s = 1/scale when a scale factor is given and s = in/out otherwise.
func upsNearestAxis(in, out int, scale float64) upsAxis {
	a := upsAxis{i0: make([]int, out), w0: make([]float32, out), w1: make([]float32, out), nearest: true}
	s := float32(in) / float32(out)
	if scale > 0 {
		s = float32(1 / scale)
	}
	for o := range out {
		switch {
		case out == in:
			a.i0[o] = o
		case out == 2*in:
			a.i0[o] = o >> 1
		default:
			a.i0[o] = min(int(math.Floor(float64(float32(o)*s))), in-1)
		}
		a.w0[o] = 1
	}
	a.i1 = a.i0
	return a
}

// upsLinearAxis returns the linear-interpolation taps of every output index
// exactly as aten's area_pixel_compute_scale and
// area_pixel_compute_source_index compute them for float32 (in float32
// arithmetic).
func upsLinearAxis(in, out int, scale float64, alignCorners bool) upsAxis {
	a := upsAxis{i0: make([]int, out), i1: make([]int, out), w0: make([]float32, out), w1: make([]float32, out)}
	var s float32
	switch {
	case alignCorners && out > 1:
		s = float32(in-1) / float32(out-1)
	case alignCorners:
		s = 0
	case scale > 0:
		s = float32(1 / scale)
	default:
		s = float32(in) / float32(out)
	}
	for o := range out {
		var src float32
		if alignCorners {
			src = s * float32(o)
		} else {
			src = s*(float32(o)+0.5) - 0.5
			if src < 0 {
				src = 0
			}
		}
		i := int(src) // src ≥ 0: truncation is the floor
		step := 0
		if i < in-1 {
			step = 1
		}
		l1 := src - float32(i)
		a.i0[o], a.i1[o] = i, i+step
		a.w0[o], a.w1[o] = 1-l1, l1
	}
	return a
}

// upsResolve checks o against the input shape and returns the output size
// and the two axis tables.
func upsResolve(shape []int, o UpsampleOptions) (oh, ow int, ay, ax upsAxis) {
	if len(shape) != 4 || shape[2] < 1 || shape[3] < 1 {
		panic(fmt.Sprintf("ops: Upsample2d wants a non-empty input [N, C, H, W], got %v", shape))
	}
	h, w := shape[2], shape[3]
	mode := o.Mode
	if mode == "" {
		mode = "nearest"
	}
	hasSize := o.Size != [2]int{}
	hasScale := o.Scale != [2]float64{}
	bad := ""
	switch {
	case mode != "nearest" && mode != "bilinear":
		bad = "mode must be nearest or bilinear"
	case mode == "nearest" && o.AlignCorners:
		bad = "align_corners applies to bilinear only"
	case hasSize == hasScale:
		bad = "set exactly one of Size and Scale"
	case hasSize && (o.Size[0] < 1 || o.Size[1] < 1):
		bad = "Size must be positive"
	case hasScale && !(o.Scale[0] > 0 && o.Scale[1] > 0):
		bad = "Scale must be positive"
	}
	var scale [2]float64
	if bad == "" {
		if hasSize {
			oh, ow = o.Size[0], o.Size[1]
		} else {
			scale = o.Scale
			oh, ow = int(float64(h)*scale[0]), int(float64(w)*scale[1])
			if oh < 1 || ow < 1 {
				bad = "the output would be empty"
			}
		}
	}
	if bad != "" {
		panic(fmt.Sprintf("ops: Upsample2d of input %v with mode %q, size %v, scale %v, align_corners %v: %s",
			shape, o.Mode, o.Size, o.Scale, o.AlignCorners, bad))
	}
	if mode == "nearest" {
		return oh, ow, upsNearestAxis(h, oh, scale[0]), upsNearestAxis(w, ow, scale[1])
	}
	return oh, ow, upsLinearAxis(h, oh, scale[0], o.AlignCorners), upsLinearAxis(w, ow, scale[1], o.AlignCorners)
}

// upsGrain is the number of planes per parallel task, about 16k output
// pixels each.
func upsGrain(perPlane int) int { return max(1, 16384/max(perPlane, 1)) }

// Upsample2d resamples x [N, C, H, W] to [N, C, OH, OW] as
// torch.nn.functional.interpolate(x, size or scale_factor, mode,
// align_corners) does for 4-D input:
//
//   - "nearest": out[y, x] = in[sy(y), sx(x)] with PyTorch's source index
//     (⌊dst·in/out⌋ computed in float32, or ⌊dst/scale⌋ when Scale is
//     given; see UpsampleOptions);
//   - "bilinear": out[y, x] is the bilinear interpolation of the four
//     neighbours of the source point, with PyTorch's source coordinates for
//     either value of AlignCorners.
//
// Sizes smaller than the input are allowed (downsampling without
// antialiasing, as in PyTorch). It panics naming the shape and options when
// they are invalid.
func Upsample2d(x *Var, o UpsampleOptions) *Var {
	shape := x.Value.Shape()
	oh, ow, ay, ax := upsResolve(shape, o)
	n, c, h, w := shape[0], shape[1], shape[2], shape[3]
	planes, hw, ohw := n*c, h*w, oh*ow
	out := tensor.New(n, c, oh, ow) // [N, C, OH, OW]
	xd, od := x.Value.Data(), out.Data()
	kernels.ParallelFor(planes, upsGrain(ohw), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src, dst := xd[p*hw:(p+1)*hw], od[p*ohw:(p+1)*ohw]
			if ay.nearest {
				for oy := range oh {
					r := src[ay.i0[oy]*w:][:w]
					row := dst[oy*ow : (oy+1)*ow]
					for ox, j := range ax.i0 {
						row[ox] = r[j]
					}
				}
				continue
			}
			for oy := range oh {
				r0, r1 := src[ay.i0[oy]*w:][:w], src[ay.i1[oy]*w:][:w]
				wy0, wy1 := ay.w0[oy], ay.w1[oy]
				row := dst[oy*ow : (oy+1)*ow]
				for ox := range row {
					j0, j1 := ax.i0[ox], ax.i1[ox]
					wx0, wx1 := ax.w0[ox], ax.w1[ox]
					row[ox] = wy0*(wx0*r0[j0]+wx1*r0[j1]) + wy1*(wx0*r1[j0]+wx1*r1[j1])
				}
			}
		}
	})
	return resultAttrs("upsample2d", o, out, func(res *Var) {
		if !needs(x) {
			return
		}
		gy, gx := res.Grad.Data(), x.gradBuf().Data()
		kernels.ParallelFor(planes, upsGrain(ohw), func(lo, hi int) {
			for p := lo; p < hi; p++ {
				dy, dx := gy[p*ohw:(p+1)*ohw], gx[p*hw:(p+1)*hw]
				if ay.nearest {
					for oy := range oh {
						r := dx[ay.i0[oy]*w:][:w]
						for ox, g := range dy[oy*ow : (oy+1)*ow] {
							r[ax.i0[ox]] += g
						}
					}
					continue
				}
				for oy := range oh {
					r0, r1 := dx[ay.i0[oy]*w:][:w], dx[ay.i1[oy]*w:][:w]
					wy0, wy1 := ay.w0[oy], ay.w1[oy]
					for ox, g := range dy[oy*ow : (oy+1)*ow] {
						j0, j1 := ax.i0[ox], ax.i1[ox]
						wx0, wx1 := ax.w0[ox], ax.w1[ox]
						r0[j0] += wy0 * wx0 * g
						r0[j1] += wy0 * wx1 * g
						r1[j0] += wy1 * wx0 * g
						r1[j1] += wy1 * wx1 * g
					}
				}
			}
		})
	}, x)
}
