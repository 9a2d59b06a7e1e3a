//go:build linux

package kernels

import (
	"math"
	"math/rand/v2"
	"syscall"
	"testing"
	"unsafe"
)

// guardedFloats returns n float32s that end exactly where an inaccessible
// page begins (or, with atStart, that start exactly where one ends), so
// that any access past the end (or before the start) faults; free unmaps
// them.
func guardedFloats(t *testing.T, n int, atStart bool) (s []float32, free func()) {
	page := syscall.Getpagesize()
	if 4*n > page {
		t.Fatalf("guardedFloats: %d floats do not fit in a page", n)
	}
	mem, err := syscall.Mmap(-1, 0, 3*page, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		t.Skip("mmap:", err)
	}
	if err := syscall.Mprotect(mem[:page], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	if err := syscall.Mprotect(mem[2*page:], syscall.PROT_NONE); err != nil {
		t.Skip("mprotect:", err)
	}
	off := 2*page - 4*n
	if atStart {
		off = page
	}
	s = unsafe.Slice((*float32)(unsafe.Pointer(&mem[off])), n)
	return s, func() { _ = syscall.Munmap(mem) }
}

// TestDwRowKernelsGuardPage runs every assembly row kernel on rows placed
// against inaccessible pages: the masked loads of the taps in the left and
// right padding and past the row's end, and the masked stores, must not
// touch them.
func TestDwRowKernelsGuardPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	scratch := new(dwScratchBuf)
	for name, k := range dwRowKernels() {
		for _, s := range []int{1, 2} {
			for n := 1; n <= 100; n++ {
				for _, atStart := range []bool{false, true} {
					a := dwRowCase(rng, scratch, s, n)
					if len(a.src) > 1024 || len(a.dst) > 1024 {
						continue
					}
					want := a
					want.dst = make([]float32, len(a.dst))
					dwRowsGo(&want)
					src, freeSrc := guardedFloats(t, len(a.src), atStart)
					dst, freeDst := guardedFloats(t, len(a.dst), atStart)
					copy(src, a.src)
					a.src, a.dst = src, dst
					k(&a)
					for i := range want.dst {
						if d := dst[i] - want.dst[i]; d > 1e-4 || d < -1e-4 {
							t.Fatalf("%s s%d n%d: dst[%d] = %g, want %g", name, s, n, i, dst[i], want.dst[i])
						}
					}
					freeSrc()
					freeDst()
				}
			}
		}
	}
}

// TestDwWeightKernelsGuardPage runs every assembly weight-gradient plane
// kernel on planes x and dy placed against inaccessible pages: its masked
// loads past the rows' ends and in the padding must not touch them.
func TestDwWeightKernelsGuardPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	scratch := new(dwScratchBuf)
	for name, k := range dwWeightKernels() {
		for _, s := range []int{1, 2} {
			for w := 1; w <= 70; w++ {
				for _, atStart := range []bool{false, true} {
					kw := 3 + 2*(w%2)
					pad := w % 3
					g := ConvGeom{C: 1, H: 5, W: w, KH: kw, KW: kw, SH: s, SW: s, PadT: pad, PadL: pad, DH: 1, DW: 1}
					g.OH, g.OW = (g.H+2*pad-kw)/s+1, (g.W+2*pad-kw)/s+1
					if g.OH <= 0 || g.OW <= 0 {
						continue
					}
					x, freeX := guardedFloats(t, g.H*g.W, atStart)
					y, freeY := guardedFloats(t, g.OH*g.OW, atStart)
					copy(x, randSlice(rng, len(x)))
					copy(y, randSlice(rng, len(y)))
					want := make([]float64, kw*kw)
					got := make([]float64, kw*kw)
					dwWeightPlaneGo(&g, x, y, want, scratch)
					k(&g, x, y, got, scratch)
					for i := range want {
						if d := got[i] - want[i]; d > 1e-4 || d < -1e-4 {
							t.Fatalf("%s %s: acc[%d] = %g, want %g", name, geomName(g), i, got[i], want[i])
						}
					}
					freeX()
					freeY()
				}
			}
		}
	}
}

// TestDwInterleaveAddGuardPage runs the interleaving add this build and CPU
// use on outputs placed against inaccessible pages: its masked tail loads
// and stores must not touch them.
func TestDwInterleaveAddGuardPage(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for n := 1; n <= 70; n++ {
		for _, atStart := range []bool{false, true} {
			a, b, d := randSlice(rng, n), randSlice(rng, n), randSlice(rng, 2*n)
			want := append([]float32(nil), d...)
			dwInterleaveAddGo(want, a, b)
			gd, free := guardedFloats(t, 2*n, atStart)
			copy(gd, d)
			dwInterleaveAdd(gd, a, b)
			for i := range want {
				if gd[i] != want[i] {
					t.Fatalf("n%d: d[%d] = %g, want %g", n, i, gd[i], want[i])
				}
			}
			free()
		}
	}
}

// TestDwPlanesGuardPage runs the whole-plane kernel this build and CPU use
// (if any) on planes x, y and the residual placed against inaccessible
// pages: the masked loads of taps in the padding, whose addresses can lie
// before the first plane or past the last, and the masked stores must not
// touch them. Results are checked against dwForwardPlane.
func TestDwPlanesGuardPage(t *testing.T) {
	if dwPlanes == nil {
		t.Skip("no whole-plane kernel")
	}
	rng := rand.New(rand.NewPCG(25, 26))
	scratch, ref := new(dwScratchBuf), new(dwScratchBuf)
	taken := 0
	for _, hw := range []int{1, 2, 3, 5, 7, 9, 14, 17} {
		for _, k := range []int{1, 3, 5} {
			for _, s := range []int{1, 2} {
				for _, pad := range []int{0, k / 2, k - 1} {
					g := ConvGeom{C: 1, H: hw, W: hw + s%2, KH: k, KW: k, SH: s, SW: s, PadT: pad, PadL: pad, DH: 1, DW: 1}
					g.OH, g.OW = (g.H+2*pad-k)/s+1, (g.W+2*pad-k)/s+1
					if g.OH <= 0 || g.OW <= 0 {
						continue
					}
					hwIn, ohw, kk := g.H*g.W, g.OH*g.OW, k*k
					c := max(1, min(3, 1024/max(hwIn, ohw)))
					for _, atStart := range []bool{false, true} {
						x, freeX := guardedFloats(t, c*hwIn, atStart)
						y, freeY := guardedFloats(t, c*ohw, atStart)
						res, freeRes := guardedFloats(t, c*ohw, !atStart)
						copy(x, randSlice(rng, len(x)))
						copy(res, randSlice(rng, len(res)))
						w, bias := randSlice(rng, c*kk), randSlice(rng, c)
						inf := float32(math.Inf(1))
						if dwPlanes(&g, x, w, bias, res, -inf, inf, false, y, 0, c, scratch) {
							taken++
							for p := 0; p < c; p++ {
								want := make([]float32, ohw)
								dwForwardPlane(&g, x[p*hwIn:(p+1)*hwIn], w[p*kk:(p+1)*kk], bias[p], res[p*ohw:(p+1)*ohw], -inf, inf, want, false, false, ref)
								for i, v := range want {
									if math.Float32bits(y[p*ohw+i]) != math.Float32bits(v) {
										t.Fatalf("%s plane %d: y[%d] = %g, want %g", geomName(g), p, i, y[p*ohw+i], v)
									}
								}
							}
						}
						freeX()
						freeY()
						freeRes()
					}
				}
			}
		}
	}
	if taken == 0 {
		t.Fatal("no geometry taken")
	}
}
