package kernels

import "math"

// EngMaxPoolPlanes is MaxPool2dPlanes (planes [lo, hi) of x, on the calling
// goroutine) with a faster path for 3-wide undilated windows (ResNet's and
// GoogLeNet's 3×3 pools): each output row is the running max over its
// window's input rows of the 3-element maxima, computed without bounds
// tests in the columns whose window lies inside the row. Max is exact, so
// the values are MaxPool2dPlanes' (NaN wins; a −0/+0 tie may come out as
// either); other geometries go to MaxPool2dPlanes.
func EngMaxPoolPlanes(g *ConvGeom, x, y []float32, lo, hi int) {
	if g.KW != 3 || g.DW != 1 || g.DH != 1 {
		MaxPool2dPlanes(g, x, y, lo, hi)
		return
	}
	hw, ohw := g.H*g.W, g.OH*g.OW
	negInf := float32(math.Inf(-1))
	// Columns [oxA, oxB) have windows [ox·SW − PadL, +3) inside [0, W).
	oxA := min(g.OW, (g.PadL+g.SW-1)/g.SW)
	oxB := oxA
	for oxB < g.OW && oxB*g.SW-g.PadL+3 <= g.W {
		oxB++
	}
	for c := lo; c < hi; c++ {
		xp, yp := x[c*hw:(c+1)*hw], y[c*ohw:(c+1)*ohw]
		for oy := 0; oy < g.OH; oy++ {
			out := yp[oy*g.OW : (oy+1)*g.OW]
			for i := range out {
				out[i] = negInf
			}
			y0 := oy*g.SH - g.PadT
			y1 := min(y0+g.KH, g.H)
			y0 = max(y0, 0)
			for iy := y0; iy < y1; iy++ {
				row := xp[iy*g.W : (iy+1)*g.W]
				for ox := 0; ox < oxA; ox++ {
					out[ox] = edgeMax3(row, out[ox], ox*g.SW-g.PadL)
				}
				x0 := oxA*g.SW - g.PadL
				for ox := oxA; ox < oxB; ox++ {
					w := row[x0 : x0+3]
					out[ox] = max(out[ox], w[0], w[1], w[2])
					x0 += g.SW
				}
				for ox := oxB; ox < g.OW; ox++ {
					out[ox] = edgeMax3(row, out[ox], ox*g.SW-g.PadL)
				}
			}
		}
	}
}

// edgeMax3 returns the max of m and the elements of row in [x0, x0+3).
func edgeMax3(row []float32, m float32, x0 int) float32 {
	for ix := max(x0, 0); ix < min(x0+3, len(row)); ix++ {
		m = max(m, row[ix])
	}
	return m
}
