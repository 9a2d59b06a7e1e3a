package kernels

import "fmt"

// Winograd F(4×4, 3×3) convolution (Lavin & Gray, "Fast Algorithms for
// Convolutional Neural Networks", arXiv:1509.09308), for 3×3 kernels with
// stride 1 and dilation 1, in three passes that an engine runs over its own
// goroutines:
//
//  1. WinogradInput: every 6×6 input tile d (tiles step 4 pixels, reading
//     zeros in the padding) becomes V = Bᵀ d B, scattered into 36 matrices
//     V[ξ] [C, N] (N tiles as columns).
//  2. 36 independent GEMMs  M[ξ] [Cout, N] = U[ξ] [Cout, C] · V[ξ] [C, N],
//     U = G g Gᵀ being the weights transformed once by WinogradWeights.
//  3. WinogradOutput: every tile's 6×6 m gathered from the M[ξ] becomes the
//     4×4 output block Aᵀ m A, finished by an Epilogue.
//
// Interpolation points 0, ±1, ±2, ∞. The transforms multiply by small
// integers only (G's fractions are applied in float64 to the weights), so
// the error over a direct convolution comes from the GEMM's sums of
// transformed values, whose magnitude is up to ~100× the input's: expect a
// relative error of order 1e-5…1e-4 of the output's scale in float32.

// Winograd tile sizes: WinogradAlpha = WinogradTile + 3 − 1.
const (
	WinogradTile  = 4
	WinogradAlpha = 6
	WinogradN     = WinogradAlpha * WinogradAlpha // 36 GEMMs
)

// WinogradGeom is the geometry of one Winograd convolution of an image.
type WinogradGeom struct {
	H, W       int // input height and width
	PadT, PadL int // zero padding before the first row / column
	OH, OW     int // output height and width (OH ≤ H + PadT + PadB − 2)
	TH, TW     int // tiles down and across: ⌈OH/4⌉, ⌈OW/4⌉
}

// NewWinogradGeom returns the geometry of a 3×3 stride-1 convolution of an
// h×w input with padding padT, padL giving an oh×ow output.
func NewWinogradGeom(h, w, padT, padL, oh, ow int) WinogradGeom {
	return WinogradGeom{H: h, W: w, PadT: padT, PadL: padL, OH: oh, OW: ow,
		TH: (oh + WinogradTile - 1) / WinogradTile, TW: (ow + WinogradTile - 1) / WinogradTile}
}

// Tiles returns the number of tiles of one image: TH·TW.
func (g *WinogradGeom) Tiles() int { return g.TH * g.TW }

// WinogradWeights transforms w [cout, cin, 3, 3] into u [36, cout, cin]:
// u[ξ][o][c] = (G w[o][c] Gᵀ)[ξ], computed in float64 and rounded once. u
// must hold 36·cout·cin values.
func WinogradWeights(cout, cin int, w, u []float32) {
	if len(w) < cout*cin*9 || len(u) < WinogradN*cout*cin {
		panic(fmt.Sprintf("kernels: WinogradWeights %d×%d: w %d, u %d elements are too few", cout, cin, len(w), len(u)))
	}
	g3 := func(a, b, c float64) [6]float64 {
		return [6]float64{a / 4, -(a + b + c) / 6, -(a - b + c) / 6, a/24 + b/12 + c/6, a/24 - b/12 + c/6, c}
	}
	plane := cout * cin
	for o := 0; o < cout; o++ {
		for c := 0; c < cin; c++ {
			k := w[(o*cin+c)*9:][:9]
			var t [3][6]float64 // G g, column by column: t[j] = G·(column j of g)
			for j := 0; j < 3; j++ {
				t[j] = g3(float64(k[j]), float64(k[3+j]), float64(k[6+j]))
			}
			for i := 0; i < 6; i++ {
				r := g3(t[0][i], t[1][i], t[2][i]) // row i of (G g) Gᵀ
				for j := 0; j < 6; j++ {
					u[(i*6+j)*plane+o*cin+c] = float32(r[j])
				}
			}
		}
	}
}

// bt6 computes Bᵀ z for a 6-vector z.
func bt6(z0, z1, z2, z3, z4, z5 float32) (r0, r1, r2, r3, r4, r5 float32) {
	r0 = 4*z0 - 5*z2 + z4
	r1 = -4*(z1+z2) + z3 + z4
	r2 = 4*(z1-z2) - z3 + z4
	r3 = 2*(z3-z1) - z2 + z4
	r4 = 2*(z1-z3) - z2 + z4
	r5 = 4*z1 - 5*z3 + z5
	return
}

// at6 computes Aᵀ m for a 6-vector m.
func at6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	s12, d12 := m1+m2, m1-m2
	s34, d34 := m3+m4, m3-m4
	y0 = m0 + s12 + s34
	y1 = d12 + 2*d34
	y2 = s12 + 4*s34
	y3 = d12 + 8*d34 + m5
	return
}

// WinogradInput transforms channels [c0, c1) of the image x [C, H, W] into
// v: the transformed tile t (row-major over the TH×TW tiles) of channel c
// goes to v[ξ·vStride + c·ldv + col0 + t] for ξ in [0, 36). It runs on the
// calling goroutine and does not allocate.
func WinogradInput(g *WinogradGeom, x []float32, c0, c1 int, v []float32, vStride, ldv, col0 int) {
	hw := g.H * g.W
	if len(x) < c1*hw {
		panic(fmt.Sprintf("kernels: WinogradInput channels [%d, %d) of a %d×%d image: x has %d elements", c0, c1, g.H, g.W, len(x)))
	}
	var d [WinogradN]float32
	for c := c0; c < c1; c++ {
		src := x[c*hw : (c+1)*hw]
		base := c*ldv + col0
		for ty := 0; ty < g.TH; ty++ {
			y0 := ty*WinogradTile - g.PadT
			for tx := 0; tx < g.TW; tx++ {
				x0 := tx*WinogradTile - g.PadL
				if y0 >= 0 && x0 >= 0 && y0+WinogradAlpha <= g.H && x0+WinogradAlpha <= g.W {
					for i := 0; i < WinogradAlpha; i++ {
						k := (y0+i)*g.W + x0
						r := src[k : k+6 : k+6]
						d[i*6], d[i*6+1], d[i*6+2], d[i*6+3], d[i*6+4], d[i*6+5] = r[0], r[1], r[2], r[3], r[4], r[5]
					}
				} else {
					for i := 0; i < WinogradAlpha; i++ {
						iy := y0 + i
						for j := 0; j < WinogradAlpha; j++ {
							ix := x0 + j
							if iy >= 0 && iy < g.H && ix >= 0 && ix < g.W {
								d[i*6+j] = src[iy*g.W+ix]
							} else {
								d[i*6+j] = 0
							}
						}
					}
				}
				// Columns: d ← Bᵀ d (per column j), then rows: d ← d B.
				for j := 0; j < 6; j++ {
					d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j] = bt6(d[j], d[6+j], d[12+j], d[18+j], d[24+j], d[30+j])
				}
				o := base + ty*g.TW + tx
				for i := 0; i < 6; i++ {
					r := d[i*6 : i*6+6 : i*6+6]
					a0, a1, a2, a3, a4, a5 := bt6(r[0], r[1], r[2], r[3], r[4], r[5])
					k := i * 6 * vStride
					v[o+k] = a0
					v[o+k+vStride] = a1
					v[o+k+2*vStride] = a2
					v[o+k+3*vStride] = a3
					v[o+k+4*vStride] = a4
					v[o+k+5*vStride] = a5
				}
			}
		}
	}
}

// WinogradOutput finishes output channels [o0, o1) of one image: tile t of
// channel o is gathered from m[ξ·mStride + o·ldm + col0 + t], transformed
// to its 4×4 block Aᵀ m A and written into y [Cout, OH, OW] (cut at the
// bottom and right edges), finished by ep: Bias indexed by o, Residual laid
// out like y (ep.ResLd is ignored), then the activation. The bias and the
// residual are added, and a ReLU applied (as max(v, 0), which also turns
// −0 into +0), while the block is in registers; other activations run over
// each band of 4 output rows. It runs on the calling goroutine and does not
// allocate.
func WinogradOutput(g *WinogradGeom, m []float32, mStride, ldm, col0 int, y []float32, ep *Epilogue, o0, o1 int) {
	ohw := g.OH * g.OW
	if len(y) < o1*ohw {
		panic(fmt.Sprintf("kernels: WinogradOutput channels [%d, %d) of %d×%d: y has %d elements", o0, o1, g.OH, g.OW, len(y)))
	}
	var act Activation
	if ep != nil {
		act = ep.Act
	}
	relu := act.Kind == ActReLU
	var t [WinogradTile * WinogradAlpha]float32 // Aᵀ m: 4 rows of 6
	s := 6 * mStride
	for o := o0; o < o1; o++ {
		dst := y[o*ohw : (o+1)*ohw]
		var res []float32
		var bias float32
		if ep != nil {
			if ep.Bias != nil {
				bias = ep.Bias[o]
			}
			if ep.Residual != nil {
				res = ep.Residual[o*ohw : (o+1)*ohw]
			}
		}
		base := o*ldm + col0
		for ty := 0; ty < g.TH; ty++ {
			oy := ty * WinogradTile
			rows := min(WinogradTile, g.OH-oy)
			for tx := 0; tx < g.TW; tx++ {
				ox := tx * WinogradTile
				cols := min(WinogradTile, g.OW-ox)
				p := base + ty*g.TW + tx
				for j := 0; j < 6; j++ {
					q := p + j*mStride
					t[j], t[6+j], t[12+j], t[18+j] = at6(m[q], m[q+s], m[q+2*s], m[q+3*s], m[q+4*s], m[q+5*s])
				}
				for i := 0; i < rows; i++ {
					r := t[i*6 : i*6+6 : i*6+6]
					var v [4]float32
					v[0], v[1], v[2], v[3] = at6(r[0], r[1], r[2], r[3], r[4], r[5])
					k := (oy+i)*g.OW + ox
					v[0] += bias
					v[1] += bias
					v[2] += bias
					v[3] += bias
					if res != nil {
						if cols == WinogradTile {
							rr := res[k : k+4 : k+4]
							v[0] += rr[0]
							v[1] += rr[1]
							v[2] += rr[2]
							v[3] += rr[3]
						} else {
							for c, rv := range res[k : k+cols] {
								v[c] += rv
							}
						}
					}
					if relu {
						v[0], v[1], v[2], v[3] = max(v[0], 0), max(v[1], 0), max(v[2], 0), max(v[3], 0)
					}
					if cols == WinogradTile {
						out := dst[k : k+4 : k+4]
						out[0], out[1], out[2], out[3] = v[0], v[1], v[2], v[3]
						continue
					}
					copy(dst[k:k+cols], v[:cols])
				}
			}
			if !relu && act.Kind != ActNone {
				ApplyAct(act, dst[oy*g.OW:(oy+rows)*g.OW])
			}
		}
	}
}
