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
		p := PackA(nil, cout, cin, u[xi*cout*cin:], cin)
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

// sameFloat reports whether a and b are the same float32 bits, or both NaN.
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || (a != a && b != b)
}

// TestWinogradVectorMatchesGo checks the AVX-512 transforms against the
// pure-Go loops bit for bit, on geometries whose chunks of 16 tiles span
// several rows of tiles, end inside a row, or cover images wider than one
// chunk, with channel ranges and column offsets that leave neighbouring
// data in v, m and y, which must stay untouched.
func TestWinogradVectorMatchesGo(t *testing.T) {
	if !winoVector {
		t.Skip("no AVX-512 Winograd kernels in this build or on this CPU")
	}
	defer func() { winoVector = true }()
	r := rand.New(rand.NewPCG(3, 4))
	cases := []struct{ h, w, padT, padL, oh, ow int }{
		{4, 4, 1, 1, 4, 4},
		{1, 1, 1, 1, 1, 1},
		{3, 3, 0, 0, 1, 1},
		{5, 7, 1, 1, 5, 7},
		{9, 9, 1, 1, 9, 9},
		{13, 6, 0, 0, 11, 4},
		{14, 14, 1, 1, 14, 14},
		{28, 28, 1, 1, 28, 28},
		{56, 56, 1, 1, 56, 56},
		{17, 66, 2, 1, 17, 65},
		{10, 100, 1, 2, 9, 99},
		{7, 7, 1, 1, 7, 7},
		{30, 31, 0, 0, 28, 29},
	}
	acts := []Activation{{}, {Kind: ActReLU}, {Kind: ActReLU6}}
	for _, c := range cases {
		for k, act := range acts {
			t.Run(fmt.Sprintf("%+v/act%d", c, k), func(t *testing.T) {
				g := NewWinogradGeom(c.h, c.w, c.padT, c.padL, c.oh, c.ow)
				const cin, cout, col0 = 5, 4, 3
				tiles := g.Tiles()
				n := col0 + tiles + 2
				x := make([]float32, cin*c.h*c.w)
				for i := range x {
					x[i] = float32(r.NormFloat64())
				}
				x[0], x[len(x)-1] = float32(math.Copysign(0, -1)), 0
				// Pure Go; AVX-512 with the chunks described once; AVX-512
				// describing them per call.
				unplanned := g
				unplanned.plan = nil
				geoms := []*WinogradGeom{&g, &g, &unplanned}
				var vv [3][]float32
				for i := range vv {
					winoVector = i > 0
					vv[i] = make([]float32, WinogradN*cin*n)
					for j := range vv[i] {
						vv[i][j] = -7
					}
					WinogradInput(geoms[i], x, 1, cin-1, vv[i], cin*n, n, col0)
				}
				for i := 1; i < len(vv); i++ {
					for j := range vv[0] {
						if !sameFloat(vv[0][j], vv[i][j]) {
							t.Fatalf("input transform %d: v[%d] = %g, pure Go %g", i, j, vv[i][j], vv[0][j])
						}
					}
				}
				m := make([]float32, WinogradN*cout*n)
				for i := range m {
					m[i] = float32(r.NormFloat64())
				}
				m[col0] = float32(math.Copysign(0, -1))
				ohw := c.oh * c.ow
				bias := make([]float32, cout)
				res := make([]float32, cout*ohw)
				for i := range bias {
					bias[i] = float32(r.NormFloat64())
				}
				for i := range res {
					res[i] = float32(r.NormFloat64())
				}
				for e, ep := range []*Epilogue{nil, {Act: act}, {Bias: bias, Act: act}, {Bias: bias, Residual: res, Act: act}} {
					var yy [3][]float32
					for i := range yy {
						winoVector = i > 0
						yy[i] = make([]float32, cout*ohw)
						for j := range yy[i] {
							yy[i][j] = -7
						}
						WinogradOutput(geoms[i], m, cout*n, n, col0, yy[i], ep, 1, cout)
					}
					for i := 1; i < len(yy); i++ {
						for j := range yy[0] {
							if !sameFloat(yy[0][j], yy[i][j]) {
								t.Fatalf("output transform %d, epilogue %d: y[%d] = %g, pure Go %g", i, e, j, yy[i][j], yy[0][j])
							}
						}
					}
				}
			})
		}
	}
}

// BenchmarkWinogradTransforms times the input and output transforms of one
// image of ResNet's 56×56×64 and 28×28×128 stages (pad 1, bias, residual
// and ReLU), by the pure-Go loops and, where available, the AVX-512
// kernels.
func BenchmarkWinogradTransforms(b *testing.B) {
	defer func(v bool) { winoVector = v }(winoVector)
	vector := winoVector
	for _, c := range []struct{ ch, hw int }{{64, 56}, {128, 28}} {
		g := NewWinogradGeom(c.hw, c.hw, 1, 1, c.hw, c.hw)
		n := g.Tiles()
		x := make([]float32, c.ch*c.hw*c.hw)
		v := make([]float32, WinogradN*c.ch*n)
		y := make([]float32, c.ch*c.hw*c.hw)
		res := make([]float32, len(y))
		bias := make([]float32, c.ch)
		for i := range x {
			x[i] = float32(i%7) - 3
			res[i] = float32(i%5) - 2
		}
		for i := range v {
			v[i] = float32(i%11) - 5
		}
		ep := &Epilogue{Bias: bias, Residual: res, Act: Activation{Kind: ActReLU}}
		for _, vec := range []bool{false, true} {
			if vec && !vector {
				continue
			}
			name := map[bool]string{false: "go", true: "avx512"}[vec]
			b.Run(fmt.Sprintf("input/c%d_%dx%d/%s", c.ch, c.hw, c.hw, name), func(b *testing.B) {
				winoVector = vec
				for b.Loop() {
					WinogradInput(&g, x, 0, c.ch, v, c.ch*n, n, 0)
				}
			})
			b.Run(fmt.Sprintf("output/c%d_%dx%d/%s", c.ch, c.hw, c.hw, name), func(b *testing.B) {
				winoVector = vec
				for b.Loop() {
					WinogradOutput(&g, v, c.ch*n, n, 0, y, ep, 0, c.ch)
				}
			})
		}
	}
}

// TestWinogradPlanFollowsGeometry checks that a geometry whose exported
// sizes are changed after NewWinogradGeom does not use the plan made for
// the old sizes (whose chunks would write outside the new output).
func TestWinogradPlanFollowsGeometry(t *testing.T) {
	g := NewWinogradGeom(8, 8, 1, 1, 8, 8)
	if winoVector && g.planFor() == nil {
		t.Fatal("a fresh geometry has no plan")
	}
	h := g
	h.OH, h.OW, h.TH, h.TW = 4, 4, 1, 1
	if h.planFor() != nil {
		t.Fatal("a geometry changed after NewWinogradGeom still uses the old plan")
	}
}

// TestWinogradWeights32 checks the float32 weight transform, computed in
// ranges of output channels as threads share it, against the float64 one:
// within a few float32 roundings of each transformed value's scale, every
// element written.
func TestWinogradWeights32(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 11))
	for _, sz := range [][2]int{{1, 1}, {3, 17}, {16, 33}, {40, 64}} {
		cout, cin := sz[0], sz[1]
		w := make([]float32, cout*cin*9)
		for i := range w {
			w[i] = float32(rng.NormFloat64())
		}
		want := make([]float32, WinogradN*cout*cin)
		WinogradWeights(cout, cin, w, want)
		got := make([]float32, len(want))
		for i := range got {
			got[i] = float32(math.NaN())
		}
		for o0 := 0; o0 < cout; o0 += 3 {
			WinogradWeights32(cout, cin, w, got, o0, min(o0+3, cout))
		}
		for i := range want {
			if d := math.Abs(float64(got[i] - want[i])); !(d <= 4e-7*(1+math.Abs(float64(want[i])))) {
				t.Fatalf("%dx%d: u[%d] = %v, float64 transform %v", cout, cin, i, got[i], want[i])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("WinogradWeights32 past the last output channel did not panic")
		}
	}()
	WinogradWeights32(2, 2, make([]float32, 36), make([]float32, 144), 0, 3)
}
