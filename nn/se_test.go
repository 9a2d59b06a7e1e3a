package nn

import (
	"fmt"
	"math"
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

// seReference computes the SE block by hand in float64: per image and
// channel the mean, then the two FC layers, ReLU and the sigmoid gate.
func seReference(x *tensor.Tensor, w1, b1, w2, b2 []float32, s int) []float64 {
	n, c, hw := x.Dim(0), x.Dim(1), x.Dim(2)*x.Dim(3)
	xd := x.Data()
	out := make([]float64, len(xd))
	for i := 0; i < n; i++ {
		mean := make([]float64, c)
		for ch := 0; ch < c; ch++ {
			for _, v := range xd[(i*c+ch)*hw : (i*c+ch+1)*hw] {
				mean[ch] += float64(v)
			}
			mean[ch] /= float64(hw)
		}
		z := make([]float64, s)
		for j := 0; j < s; j++ {
			z[j] = float64(b1[j])
			for ch := 0; ch < c; ch++ {
				z[j] += float64(w1[j*c+ch]) * mean[ch]
			}
			z[j] = math.Max(0, z[j])
		}
		for ch := 0; ch < c; ch++ {
			a := float64(b2[ch])
			for j := 0; j < s; j++ {
				a += float64(w2[ch*s+j]) * z[j]
			}
			gate := 1 / (1 + math.Exp(-a))
			for k := 0; k < hw; k++ {
				out[(i*c+ch)*hw+k] = gate * float64(xd[(i*c+ch)*hw+k])
			}
		}
	}
	return out
}

func TestSEMatchesDefinitionBothForms(t *testing.T) {
	g := tensor.NewRNG(1)
	conv := NewSE(g, SEConfig{Channels: 8, Reduction: 4})
	lin := NewSE(g, SEConfig{Channels: 8, Reduction: 4, Linear: true})
	if conv.Config.Squeeze != 2 || lin.Config.Squeeze != 2 {
		t.Fatalf("squeeze %d, %d; want 8/4 = 2", conv.Config.Squeeze, lin.Config.Squeeze)
	}
	var names []string
	for _, p := range Parameters(lin) {
		names = append(names, fmt.Sprint(p.Name, ":", p.V.Value.Shape()))
	}
	if got := names; len(got) != 4 || got[0] != "fc1.weight:[2 8]" || got[2] != "fc2.weight:[8 2]" {
		t.Fatalf("Linear SE parameters %v", got)
	}
	if s := Parameters(conv)[0].V.Value.Shape(); !tensor.ShapeEqual(s, []int{2, 8, 1, 1}) {
		t.Fatalf("conv SE fc1.weight %v", s)
	}
	// Same weights in both forms: identical outputs, equal to the definition.
	for i, p := range Parameters(lin) {
		p.V.Value.CopyFrom(Parameters(conv)[i].V.Value.Reshape(p.V.Value.Shape()...))
	}
	x := tensor.Randn(g, 0, 1, 3, 8, 4, 5)
	yc := conv.Forward(ops.Const(x)).Value
	yl := lin.Forward(ops.Const(x)).Value
	if d := tensor.MaxAbsDiff(yc, yl); d > 1e-6 {
		t.Fatalf("conv and Linear forms differ by %g", d)
	}
	ps := Parameters(lin)
	want := seReference(x, ps[0].V.Value.Data(), ps[1].V.Value.Data(), ps[2].V.Value.Data(), ps[3].V.Value.Data(), 2)
	for i, v := range yl.Data() {
		if math.Abs(float64(v)-want[i]) > 1e-5 {
			t.Fatalf("element %d: %v, want %v", i, v, want[i])
		}
	}
}

func TestSEGradients(t *testing.T) {
	for _, linear := range []bool{false, true} {
		g := tensor.NewRNG(2)
		se := NewSE(g, SEConfig{Channels: 4, Squeeze: 3, Linear: linear, Activation: "silu"})
		x := ops.Param(tensor.Randn(g, 0, 1, 2, 4, 3, 3))
		ps := Parameters(se)
		in := []*ops.Var{x}
		for _, p := range ps {
			in = append(in, p.V)
		}
		err := ops.CheckGrad(func(v []*ops.Var) *ops.Var {
			return ops.Sum(se.Forward(v[0]))
		}, in, 1e-2, 1e-2)
		if err != nil {
			t.Fatalf("linear=%v: %v", linear, err)
		}
	}
}
