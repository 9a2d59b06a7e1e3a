package onnx

import (
	"fmt"
	"math"

	"convnet/ops"
	"convnet/tensor"
)

// Resampling: Resize (opsets 10, 11, 13, 18, 19) and Upsample (7, 9).
// Nearest sampling, any coordinate transformation and nearest_mode, is
// ops.Gather along each resized axis with the source indices ONNX's
// formulas give, which is exact. Linear sampling of the two trailing axes
// of a 4-D input with align_corners, half_pixel or pytorch_half_pixel
// coordinates is ops.Upsample2d in bilinear mode (PyTorch's
// interpolate, which is what those modes describe); every other linear
// case is the separable interpolation w₀·x[i₀] + w₁·x[i₁] along each
// resized axis, computed with ops.Gather, ops.Mul and ops.Add.

func init() {
	register("Resize", buildResize(false))
	register("Upsample", buildResize(true))
}

// resizeAttrs are a Resize or Upsample node's settings.
type resizeAttrs struct {
	mode        string // "nearest" or "linear"
	coord       string // coordinate_transformation_mode
	nearestMode string // nearest_mode, or "legacy" (opset < 11)
	attrScales  []float32
	axes        []int64
	scalesIn    int // index of the scales input, -1 if none
	sizesIn     int // index of the sizes input, -1 if none
}

// readResize reads the attributes of a Resize (or, upsample, Upsample)
// node, refusing those with no mapping.
func readResize(n *node, upsample bool) (*resizeAttrs, error) {
	a := &resizeAttrs{mode: n.str("mode", "nearest"), coord: "asymmetric", nearestMode: "legacy", scalesIn: -1, sizesIn: -1}
	switch a.mode {
	case "nearest", "linear":
	case "bilinear":
		if !upsample || n.opset >= 9 {
			return nil, n.unsupported("attribute mode", "value %q", a.mode)
		}
		a.mode = "linear"
	default:
		return nil, n.unsupported("attribute mode", "value %q (only nearest and linear)", a.mode)
	}
	switch {
	case upsample && n.opset < 9:
		a.attrScales = n.floats("scales")
		n.ignore("width_scale", "height_scale")
		if a.attrScales == nil {
			return nil, n.unsupported("attribute scales", "missing (opset-1 width_scale / height_scale form)")
		}
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
	case upsample || n.opset < 11:
		a.scalesIn = 1
		if err := n.wantIO(2, 2, 1); err != nil {
			return nil, err
		}
	default:
		a.scalesIn, a.sizesIn = 2, 3
		a.coord = n.str("coordinate_transformation_mode", "half_pixel")
		a.nearestMode = n.str("nearest_mode", "round_prefer_floor")
		n.ignore("cubic_coeff_a", "exclude_outside", "extrapolation_value")
		if n.int("antialias", 0) != 0 {
			return nil, n.unsupported("attribute antialias", "antialiased resizing")
		}
		if p := n.str("keep_aspect_ratio_policy", "stretch"); p != "stretch" {
			return nil, n.unsupported("attribute keep_aspect_ratio_policy", "value %q", p)
		}
		a.axes = n.ints("axes", nil)
		switch a.coord {
		case "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn":
		default:
			return nil, n.unsupported("attribute coordinate_transformation_mode", "value %q", a.coord)
		}
		switch a.nearestMode {
		case "round_prefer_floor", "round_prefer_ceil", "floor", "ceil":
		default:
			return nil, n.unsupported("attribute nearest_mode", "value %q", a.nearestMode)
		}
		minIn := 3
		if n.opset >= 13 {
			minIn = 1
		}
		if err := n.wantIO(minIn, 4, 1); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// resizePlan is a resize resolved for one input shape: the output shape
// and, per axis, the scale used by the coordinate transformation (0 where
// the axis keeps its size).
type resizePlan struct {
	out   []int
	scale []float64
	sizes bool // output sizes were given (scale = out/in)
}

// plan resolves the output shape for input shape s from the scales or
// sizes (either may be nil). Unknown dimensions of s give -1.
func (a *resizeAttrs) plan(s []int, scales []float32, sizes []int64) (*resizePlan, error) {
	r := len(s)
	axes := make([]int, r)
	for i := range axes {
		axes[i] = i
	}
	if a.axes != nil {
		axes = axes[:0]
		for _, x := range a.axes {
			ax, err := normAxis(x, r, 0)
			if err != nil {
				return nil, err
			}
			axes = append(axes, ax)
		}
	}
	p := &resizePlan{out: append([]int(nil), s...), scale: make([]float64, r)}
	switch {
	case len(sizes) > 0:
		if len(sizes) != len(axes) {
			return nil, fmt.Errorf("sizes %v for %d axes", sizes, len(axes))
		}
		p.sizes = true
		for k, ax := range axes {
			if sizes[k] < 1 || sizes[k] > MaxElements {
				return nil, fmt.Errorf("sizes %v out of range", sizes)
			}
			p.out[ax] = int(sizes[k])
			if s[ax] > 0 {
				p.scale[ax] = float64(sizes[k]) / float64(s[ax])
			}
		}
	case len(scales) > 0:
		if len(scales) != len(axes) {
			return nil, fmt.Errorf("scales %v for %d axes", scales, len(axes))
		}
		for k, ax := range axes {
			sc := float64(scales[k])
			if !(sc > 0) || math.IsInf(sc, 0) {
				return nil, fmt.Errorf("scales %v must be positive", scales)
			}
			p.scale[ax] = sc
			if s[ax] >= 0 {
				o := math.Floor(float64(s[ax]) * sc)
				if o < 1 || o > MaxElements {
					return nil, fmt.Errorf("scale %v gives an axis of length %v", sc, o)
				}
				p.out[ax] = int(o)
			}
		}
	default:
		return nil, fmt.Errorf("neither scales nor sizes is given")
	}
	total := 1
	for _, d := range p.out {
		if d >= 0 {
			total *= max(d, 1)
			if total > MaxElements {
				return nil, fmt.Errorf("output %v is too large", p.out)
			}
		}
	}
	return p, nil
}

// source returns ONNX's source coordinate of output index o along an
// axis resized from in to out with scale.
func (a *resizeAttrs) source(o, in, out int, scale float64) float64 {
	x := float64(o)
	switch a.coord {
	case "half_pixel":
		return (x+0.5)/scale - 0.5
	case "pytorch_half_pixel":
		if out > 1 {
			return (x+0.5)/scale - 0.5
		}
		return 0
	case "align_corners":
		if out > 1 {
			return x * float64(in-1) / float64(out-1)
		}
		return 0
	case "tf_half_pixel_for_nn":
		return (x + 0.5) / scale
	}
	return x / scale // asymmetric
}

// nearestIndex rounds a source coordinate as nearest_mode says and clamps
// it to the axis. The legacy mode (Upsample and Resize-10) is ONNX
// Runtime's: truncation when upsampling, rounding up when downsampling.
func (a *resizeAttrs) nearestIndex(x float64, in int, scale float64) int {
	var i float64
	switch a.nearestMode {
	case "round_prefer_floor":
		if x == math.Floor(x)+0.5 {
			i = math.Floor(x)
		} else {
			i = math.Round(x)
		}
	case "round_prefer_ceil":
		i = math.Round(x)
		if x == math.Floor(x)+0.5 {
			i = math.Ceil(x)
		}
	case "ceil":
		i = math.Ceil(x)
	case "legacy":
		if scale < 1 {
			i = math.Ceil(x)
		} else {
			i = math.Trunc(x)
		}
	default:
		i = math.Floor(x)
	}
	return int(min(max(i, 0), float64(in-1)))
}

// upsampleMatch returns the ops.Upsample2d options that compute a linear
// resize exactly as ONNX defines it, and whether there are any.
func (a *resizeAttrs) upsampleMatch(s []int, p *resizePlan) (ops.UpsampleOptions, bool) {
	o := ops.UpsampleOptions{Mode: "bilinear"}
	if len(s) != 4 || p.out[0] != s[0] || p.out[1] != s[1] {
		return o, false
	}
	switch a.coord {
	case "align_corners":
		o.AlignCorners = true
	case "half_pixel":
	case "pytorch_half_pixel":
		if p.out[2] == 1 || p.out[3] == 1 {
			return o, false
		}
	default:
		return o, false
	}
	if p.sizes || a.coord == "align_corners" {
		o.Size = [2]int{p.out[2], p.out[3]}
	} else {
		o.Scale = [2]float64{p.scale[2], p.scale[3]}
		if int(float64(s[2])*o.Scale[0]) != p.out[2] || int(float64(s[3])*o.Scale[1]) != p.out[3] {
			return o, false
		}
	}
	return o, true
}

// buildResize maps Resize, or Upsample (upsample), as the file comment
// describes. roi is ignored (it matters only to tf_crop_and_resize,
// which is unsupported); cubic mode and antialiasing are unsupported.
func buildResize(upsample bool) builder {
	return func(n *node) (*kernel, error) {
		a, err := readResize(n, upsample)
		if err != nil {
			return nil, err
		}
		// params returns the scales and sizes, ok false when not known yet.
		params := func(get func(i int) (*value, bool)) ([]float32, []int64, bool, error) {
			if a.attrScales != nil {
				return a.attrScales, nil, true, nil
			}
			var scales []float32
			var sizes []int64
			if v, ok := get(a.scalesIn); !ok {
				return nil, nil, false, nil
			} else if v != nil {
				scales = v.v.Value.Data()
			}
			if v, ok := get(a.sizesIn); !ok {
				return nil, nil, false, nil
			} else if v != nil {
				if v.ints == nil {
					return nil, nil, false, fmt.Errorf("sizes must be an INT64 tensor, got %v", v.dtype)
				}
				sizes = v.ints
			}
			return scales, sizes, true, nil
		}
		return &kernel{
			infer: func(in []*info) ([]*info, error) {
				scales, sizes, ok, err := params(func(i int) (*value, bool) {
					if i < 0 || i >= len(in) || in[i] == nil {
						return nil, true
					}
					return in[i].val, in[i].val != nil
				})
				if err != nil {
					return nil, err
				}
				if !in[0].ranked {
					return []*info{unranked(in[0].dtype)}, nil
				}
				if !ok {
					out := make([]int, len(in[0].shape))
					for i := range out {
						out[i] = -1
					}
					return []*info{shaped(in[0].dtype, out...)}, nil
				}
				p, err := a.plan(in[0].shape, scales, sizes)
				if err != nil {
					return nil, err
				}
				return []*info{shaped(in[0].dtype, p.out...)}, nil
			},
			run: func(in []*value) ([]*value, error) {
				scales, sizes, _, err := params(func(i int) (*value, bool) {
					if i < 0 || i >= len(in) {
						return nil, true
					}
					return in[i], true
				})
				if err != nil {
					return nil, err
				}
				s := in[0].shape()
				p, err := a.plan(s, scales, sizes)
				if err != nil {
					return nil, err
				}
				if a.mode == "linear" {
					if o, ok := a.upsampleMatch(s, p); ok {
						return []*value{varValue(ops.Upsample2d(in[0].v, o))}, nil
					}
				}
				y := in[0].v
				for ax := range s {
					if p.out[ax] == s[ax] && (p.scale[ax] == 0 || p.scale[ax] == 1) {
						continue
					}
					y = a.resizeAxis(y, ax, s[ax], p.out[ax], p.scale[ax])
				}
				return []*value{varValue(y)}, nil
			},
		}, nil
	}
}

// resizeAxis resamples axis ax of y from in to out elements: nearest
// sampling is one ops.Gather, linear sampling w₀·x[i₀] + w₁·x[i₁] with the
// neighbours clamped to the axis (ONNX's edge padding).
func (a *resizeAttrs) resizeAxis(y *ops.Var, ax, in, out int, scale float64) *ops.Var {
	if a.mode == "nearest" {
		idx := make([]int, out)
		for o := range idx {
			idx[o] = a.nearestIndex(a.source(o, in, out, scale), in, scale)
		}
		return ops.Gather(y, ax, idx, nil)
	}
	i0, i1 := make([]int, out), make([]int, out)
	w0, w1 := make([]float32, out), make([]float32, out)
	for o := range out {
		x := a.source(o, in, out, scale)
		x = min(max(x, 0), float64(in-1))
		f := math.Floor(x)
		i0[o], i1[o] = int(f), min(int(f)+1, in-1)
		w1[o] = float32(x - f)
		w0[o] = 1 - w1[o]
	}
	bs := make([]int, y.Value.NDim())
	for i := range bs {
		bs[i] = 1
	}
	bs[ax] = out
	wa := ops.Const(tensor.FromSlice(w0, bs...))
	wb := ops.Const(tensor.FromSlice(w1, bs...))
	return ops.Add(ops.Mul(ops.Gather(y, ax, i0, nil), wa), ops.Mul(ops.Gather(y, ax, i1, nil), wb))
}
