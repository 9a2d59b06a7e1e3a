package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convGeoms returns geometries covering strides, asymmetric paddings
// (bottom/right padding differing from top/left), dilations and kernels
// wider than the padded input allows for some taps.
func convGeoms() []ConvGeom {
	var gs []ConvGeom
	for _, hw := range [][2]int{{7, 9}, {5, 5}, {1, 6}} {
		for _, k := range [][2]int{{1, 1}, {3, 3}, {2, 5}} {
			for _, s := range [][2]int{{1, 1}, {2, 2}, {3, 1}} {
				for _, p := range [][4]int{{0, 0, 0, 0}, {1, 1, 1, 1}, {2, 1, 0, 3}} { // top, left, bottom, right
					for _, d := range [][2]int{{1, 1}, {2, 3}} {
						g := ConvGeom{C: 2, H: hw[0], W: hw[1], KH: k[0], KW: k[1], SH: s[0], SW: s[1],
							PadT: p[0], PadL: p[1], DH: d[0], DW: d[1]}
						g.OH = (g.H+p[0]+p[2]-d[0]*(k[0]-1)-1)/s[0] + 1
						g.OW = (g.W+p[1]+p[3]-d[1]*(k[1]-1)-1)/s[1] + 1
						if g.H+p[0]+p[2] < d[0]*(k[0]-1)+1 || g.W+p[1]+p[3] < d[1]*(k[1]-1)+1 {
							continue
						}
						gs = append(gs, g)
					}
				}
			}
		}
	}
	return gs
}

func geomName(g ConvGeom) string {
	return fmt.Sprintf("%dx%dx%d_k%dx%d_s%dx%d_p%d,%d_d%dx%d_o%dx%d",
		g.C, g.H, g.W, g.KH, g.KW, g.SH, g.SW, g.PadT, g.PadL, g.DH, g.DW, g.OH, g.OW)
}

func randSlice(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	return x
}

// TestIm2colDirectConv checks that W·Im2col(x) equals a direct convolution
// of x written from the definition.
func TestIm2colDirectConv(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const f = 3 // output channels
	for _, g := range convGeoms() {
		x := randSlice(rng, g.C*g.H*g.W)
		w := randSlice(rng, f*g.C*g.KH*g.KW)
		kdim, ohw := g.C*g.KH*g.KW, g.OH*g.OW
		col := randSlice(rng, kdim*ohw) // garbage: Im2col must overwrite all of it
		Im2col(&g, x, col)
		got := make([]float32, f*ohw)
		Sgemm(false, false, f, ohw, kdim, 1, w, kdim, col, ohw, 0, got, ohw)
		for o := 0; o < f; o++ {
			for oy := 0; oy < g.OH; oy++ {
				for ox := 0; ox < g.OW; ox++ {
					var want, mag float64
					for c := 0; c < g.C; c++ {
						for i := 0; i < g.KH; i++ {
							for j := 0; j < g.KW; j++ {
								y := oy*g.SH - g.PadT + i*g.DH
								xx := ox*g.SW - g.PadL + j*g.DW
								if y < 0 || y >= g.H || xx < 0 || xx >= g.W {
									continue
								}
								p := float64(w[((o*g.C+c)*g.KH+i)*g.KW+j]) * float64(x[(c*g.H+y)*g.W+xx])
								want += p
								mag += math.Abs(p)
							}
						}
					}
					v := float64(got[o*ohw+oy*g.OW+ox])
					if math.Abs(v-want) > 1e-6*float64(kdim)*mag+1e-6 {
						t.Fatalf("%s: out[%d,%d,%d] = %g, direct %g", geomName(g), o, oy, ox, v, want)
					}
				}
			}
		}
	}
}

// TestCol2imAdjoint checks <Im2col(x), y> == <x, Col2im(y)> and that
// Col2im accumulates into img.
func TestCol2imAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, g := range convGeoms() {
		n, m := g.C*g.H*g.W, g.C*g.KH*g.KW*g.OH*g.OW
		x, y := randSlice(rng, n), randSlice(rng, m)
		col := make([]float32, m)
		Im2col(&g, x, col)
		base := randSlice(rng, n)
		img := append([]float32(nil), base...)
		Col2im(&g, y, img)
		var lhs, rhs, mag float64
		for i := range col {
			lhs += float64(col[i]) * float64(y[i])
			mag += math.Abs(float64(col[i]) * float64(y[i]))
		}
		for i := range x {
			rhs += float64(x[i]) * (float64(img[i]) - float64(base[i]))
		}
		if math.Abs(lhs-rhs) > 1e-5*mag+1e-6 {
			t.Errorf("%s: <Im2col(x), y> = %g, <x, Col2im(y)> = %g", geomName(g), lhs, rhs)
		}
	}
}

// TestCol2imMatchesDefinition compares Col2im with a scatter written from
// the definition, entry by entry.
func TestCol2imMatchesDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, g := range convGeoms() {
		ohw := g.OH * g.OW
		y := randSlice(rng, g.C*g.KH*g.KW*ohw)
		got := make([]float32, g.C*g.H*g.W)
		want := make([]float32, len(got))
		Col2im(&g, y, got)
		for c := 0; c < g.C; c++ {
			for i := 0; i < g.KH; i++ {
				for j := 0; j < g.KW; j++ {
					for oy := 0; oy < g.OH; oy++ {
						for ox := 0; ox < g.OW; ox++ {
							yy := oy*g.SH - g.PadT + i*g.DH
							xx := ox*g.SW - g.PadL + j*g.DW
							if yy >= 0 && yy < g.H && xx >= 0 && xx < g.W {
								want[(c*g.H+yy)*g.W+xx] += y[((c*g.KH+i)*g.KW+j)*ohw+oy*g.OW+ox]
							}
						}
					}
				}
			}
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%s: img[%d] = %g, want %g", geomName(g), i, got[i], want[i])
			}
		}
	}
}

// BenchmarkIm2col times Im2col and Col2im on LeNet-5's, a CIFAR ResNet's
// and a ResNet layer's geometry.
func BenchmarkIm2col(b *testing.B) {
	for _, g := range []ConvGeom{
		{C: 1, H: 28, W: 28, KH: 5, KW: 5, SH: 1, SW: 1, PadT: 2, PadL: 2, DH: 1, DW: 1, OH: 28, OW: 28},
		{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, DH: 1, DW: 1, OH: 10, OW: 10},
		{C: 16, H: 32, W: 32, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 32, OW: 32},
		{C: 64, H: 56, W: 56, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 56, OW: 56},
		{C: 64, H: 56, W: 56, KH: 3, KW: 3, SH: 2, SW: 2, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 28, OW: 28},
	} {
		img := make([]float32, g.C*g.H*g.W)
		col := make([]float32, g.C*g.KH*g.KW*g.OH*g.OW)
		name := fmt.Sprintf("%dx%dx%d_k%d_s%d", g.C, g.H, g.W, g.KH, g.SH)
		b.Run("Im2col/"+name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(col)))
			for b.Loop() {
				Im2col(&g, img, col)
			}
		})
		b.Run("Col2im/"+name, func(b *testing.B) {
			b.SetBytes(int64(4 * len(col)))
			for b.Loop() {
				Col2im(&g, col, img)
			}
		})
	}
}

// TestAddRow checks addRow against its reference loop bit for bit, for
// lengths around the vector width and with NaN and infinities.
func TestAddRow(t *testing.T) {
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1)), 0}
	for n := 0; n <= 40; n++ {
		dst := make([]float32, n)
		src := make([]float32, n+3)
		for i := range dst {
			dst[i] = float32(i%7) - 3.3
			if i%9 == 4 {
				dst[i] = special[i%len(special)]
			}
		}
		for i := range src {
			src[i] = float32(i%5)*1.7 - 2
			if i%11 == 6 {
				src[i] = special[(i+2)%len(special)]
			}
		}
		want := append([]float32(nil), dst...)
		addRowGo(want, src)
		addRow(dst, src)
		for i := range dst {
			if math.Float32bits(dst[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n=%d: element %d = %v, want %v", n, i, dst[i], want[i])
			}
		}
	}
}

// TestIm2colTapKernelsMatchGo checks the AVX-512 tap kernels of Im2col and
// Col2im against the Go loops bit for bit: convGeoms plus rows wider than
// one 16-lane vector (up to 112 columns), column strides 1 and 2, with
// padding on either side.
func TestIm2colTapKernelsMatchGo(t *testing.T) {
	if !im2colAsm {
		t.Skip("no AVX-512 tap kernels on this CPU or build")
	}
	gs := convGeoms()
	// LeNet-5's conv2 (the input gradient of 6 channels of 14×14 through
	// 5×5 taps) and 16-column rows with padding: col2imSmall's range.
	gs = append(gs, ConvGeom{C: 6, H: 14, W: 14, KH: 5, KW: 5, SH: 1, SW: 1, DH: 1, DW: 1, OH: 10, OW: 10},
		ConvGeom{C: 2, H: 16, W: 16, KH: 3, KW: 3, SH: 1, SW: 1, PadT: 1, PadL: 1, DH: 1, DW: 1, OH: 16, OW: 16},
		ConvGeom{C: 2, H: 9, W: 15, KH: 7, KW: 7, SH: 2, SW: 1, PadT: 3, PadL: 3, DH: 1, DW: 1, OH: 5, OW: 15})
	for _, w := range []int{16, 17, 32, 33, 56, 57, 112} {
		for _, p := range [][2]int{{0, 0}, {1, 1}, {3, 2}} {
			for _, sw := range []int{1, 2} {
				g := ConvGeom{C: 3, H: 5, W: w, KH: 3, KW: 3, SH: 1, SW: sw, PadT: p[0], PadL: p[1], DH: 1, DW: 2}
				g.OH = (g.H+2*p[0]-2)/g.SH + 1
				g.OW = (g.W+2*p[1]-4)/g.SW + 1
				gs = append(gs, g)
			}
		}
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for _, g := range gs {
		img := randSlice(rng, g.C*g.H*g.W)
		n := g.C * g.KH * g.KW * g.OH * g.OW
		// 64 sentinels past the end catch stores beyond the last row.
		buf, want := randSlice(rng, n+64), make([]float32, n)
		got, tail := buf[:n], append([]float32(nil), buf[n:]...)
		copy(want, got) // garbage that must be overwritten
		Im2col(&g, img, got)
		if i := sameBits(buf[n:], tail); i >= 0 {
			t.Fatalf("Im2col %s wrote past the end of col at %d", geomName(g), n+i)
		}
		im2colAsm = false
		Im2col(&g, img, want)
		im2colAsm = true
		if i := sameBits(got, want); i >= 0 {
			t.Fatalf("Im2col %s: col[%d] = %v, want %v", geomName(g), i, got[i], want[i])
		}
		col := randSlice(rng, n)
		gi, wi := randSlice(rng, len(img)), make([]float32, len(img))
		for i := 0; i < len(gi); i += 7 {
			gi[i] = float32(math.Copysign(0, -1)) // −0 must stay −0 where no tap adds
		}
		copy(wi, gi)
		Col2im(&g, col, gi)
		im2colAsm = false
		Col2im(&g, col, wi)
		im2colAsm = true
		if i := sameBits(gi, wi); i >= 0 {
			t.Fatalf("Col2im %s: img[%d] = %v, want %v", geomName(g), i, gi[i], wi[i])
		}
	}
}

// TestIm2colEmptyInput checks that an empty input plane (H = 0) with
// padding giving a non-empty output unfolds to zeros, as the Go loop does,
// instead of tripping the tap kernels' bounds check.
func TestIm2colEmptyInput(t *testing.T) {
	g := ConvGeom{C: 1, H: 0, W: 3, KH: 1, KW: 1, SH: 1, SW: 1, PadT: 1, PadL: 0, DH: 1, DW: 1, OH: 2, OW: 3}
	col := []float32{1, 2, 3, 4, 5, 6}
	Im2col(&g, nil, col)
	for i, v := range col {
		if v != 0 {
			t.Fatalf("col[%d] = %v, want 0", i, v)
		}
	}
	Col2im(&g, col, nil) // nothing to add into: must not panic
}

// TestIm2colRows checks that unfolding output rows [oy0, oy1) gives exactly
// those rows' columns of the full Im2col, for every range of every
// geometry (strides 1 and 2 take the assembly tap kernels where present),
// plus a stem-like 7×7 stride-2 layer.
func TestIm2colRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	gs := append(convGeoms(), ConvGeom{C: 3, H: 37, W: 41, KH: 7, KW: 7, SH: 2, SW: 2, PadT: 3, PadL: 3, DH: 1, DW: 1, OH: 19, OW: 21})
	for _, g := range gs {
		x := randSlice(rng, g.C*g.H*g.W)
		kdim, ohw := g.C*g.KH*g.KW, g.OH*g.OW
		full := make([]float32, kdim*ohw)
		Im2col(&g, x, full)
		for oy0 := 0; oy0 <= g.OH; oy0++ {
			for oy1 := oy0; oy1 <= g.OH; oy1++ {
				n := (oy1 - oy0) * g.OW
				part := randSlice(rng, kdim*n) // garbage: must be overwritten
				Im2colRows(&g, x, part, oy0, oy1)
				for r := 0; r < kdim; r++ {
					for j := 0; j < n; j++ {
						if got, want := part[r*n+j], full[r*ohw+oy0*g.OW+j]; math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("%s rows [%d, %d): col[%d][%d] = %v, want %v", geomName(g), oy0, oy1, r, j, got, want)
						}
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Im2colRows past the last output row did not panic")
		}
	}()
	g := gs[0]
	Im2colRows(&g, make([]float32, g.C*g.H*g.W), make([]float32, g.C*g.KH*g.KW*g.OW), g.OH, g.OH+1)
}

// TestIm2colLd checks unfolding into rows ld floats apart: three images
// side by side (image i at col[i·OH·OW:], ld = 3·OH·OW, as a batch's weight
// gradient lays them out) and a single one with a ragged stride each give
// Im2col's rows bit for bit and leave the rest of every row as it was, on
// the tap kernels and on the Go loops.
func TestIm2colLd(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	gs := append(convGeoms(), ConvGeom{C: 3, H: 37, W: 41, KH: 7, KW: 7, SH: 2, SW: 2, PadT: 3, PadL: 3, DH: 1, DW: 1, OH: 19, OW: 21})
	defer func(a bool) { im2colAsm = a }(im2colAsm)
	for _, asm := range []bool{im2colAsm, false} {
		im2colAsm = asm
		for _, g := range gs {
			kdim, ohw := g.C*g.KH*g.KW, g.OH*g.OW
			imgs := [3][]float32{}
			full := [3][]float32{}
			for i := range imgs {
				imgs[i] = randSlice(rng, g.C*g.H*g.W)
				full[i] = make([]float32, kdim*ohw)
				Im2col(&g, imgs[i], full[i])
			}
			for _, c := range []struct{ images, ld int }{{3, 3 * ohw}, {1, ohw + 5}} {
				col := randSlice(rng, (kdim-1)*c.ld+c.images*ohw)
				before := append([]float32(nil), col...)
				for i := 0; i < c.images; i++ {
					Im2colLd(&g, imgs[i], col[i*ohw:], c.ld)
				}
				for r := 0; r < kdim; r++ {
					for j := 0; j < c.ld && r*c.ld+j < len(col); j++ {
						want := before[r*c.ld+j]
						if i := j / ohw; i < c.images {
							want = full[i][r*ohw+j%ohw]
						}
						if got := col[r*c.ld+j]; math.Float32bits(got) != math.Float32bits(want) {
							t.Fatalf("asm %v %s, %d images, ld %d: row %d element %d = %v, want %v", asm, geomName(g), c.images, c.ld, r, j, got, want)
						}
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Im2colLd with a row stride below OH·OW did not panic")
		}
	}()
	g := gs[0]
	Im2colLd(&g, make([]float32, g.C*g.H*g.W), make([]float32, g.C*g.KH*g.KW*g.OH*g.OW), g.OH*g.OW-1)
}
