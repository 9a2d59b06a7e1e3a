package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

func TestZZStem(t *testing.T) {
	g := ConvGeom{C: 3, H: 224, W: 224, KH: 7, KW: 7, SH: 2, SW: 2, PadT: 3, PadL: 3, DH: 1, DW: 1, OH: 112, OW: 112}
	img := make([]float32, 3*224*224)
	for i := range img {
		img[i] = rand.Float32()
	}
	n, k := 112*112, 147
	col := make([]float32, k*n)
	w := make([]float32, 64*k)
	for i := range w {
		w[i] = rand.Float32()
	}
	pa := PackA(64, k, w, k)
	c := make([]float32, 64*n)
	bias := make([]float32, 64)
	ep := &Epilogue{Bias: bias, Act: Activation{Kind: ActReLU}}
	ws := NewGemmScratch(n)
	for r := range 3 {
		t0 := time.Now()
		for range 10 {
			Im2col(&g, img, col)
		}
		ti := time.Since(t0) / 10
		t0 = time.Now()
		for range 10 {
			GemmPacked(pa, false, n, col, n, c, n, ep, 0, 64, 0, n, ws)
		}
		tg := time.Since(t0) / 10
		fmt.Printf("r%d im2col %v gemm %v (%.0f GF/s)\n", r, ti, tg, 2*float64(64*n*k)/tg.Seconds()/1e9)
		for _, rows := range []int{2, 4, 8, 16} {
			t0 = time.Now()
			for range 10 {
				for oy := 0; oy < 112; oy += rows {
					oy1 := min(112, oy+rows)
					np := (oy1 - oy) * 112
					cc := col[:k*np]
					Im2colRows(&g, img, cc, oy, oy1)
					GemmPacked(pa, false, np, cc, np, c[oy*112:], n, ep, 0, 64, 0, np, ws)
				}
			}
			fmt.Printf("   rows %d: %v\n", rows, time.Since(t0)/10)
		}
	}
}
