package onnx

import (
	"fmt"
	"math"

	"convnet/ops"
	"convnet/tensor"
)

// Element-wise operators: activations, Clip, Identity, Dropout, the
// unary functions Exp, Log, Sqrt, … and the broadcasting arithmetic Add,
// Sub, Mul, Div, Pow, Sum, Max and Min.

func init() {
	register("Relu", unaryOp(ops.ReLU))
	register("Sigmoid", unaryOp(ops.Sigmoid))
	register("Tanh", unaryOp(ops.Tanh))
	register("HardSwish", unaryOp(ops.HardSwish))
	register("Neg", unaryOp(ops.Neg))
	register("Abs", unaryOp(ops.Abs))
	register("Exp", unaryOp(ops.Exp))
	register("Log", unaryOp(ops.Log))
	register("Sqrt", unaryOp(ops.Sqrt))
	register("Reciprocal", unaryOp(ops.Reciprocal))
	register("Erf", unaryOp(ops.Erf))
	register("Softplus", unaryOp(ops.Softplus))
	register("Softsign", unaryOp(ops.Softsign))
	register("Elu", buildElu)
	register("Selu", buildSelu)
	register("PRelu", buildPRelu)
	register("LeakyRelu", buildLeakyRelu)
	register("HardSigmoid", buildHardSigmoid)
	register("Clip", buildClip)
	register("Identity", buildIdentity)
	register("Dropout", buildDropout)
	register("Add", arithOp(ops.Add, func(x, y int64) int64 { return x + y }))
	register("Sub", arithOp(ops.Sub, func(x, y int64) int64 { return x - y }))
	register("Mul", arithOp(ops.Mul, func(x, y int64) int64 { return x * y }))
	register("Div", arithOp(ops.Div, func(x, y int64) int64 {
		if y == 0 {
			return 0
		}
		return x / y
	}))
	register("Sum", buildSum)
	register("Pow", buildPow)
	register("Max", variadicOp(ops.Maximum, func(x, y int64) int64 { return max(x, y) }))
	register("Min", variadicOp(ops.Minimum, func(x, y int64) int64 { return min(x, y) }))
}

// unaryKernel is the kernel of an element-wise float operator f.
func unaryKernel(f func(*ops.Var) *ops.Var) *kernel {
	return &kernel{
		infer: func(in []*info) ([]*info, error) { return []*info{like(in[0], Float)}, nil },
		run:   func(in []*value) ([]*value, error) { return []*value{varValue(f(in[0].v))}, nil },
	}
}

// unaryOp maps an attribute-free activation onto the op f. The
// consumed_inputs attribute of opset 1 carries no meaning for inference.
func unaryOp(f func(*ops.Var) *ops.Var) builder {
	return func(n *node) (*kernel, error) {
		n.ignore("consumed_inputs")
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
		return unaryKernel(f), nil
	}
}

// buildElu maps Elu(alpha = 1) onto ops.Elu.
func buildElu(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	alpha := n.float("alpha", 1)
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return unaryKernel(func(x *ops.Var) *ops.Var { return ops.Elu(x, alpha) }), nil
}

// buildSelu maps Selu onto ops.Selu; alpha and gamma default to ONNX's
// (and PyTorch's) constants ops.SeluAlpha and ops.SeluGamma.
func buildSelu(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	alpha, gamma := n.float("alpha", ops.SeluAlpha), n.float("gamma", ops.SeluGamma)
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return unaryKernel(func(x *ops.Var) *ops.Var { return ops.Selu(x, alpha, gamma) }), nil
}

// buildPRelu maps PRelu onto ops.PRelu. From opset 7 the slope broadcasts
// to X unidirectionally (NumPy rules, aligned at the last dimension);
// before, a slope of one value is shared and a 1-D slope of X's channel
// count is per channel (PyTorch's nn.PReLU exported at opset 6), which is
// the slope reshaped to [C, 1, …, 1].
func buildPRelu(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	if err := n.wantIO(2, 2, 1); err != nil {
		return nil, err
	}
	// slopeShape returns the shape the slope takes against x.
	slopeShape := func(x, s []int) ([]int, error) {
		if n.opset < 7 && len(s) == 1 && len(x) >= 2 && s[0] == x[1] && s[0] != 1 {
			out := make([]int, len(x)-1)
			out[0] = s[0]
			for i := 1; i < len(out); i++ {
				out[i] = 1
			}
			return out, nil
		}
		b, err := broadcastInfo(shaped(Float, x...), shaped(Float, s...))
		if err != nil || len(b.shape) != len(x) {
			return nil, fmt.Errorf("slope %s does not broadcast to X %s", shapeString(s), shapeString(x))
		}
		for i, d := range b.shape {
			if x[i] >= 0 && d != x[i] {
				return nil, fmt.Errorf("slope %s does not broadcast to X %s", shapeString(s), shapeString(x))
			}
		}
		return s, nil
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if in[0].ranked && in[1].ranked {
				if _, err := slopeShape(in[0].shape, in[1].shape); err != nil {
					return nil, err
				}
			}
			return []*info{like(in[0], Float)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			s, err := slopeShape(in[0].shape(), in[1].shape())
			if err != nil {
				return nil, err
			}
			return []*value{varValue(ops.PRelu(in[0].v, ops.Reshape(in[1].v, s...)))}, nil
		},
	}, nil
}

// buildLeakyRelu maps LeakyRelu(alpha = 0.01) onto ops.LeakyReLU.
func buildLeakyRelu(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	alpha := n.float("alpha", 0.01)
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return unaryKernel(func(x *ops.Var) *ops.Var { return ops.LeakyReLU(x, alpha) }), nil
}

// buildHardSigmoid maps HardSigmoid, max(0, min(1, alpha·x + beta)) with
// ONNX's defaults alpha = 0.2 and beta = 0.5, computed as the ONNX
// reference does in float32: the product alpha·x rounded, plus beta
// rounded, then clipped to [0, 1] (ops.Scale, ops.Add and ops.Clip).
func buildHardSigmoid(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	alpha, beta := n.float("alpha", 0.2), n.float("beta", 0.5)
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return unaryKernel(func(x *ops.Var) *ops.Var {
		return ops.Clip(ops.Add(ops.Scale(x, alpha), ops.Const(tensor.Scalar(beta))), 0, 1)
	}), nil
}

// buildClip maps Clip onto ops.Clip: before opset 11 the bounds are the
// attributes min and max, from opset 11 on the optional inputs 2 and 3
// (absent bounds are ∓Inf).
func buildClip(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	if n.opset < 11 {
		lo, hi = n.float("min", lo), n.float("max", hi)
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
	} else if err := n.wantIO(1, 3, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			for i := 1; i < len(in); i++ {
				if in[i] != nil && allKnown(in[i]) && numelOf(in[i].shape) != 1 {
					return nil, fmt.Errorf("input %d (the bound) has shape %v, want a scalar", i, in[i].shape)
				}
			}
			return []*info{like(in[0], Float)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			l, h := lo, hi
			var err error
			if len(in) > 1 {
				if l, err = scalarInput("min", in[1], l); err != nil {
					return nil, err
				}
			}
			if len(in) > 2 {
				if h, err = scalarInput("max", in[2], h); err != nil {
					return nil, err
				}
			}
			return []*value{varValue(ops.Clip(in[0].v, l, h))}, nil
		},
	}, nil
}

// buildIdentity maps Identity: the output is the input.
func buildIdentity(n *node) (*kernel, error) {
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) { return []*info{like(in[0], in[0].dtype)}, nil },
		run:   func(in []*value) ([]*value, error) { return []*value{in[0]}, nil },
	}, nil
}

// buildDropout maps Dropout in inference mode, ops.Dropout with training
// false (the identity); the optional mask output is all true. A graph
// that asks for training mode (is_test = 0 before opset 7, or a true
// training_mode input from opset 12) is unsupported.
func buildDropout(n *node) (*kernel, error) {
	n.ignore("seed", "ratio", "consumed_inputs")
	if n.opset < 7 && n.int("is_test", 0) == 0 && n.has("is_test") {
		return nil, n.unsupported("attribute is_test", "training mode")
	}
	if err := n.wantIO(1, 3, 2); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if len(in) > 2 && in[2] != nil {
				if v, ok := constInts(in[2]); ok && len(v) == 1 && v[0] != 0 {
					return nil, n.unsupported("input training_mode", "training mode")
				}
			}
			return []*info{like(in[0], in[0].dtype), like(in[0], Bool)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			if len(in) > 2 && in[2] != nil && in[2].v.Value.Len() == 1 && in[2].v.Value.Data()[0] != 0 {
				return nil, n.unsupported("input training_mode", "training mode")
			}
			out := &value{v: ops.Dropout(in[0].v, 0.5, false, nil), ints: in[0].ints, dtype: in[0].dtype}
			ones := make([]int64, in[0].v.Value.Len())
			for i := range ones {
				ones[i] = 1
			}
			mask := intValue(ones, in[0].shape()...)
			mask.dtype = Bool
			return []*value{out, mask}, nil
		},
	}, nil
}

// arithOp maps a broadcasting binary operator onto the op f; integer
// tensors (shape arithmetic) are computed exactly with fi instead. Before
// opset 7 broadcasting had to be asked for with broadcast = 1, and axis
// placed B's dimensions inside A's.
func arithOp(f func(a, b *ops.Var) *ops.Var, fi func(x, y int64) int64) builder {
	return func(n *node) (*kernel, error) {
		n.ignore("consumed_inputs")
		legacy, axis, hasAxis := false, int64(0), false
		if n.opset < 7 {
			legacy = n.int("broadcast", 0) != 0
			hasAxis = n.has("axis")
			axis = n.int("axis", 0)
		}
		if err := n.wantIO(2, 2, 1); err != nil {
			return nil, err
		}
		// align returns b's shape as opset-6 broadcasting with axis sees it.
		align := func(a, b []int) ([]int, error) {
			if !legacy || !hasAxis {
				return b, nil
			}
			ax, err := normAxis(axis, len(a), 0)
			if err != nil || ax+len(b) > len(a) {
				return nil, fmt.Errorf("broadcast axis %d does not fit shapes %v and %v", axis, a, b)
			}
			s := make([]int, 0, len(a))
			for i := 0; i < ax; i++ {
				s = append(s, 1)
			}
			s = append(s, b...)
			for len(s) < len(a) {
				s = append(s, 1)
			}
			return s, nil
		}
		infer := func(in []*info) ([]*info, error) {
			a, b := in[0], in[1]
			if a.ranked && b.ranked {
				if n.opset < 7 && !legacy && len(a.shape) != len(b.shape) {
					return nil, fmt.Errorf("shapes %s and %s differ and broadcast is 0", shapeString(a.shape), shapeString(b.shape))
				}
				s, err := align(a.shape, b.shape)
				if err != nil {
					return nil, err
				}
				b = shaped(b.dtype, s...)
			}
			out, err := broadcastInfo(a, b)
			if err != nil {
				return nil, err
			}
			if a.dtype.isInt() && b.dtype.isInt() {
				out.dtype = a.dtype
			} else {
				out.dtype = Float
			}
			return []*info{out}, nil
		}
		run := func(in []*value) ([]*value, error) {
			a, b := in[0], in[1]
			s, err := align(a.shape(), b.shape())
			if err != nil {
				return nil, err
			}
			b = reshapeValue(b, s...)
			if a.ints != nil && b.ints != nil {
				v, err := broadcastInts(a, b, fi)
				return []*value{v}, err
			}
			return []*value{varValue(f(a.v, b.v))}, nil
		}
		return &kernel{infer: infer, run: run}, nil
	}
}

// buildSum maps Sum of one or more broadcasting inputs onto ops.Add, adding
// in input order.
func buildSum(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	if len(n.inputs) < 1 {
		return nil, n.errorf("no inputs")
	}
	if err := n.wantIO(len(n.inputs), len(n.inputs), 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			acc := like(in[0], Float)
			for _, x := range in[1:] {
				var err error
				if acc, err = broadcastInfo(acc, x); err != nil {
					return nil, err
				}
			}
			acc.dtype = Float
			return []*info{acc}, nil
		},
		run: func(in []*value) ([]*value, error) {
			acc := in[0].v
			for _, x := range in[1:] {
				acc = ops.Add(acc, x.v)
			}
			return []*value{varValue(acc)}, nil
		},
	}, nil
}

// buildPow maps Pow (broadcasting; the exponent may be an integer tensor
// from opset 12) onto ops.Pow.
func buildPow(n *node) (*kernel, error) {
	if err := n.wantIO(2, 2, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			out, err := broadcastInfo(in[0], in[1])
			if err != nil {
				return nil, err
			}
			out.dtype = Float
			return []*info{out}, nil
		},
		run: func(in []*value) ([]*value, error) {
			return []*value{varValue(ops.Pow(in[0].v, in[1].v))}, nil
		},
	}, nil
}

// variadicOp maps Max or Min of one or more broadcasting inputs onto the
// binary op f (ops.Maximum, ops.Minimum), folded in input order; integer
// inputs are combined exactly with fi.
func variadicOp(f func(a, b *ops.Var) *ops.Var, fi func(x, y int64) int64) builder {
	return func(n *node) (*kernel, error) {
		n.ignore("consumed_inputs")
		if len(n.inputs) < 1 {
			return nil, n.errorf("no inputs")
		}
		if err := n.wantIO(len(n.inputs), len(n.inputs), 1); err != nil {
			return nil, err
		}
		return &kernel{
			infer: func(in []*info) ([]*info, error) {
				acc := like(in[0], in[0].dtype)
				for _, x := range in[1:] {
					var err error
					if acc, err = broadcastInfo(acc, x); err != nil {
						return nil, err
					}
					if !x.dtype.isInt() {
						acc.dtype = Float
					}
				}
				if !acc.dtype.isInt() {
					acc.dtype = Float
				}
				return []*info{acc}, nil
			},
			run: func(in []*value) ([]*value, error) {
				acc := in[0]
				for _, x := range in[1:] {
					if acc.ints != nil && x.ints != nil {
						v, err := broadcastInts(acc, x, fi)
						if err != nil {
							return nil, err
						}
						acc = v
						continue
					}
					acc = varValue(f(acc.v, x.v))
				}
				if len(in) == 1 && acc.ints == nil {
					acc = &value{v: acc.v, dtype: Float}
				}
				return []*value{acc}, nil
			},
		}, nil
	}
}
