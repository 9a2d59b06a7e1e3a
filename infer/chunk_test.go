package infer

import (
	"testing"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// convAddReLU is relu(conv(x) + x): a convolution whose epilogue takes a
// residual.
type convAddReLU struct {
	nn.Base
	conv *nn.Conv2d
}

func (m *convAddReLU) Forward(x *ops.Var) *ops.Var { return ops.ReLU(ops.Add(m.conv.Forward(x), x)) }
func (m *convAddReLU) Children() []nn.Child        { return []nn.Child{{Name: "conv", Module: m.conv}} }

// TestRowChunkedConv checks convolutions whose im2col runs by chunks of
// output rows (a large unfolded input, small weights): with a fused
// residual and ReLU, with SiLU after the product, over a batch, with
// heights that do not divide into whole chunks. The engine must match the
// plain forward pass and give the same bits at one and at three threads.
func TestRowChunkedConv(t *testing.T) {
	rng := tensor.NewRNG(3)
	cases := []struct {
		name     string
		m        nn.Module
		shape    []int
		residual bool // the residual add fuses into the chunked convolution
	}{
		{"3x3 s1 residual+relu", &convAddReLU{conv: nn.NewConv2d(rng, nn.Conv2dConfig{In: 8, Out: 8, Kernel: [2]int{3, 3},
			Stride: [2]int{1, 1}, Padding: [4]int{1, 1, 1, 1}})}, []int{2, 8, 131, 97}, true},
		{"7x7 s2 stem+silu", nn.NewSequential(nn.NewConv2d(rng, nn.Conv2dConfig{In: 3, Out: 16, Kernel: [2]int{7, 7},
			Stride: [2]int{2, 2}, Padding: [4]int{3, 3, 3, 3}}), nn.Activation("silu")), []int{1, 3, 227, 200}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := input(c.shape, 4)
			want := plain(c.m, x)
			var first *tensor.Tensor
			for _, threads := range []int{1, 3} {
				eng, err := Compile(c.m, c.shape, &Options{Threads: threads})
				if err != nil {
					t.Fatal(err)
				}
				chunked := 0
				for _, s := range eng.e.steps {
					if cs, ok := s.(*convStep); ok && cs.rowChunk > 0 {
						chunked++
						if (cs.res != nil) != c.residual {
							t.Errorf("residual fused: %v, want %v", cs.res != nil, c.residual)
						}
						if cs.geom.OH%cs.rowChunk == 0 {
							t.Errorf("%d output rows divide into chunks of %d: the last, partial chunk is not exercised", cs.geom.OH, cs.rowChunk)
						}
					}
				}
				if chunked != 1 {
					t.Fatalf("%d row-chunked convolutions, want 1", chunked)
				}
				got := eng.Run(x).Clone()
				eng.Close()
				closeTo(t, got, want)
				sameAsFirst(t, threads, got, &first)
			}
		})
	}
}

// sameAsFirst keeps the first thread count's output in *first and reports
// any later one that differs from it.
func sameAsFirst(t *testing.T, threads int, got *tensor.Tensor, first **tensor.Tensor) {
	t.Helper()
	if *first == nil {
		*first = got
	} else if d := tensor.MaxAbsDiff(got, *first); d != 0 {
		t.Errorf("threads=%d differs from threads=1 by %g", threads, d)
	}
}
