package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// naiveConv3x3 is the reference: y [cout, oh, ow] = w ⋆ x + bias + res,
// then act, in float64, stride 1, zero padding padT, padL.
func naiveConv3x3(cin, h, w, cout, padT, padL, oh, ow int, x, wt, bias, res []float32, act Activation) []float32 {
	y := make([]float32, cout*oh*ow)
	for o := 0; o < cout; o++ {
		for oy := 0; oy < oh; oy++ {
			for ox := 0; ox < ow; ox++ {
				var s float64
				for c := 0; c < cin; c++ {
					for i := 0; i < 3; i++ {
						for j := 0; j < 3; j++ {
							iy, ix := oy-padT+i, ox-padL+j
							if iy >= 0 && iy < h && ix >= 0 && ix < w {
								s += float64(wt[((o*cin+c)*3+i)*3+j]) * float64(x[(c*h+iy)*w+ix])
							}
						}
					}
				}
				if bias != nil {
					s += float64(bias[o])
				}
				k := (o*oh+oy)*ow + ox
				if res != nil {
					s += float64(res[k])
				}
				y[k] = float32(s)
			}
		}
	}
	ApplyAct(act, y)
	return y
}

// winogradConv runs the three passes on images of one batch, all tiles of
// the batch as the columns of the 36 GEMMs.
func winogradConv(batch, cin, h, w, cout, padT, padL, oh, ow int, x, wt []float32, ep *Epilogue) []float32 {
	g := NewWinogradGeom(h, w, padT, padL, oh, ow)
	t := g.Tiles()
	n := batch * t
	u := make([]float32, WinogradN*cout*cin)
	WinogradWeights(cout, cin, wt, u)
	v := make([]float32, WinogradN*cin*n)
	m := make([]float32, WinogradN*cout*n)
	for b := 0; b < batch; b++ {
		WinogradInput(&g, x[b*cin*h*w:], 0, cin, v, cin*n, n, b*t)
	}
	ws := NewGemmScratch(n)
	for xi := 0; xi < WinogradN; xi++ {
		p := PackA(cout, cin, u[xi*cout*cin:], cin)
		GemmPacked(p, false, n, v[xi*cin*n:], n, m[xi*cout*n:], n, nil, 0, cout, 0, n, ws)
	}
	y := make([]float32, batch*cout*oh*ow)
	for b := 0; b < batch; b++ {
		e := *ep
		if e.Residual != nil {
			e.Residual = e.Residual[b*cout*oh*ow:]
		}
		WinogradOutput(&g, m, cout*n, n, b*t, y[b*cout*oh*ow:], &e, 0, cout)
	}
	return y
}

func TestWinogradMatchesNaive(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	cases := []struct{ batch, cin, h, w, cout, pad int }{
		{1, 1, 4, 4, 1, 1},
		{1, 3, 5, 7, 2, 1},
		{2, 5, 9, 11, 7, 1},
		{1, 16, 13, 6, 17, 0},
		{3, 4, 3, 3, 5, 0},
		{1, 8, 8, 8, 8, 1},
		{2, 19, 15, 17, 13, 1},
		{1, 32, 14, 14, 33, 1},
		{1, 300, 7, 7, 20, 1}, // K over one packed panel
	}
	for _, c := range cases {
		for _, withEp := range []bool{false, true} {
			t.Run(fmt.Sprintf("%+v/ep=%v", c, withEp), func(t *testing.T) {
				oh, ow := c.h+2*c.pad-2, c.w+2*c.pad-2
				x := make([]float32, c.batch*c.cin*c.h*c.w)
				wt := make([]float32, c.cout*c.cin*9)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				for i := range wt {
					wt[i] = float32(r.NormFloat64() / math.Sqrt(float64(9*c.cin)))
				}
				ep := &Epilogue{}
				var bias, res []float32
				if withEp {
					bias = make([]float32, c.cout)
					res = make([]float32, c.batch*c.cout*oh*ow)
					for i := range bias {
						bias[i] = float32(r.NormFloat64())
					}
					for i := range res {
						res[i] = float32(r.NormFloat64())
					}
					ep = &Epilogue{Bias: bias, Residual: res, Act: Activation{Kind: ActReLU}}
				}
				got := winogradConv(c.batch, c.cin, c.h, c.w, c.cout, c.pad, c.pad, oh, ow, x, wt, ep)
				var maxErr, scale float64
				for b := 0; b < c.batch; b++ {
					var rb []float32
					if res != nil {
						rb = res[b*c.cout*oh*ow:]
					}
					want := naiveConv3x3(c.cin, c.h, c.w, c.cout, c.pad, c.pad, oh, ow, x[b*c.cin*c.h*c.w:], wt, bias, rb, ep.Act)
					for i, v := range want {
						scale = math.Max(scale, math.Abs(float64(v)))
						maxErr = math.Max(maxErr, math.Abs(float64(v)-float64(got[b*len(want)+i])))
					}
				}
				if !(maxErr <= 1e-4*math.Max(1, scale)) {
					t.Fatalf("max abs error %.3g, output scale %.3g", maxErr, scale)
				}
				t.Logf("max abs error %.3g, output scale %.3g", maxErr, scale)
			})
		}
	}
}
