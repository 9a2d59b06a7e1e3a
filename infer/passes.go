package infer

import (
	"fmt"
	"math"

	"convnet/internal/kernels"
	"convnet/ops"
	"convnet/tensor"
)

// affineAttrs are the attributes of an "affine" node: y = x·Scale[c] +
// Shift[c] per channel c of x [B, C, ...] (an evaluation-mode BatchNorm that
// could not be folded).
type affineAttrs struct {
	Scale, Shift []float32 // [C]
}

// uses returns, for every value, how many live nodes read it (as an input
// or a residual), counting the graph output as one more reader.
func (g *Graph) uses() []int {
	u := make([]int, len(g.Values))
	for _, n := range g.Nodes {
		if n.dead {
			continue
		}
		for _, in := range n.In {
			if in >= 0 {
				u[in]++
			}
		}
		if n.Residual >= 0 {
			u[n.Residual]++
		}
	}
	u[g.Output]++
	return u
}

// producers returns, for every value, the index of the live node computing
// it, or -1 for the input and constants.
func (g *Graph) producers() []int {
	p := make([]int, len(g.Values))
	for i := range p {
		p[i] = -1
	}
	for i, n := range g.Nodes {
		if !n.dead {
			p[n.Out] = i
		}
	}
	return p
}

// replaceUses makes every reader of value from read value to instead.
func (g *Graph) replaceUses(from, to int) {
	for _, n := range g.Nodes {
		for i, in := range n.In {
			if in == from {
				n.In[i] = to
			}
		}
		if n.Residual == from {
			n.Residual = to
		}
	}
	if g.Output == from {
		g.Output = to
	}
}

// addConst appends a constant value and returns its id.
func (g *Graph) addConst(t *tensor.Tensor) int {
	g.Values = append(g.Values, &Value{Shape: t.Shape(), Const: t})
	return len(g.Values) - 1
}

// dropIdentities removes the nodes that compute nothing (identity: an op
// that returned its input's storage, such as evaluation-mode dropout),
// redirecting their readers to their input. It fails if the model's output
// would become its input.
func dropIdentities(g *Graph) error {
	for _, n := range g.Nodes {
		if n.dead || n.Op != "identity" {
			continue
		}
		if n.Out == g.Output && n.In[0] == g.Input {
			return fmt.Errorf("infer: the model returns its input unchanged")
		}
		n.dead = true
		g.replaceUses(n.Out, n.In[0])
	}
	return nil
}

// bnFactors returns the per-channel factor and shift of an evaluation-mode
// BatchNorm, y = x·a + b, rounded to float32 as ops.BatchNorm rounds them.
func bnFactors(g *Graph, n *Node) (a, b []float32, err error) {
	at, ok := n.Attrs.(ops.BatchNormAttrs)
	if !ok {
		return nil, nil, fmt.Errorf("infer: BatchNorm with attributes %T", n.Attrs)
	}
	if at.Training || at.RunningMean == nil {
		return nil, nil, fmt.Errorf("infer: BatchNorm uses batch statistics (training mode): an inference graph needs running statistics")
	}
	c := g.Values[n.In[0]].Shape[1]
	var gamma, beta []float32
	if len(n.In) > 1 && n.In[1] >= 0 {
		if gamma, err = constData(g, n.In[1], "BatchNorm weight"); err != nil {
			return nil, nil, err
		}
	}
	if len(n.In) > 2 && n.In[2] >= 0 {
		if beta, err = constData(g, n.In[2], "BatchNorm bias"); err != nil {
			return nil, nil, err
		}
	}
	mean, vr := at.RunningMean.Data(), at.RunningVar.Data()
	a, b = make([]float32, c), make([]float32, c)
	for ch := 0; ch < c; ch++ {
		alpha := 1 / math.Sqrt(float64(vr[ch])+at.Eps)
		if gamma != nil {
			alpha *= float64(gamma[ch])
		}
		shift := -float64(mean[ch]) * alpha
		if beta != nil {
			shift += float64(beta[ch])
		}
		a[ch], b[ch] = float32(alpha), float32(shift)
	}
	return a, b, nil
}

// constData returns the data of constant value id, or an error naming what
// when the value is computed from the input.
func constData(g *Graph, id int, what string) ([]float32, error) {
	if c := g.Values[id].Const; c != nil {
		return c.Data(), nil
	}
	return nil, fmt.Errorf("infer: the %s depends on the input; only constant weights are supported", what)
}

// foldBatchNorm folds every evaluation-mode BatchNorm whose input is the
// output of a convolution read by nothing else into that convolution,
// scaling output channel c of the weight [Cout, Cin/groups, KH, KW] by a[c]
// and replacing its bias [Cout] by bias·a + b. With fold false, or when
// folding is not possible, the BatchNorm becomes an affine node.
func foldBatchNorm(g *Graph, fold bool) error {
	uses, prod := g.uses(), g.producers()
	for _, n := range g.Nodes {
		if n.dead || n.Op != "BatchNorm" {
			continue
		}
		a, b, err := bnFactors(g, n)
		if err != nil {
			return err
		}
		x := n.In[0]
		if pi := prod[x]; fold && pi >= 0 && uses[x] == 1 {
			p := g.Nodes[pi]
			if p.Op == "conv2d" && p.Residual < 0 && p.Act.Kind == kernels.ActNone && g.Values[p.In[1]].Const != nil {
				w := g.Values[p.In[1]].Const
				cout := w.Shape()[0]
				per := w.Len() / cout
				nw := tensor.New(w.Shape()...)
				nb := tensor.New(cout)
				var bias []float32
				if len(p.In) > 2 && p.In[2] >= 0 {
					if bias, err = constData(g, p.In[2], "convolution bias"); err != nil {
						return err
					}
				}
				wd, nwd, nbd := w.Data(), nw.Data(), nb.Data()
				for c := 0; c < cout; c++ {
					for k := c * per; k < (c+1)*per; k++ {
						nwd[k] = float32(float64(wd[k]) * float64(a[c]))
					}
					bv := 0.0
					if bias != nil {
						bv = float64(bias[c])
					}
					nbd[c] = float32(bv*float64(a[c]) + float64(b[c]))
				}
				p.In = []int{p.In[0], g.addConst(nw), g.addConst(nb)}
				p.Out = n.Out
				prod[n.Out] = pi
				n.dead = true
				continue
			}
		}
		n.Op, n.Attrs, n.In = "affine", affineAttrs{Scale: a, Shift: b}, []int{x}
	}
	return nil
}

// activationOf returns the epilogue activation of an activation node, and
// false for any other node.
func activationOf(n *Node) (kernels.Activation, bool) {
	switch n.Op {
	case "relu":
		return kernels.Activation{Kind: kernels.ActReLU}, true
	case "relu6":
		return kernels.Activation{Kind: kernels.ActReLU6}, true
	case "silu":
		return kernels.Activation{Kind: kernels.ActSiLU}, true
	case "sigmoid":
		return kernels.Activation{Kind: kernels.ActSigmoid}, true
	case "clip":
		lh, ok := n.Attrs.([2]float32)
		if !ok {
			return kernels.Activation{}, false
		}
		if lh == [2]float32{0, 6} {
			return kernels.Activation{Kind: kernels.ActReLU6}, true
		}
		return kernels.Activation{Kind: kernels.ActClip, Lo: lh[0], Hi: lh[1]}, true
	}
	return kernels.Activation{}, false
}

// fuseEpilogues moves residual adds and activations into the node that
// produces their operand, when nothing else reads that operand:
//
//	conv → add(·, r)            conv with residual r, if r is computed before the conv
//	conv | linear | affine | add | act-free node → act    that node with act
//
// Standalone activations become "act" nodes.
func fuseEpilogues(g *Graph, fuse bool) {
	for _, n := range g.Nodes {
		if n.dead {
			continue
		}
		if act, ok := activationOf(n); ok {
			n.Op, n.Act, n.Attrs = "act", act, nil
		}
		if !fuse {
			continue
		}
		uses, prod := g.uses(), g.producers()
		switch n.Op {
		case "add":
			out := g.Values[n.Out].Shape
			for k := 0; k < 2; k++ {
				u, r := n.In[k], n.In[1-k]
				pi := prod[u]
				if pi < 0 || uses[u] != 1 || u == r || !shapeEq(g.Values[u].Shape, out) || !shapeEq(g.Values[r].Shape, out) {
					continue
				}
				p := g.Nodes[pi]
				if p.Op != "conv2d" || p.Residual >= 0 || p.Act.Kind != kernels.ActNone || prod[r] >= pi {
					continue
				}
				p.Residual, p.Out = r, n.Out
				n.dead = true
				break
			}
		case "act":
			u := n.In[0]
			pi := prod[u]
			if pi < 0 || uses[u] != 1 {
				continue
			}
			p := g.Nodes[pi]
			switch p.Op {
			case "conv2d", "linear", "affine", "add", "mul":
			default:
				continue
			}
			if p.Act.Kind != kernels.ActNone {
				continue
			}
			p.Act, p.Out = n.Act, n.Out
			n.dead = true
		}
	}
}

// shapeEq reports whether two shapes are equal.
func shapeEq(a, b []int) bool { return tensor.ShapeEqual(a, b) }

// pixelConvsToLinear turns every ungrouped 1×1 convolution of a 1×1 input
// without padding (the fully connected layers of a squeeze-and-excitation
// block written as convolutions, as EfficientNet and torchvision's
// SqueezeExcitation do) into a "linear" node: on x [B, F, 1, 1] and weight
// [O, F, 1, 1] it computes y [B, O, 1, 1], the same numbers in the same
// memory as y [B, O] = x [B, F] · W [O, F]ᵀ + bias, so it runs on the
// linear layer's path for a few columns rather than the convolution's.
// It runs before epilogue fusion (a linear node takes an activation but no
// residual).
func pixelConvsToLinear(g *Graph) {
	for _, n := range g.Nodes {
		if n.dead || n.Op != "conv2d" || n.Residual >= 0 {
			continue
		}
		o, ok := n.Attrs.(ops.Conv2dOptions)
		w := g.Values[n.In[1]].Const
		xs := g.Values[n.In[0]].Shape
		if !ok || w == nil || max(o.Groups, 1) != 1 || o.Padding != [4]int{} || len(xs) != 4 || xs[2] != 1 || xs[3] != 1 {
			continue
		}
		ws := w.Shape()
		if len(ws) != 4 || ws[2] != 1 || ws[3] != 1 {
			continue
		}
		in := append([]int{n.In[0], g.addConst(w.Reshape(ws[0], ws[1]))}, n.In[2:]...)
		n.Op, n.Attrs, n.In = "linear", nil, in
	}
}
