package data

import (
	"bytes"
	"runtime"
	"slices"
	"testing"
	"time"

	"convnet/tensor"
)

// synthDataset returns n images of 2×3×3 with pixel values derived from the
// image index and labels i mod 7.
func synthDataset(n int) *Dataset {
	d := &Dataset{Name: "synth", N: n, C: 2, H: 3, W: 3, NumClasses: 7}
	d.Images = make([]uint8, n*18)
	for i := range d.Images {
		d.Images[i] = uint8(i*31 + i/18)
	}
	d.Labels = make([]int, n)
	for i := range d.Labels {
		d.Labels[i] = i % 7
	}
	return d
}

// drain collects all batches of an epoch.
func drain(e *Epoch) []Batch {
	var out []Batch
	for {
		b, ok := e.Next()
		if !ok {
			return out
		}
		out = append(out, b)
	}
}

// waitGoroutines waits up to a second for the goroutine count to fall to
// want and reports the count reached.
func waitGoroutines(want int) int {
	deadline := time.Now().Add(time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(time.Millisecond)
	}
}

func TestLoaderBatches(t *testing.T) {
	ds := synthDataset(10)
	for _, tc := range []struct {
		batch    int
		dropLast bool
		sizes    []int
	}{
		{4, false, []int{4, 4, 2}},
		{4, true, []int{4, 4}},
		{5, false, []int{5, 5}},
		{5, true, []int{5, 5}},
		{32, false, []int{10}},
		{32, true, nil},
	} {
		l := NewLoader(ds, LoaderOptions{Batch: tc.batch, DropLast: tc.dropLast, Shuffle: true})
		e := l.Epoch(tensor.NewRNG(1))
		bs := drain(e)
		e.Close()
		var sizes []int
		seen := map[int]bool{}
		for _, b := range bs {
			sizes = append(sizes, len(b.Y))
			if got, want := b.X.Shape(), []int{len(b.Y), 2, 3, 3}; !slices.Equal(got, want) {
				t.Errorf("X shape %v, want %v", got, want)
			}
			for j, i := range b.Index {
				if seen[i] {
					t.Errorf("image %d served twice", i)
				}
				seen[i] = true
				if b.Y[j] != ds.Labels[i] {
					t.Errorf("label %d for image %d, want %d", b.Y[j], i, ds.Labels[i])
				}
			}
		}
		if !slices.Equal(sizes, tc.sizes) || l.NumBatches() != len(tc.sizes) {
			t.Errorf("batch %d dropLast %v: sizes %v NumBatches %d, want %v", tc.batch, tc.dropLast, sizes, l.NumBatches(), tc.sizes)
		}
	}
}

func TestLoaderNormalisation(t *testing.T) {
	ds := synthDataset(3)
	mean, std := float32(0.25), float32(0.5)
	e := NewLoader(ds, LoaderOptions{Batch: 2, Mean: mean, Std: std}).Epoch(nil)
	defer e.Close()
	b, _ := e.Next()
	b2, _ := e.Next()
	if !slices.Equal(b.Index, []int{0, 1}) || !slices.Equal(b2.Index, []int{2}) {
		t.Fatalf("unshuffled indices %v %v", b.Index, b2.Index)
	}
	for p, v := range ds.Images[:36] {
		want := (float32(v)/255 - mean) / std
		if got := b.X.Data()[p]; got != want {
			t.Fatalf("pixel %d: got %v, want %v", p, got, want)
		}
	}
	// Zero options give x/255.
	e0 := NewLoader(ds, LoaderOptions{Batch: 3}).Epoch(nil)
	defer e0.Close()
	b0, _ := e0.Next()
	if got, want := b0.X.Data()[5], float32(ds.Images[5])/255; got != want {
		t.Errorf("x/255: got %v, want %v", got, want)
	}
}

func TestLoaderDeterminism(t *testing.T) {
	ds := synthDataset(23)
	l := NewLoader(ds, LoaderOptions{Batch: 5, Shuffle: true, Mean: 0.1, Std: 0.3})
	run := func() ([][]Batch, []byte) {
		rng := tensor.NewRNG(42)
		var epochs [][]Batch
		for range 3 {
			e := l.Epoch(rng)
			epochs = append(epochs, drain(e))
			e.Close()
		}
		st, _ := rng.MarshalBinary()
		return epochs, st
	}
	a, stA := run()
	b, stB := run()
	if !bytes.Equal(stA, stB) {
		t.Error("RNG state differs between identical runs")
	}
	for ep := range a {
		for k := range a[ep] {
			x, y := a[ep][k], b[ep][k]
			if !slices.Equal(x.Index, y.Index) || !slices.Equal(x.Y, y.Y) || !slices.Equal(x.X.Data(), y.X.Data()) {
				t.Fatalf("epoch %d batch %d differs between runs", ep, k)
			}
		}
	}
	if slices.Equal(a[0][0].Index, a[1][0].Index) {
		t.Error("epochs 0 and 1 start with the same order; want a fresh shuffle each epoch")
	}

	// The RNG advances by exactly one Perm(N), drawn before Epoch returns,
	// whatever the consumer does afterwards.
	r1, r2 := tensor.NewRNG(7), tensor.NewRNG(7)
	e := l.Epoch(r1)
	wantOrder := r2.Perm(ds.N)
	s1, _ := r1.MarshalBinary()
	s2, _ := r2.MarshalBinary()
	if !bytes.Equal(s1, s2) {
		t.Error("RNG state after Epoch differs from state after one Perm(N)")
	}
	first, _ := e.Next()
	e.Close()
	if !slices.Equal(first.Index, wantOrder[:5]) {
		t.Errorf("first batch %v, want %v", first.Index, wantOrder[:5])
	}
}

func TestEpochPrefetch(t *testing.T) {
	ds := synthDataset(12)
	e := NewLoader(ds, LoaderOptions{Batch: 4}).Epoch(nil)
	defer e.Close()
	if _, ok := e.Next(); !ok {
		t.Fatal("no first batch")
	}
	// While the caller holds batch 0, batch 1 is prepared in the background.
	deadline := time.Now().Add(time.Second)
	for len(e.ch) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("next batch was not prefetched")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestEpochCloseNoLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	ds := synthDataset(50)
	l := NewLoader(ds, LoaderOptions{Batch: 4, Shuffle: true})
	rng := tensor.NewRNG(3)

	// Closed early, after one batch, or before any.
	for k := range 20 {
		e := l.Epoch(rng)
		if k%2 == 0 {
			e.Next()
		}
		e.Close()
		e.Close() // twice is fine
		if _, ok := e.Next(); ok {
			t.Fatal("Next after Close returned a batch")
		}
	}
	// Run to the end, with and without Close.
	for k := range 5 {
		e := l.Epoch(rng)
		if n := len(drain(e)); n != l.NumBatches() {
			t.Fatalf("got %d batches, want %d", n, l.NumBatches())
		}
		if k%2 == 0 {
			e.Close()
		}
		if _, ok := e.Next(); ok {
			t.Fatal("Next after the end returned a batch")
		}
	}
	if n := waitGoroutines(before); n > before {
		t.Errorf("%d goroutines after closing epochs, %d before", n, before)
	}
}

func TestEpochDroppedWithoutClose(t *testing.T) {
	before := runtime.NumGoroutine()
	l := NewLoader(synthDataset(50), LoaderOptions{Batch: 4})
	for range 5 {
		e := l.Epoch(nil)
		e.Next()
	}
	// The cleanup attached to each Epoch stops its goroutine once the Epoch
	// is unreachable.
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(5 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after dropping epochs, %d before", n, before)
	}
}

func TestNewLoaderBadBatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewLoader with batch 0 did not panic")
		}
	}()
	NewLoader(synthDataset(1), LoaderOptions{})
}

func BenchmarkLoaderMNISTShape(b *testing.B) {
	ds := &Dataset{Name: "bench", N: 6400, C: 1, H: 28, W: 28, NumClasses: 10}
	ds.Images = make([]uint8, ds.N*784)
	ds.Labels = make([]int, ds.N)
	l := NewLoader(ds, LoaderOptions{Batch: 64, Shuffle: true, Mean: 0.1307, Std: 0.3081})
	rng := tensor.NewRNG(0)
	b.SetBytes(int64(len(ds.Images)))
	for b.Loop() {
		e := l.Epoch(rng)
		drain(e)
		e.Close()
	}
}

func TestSegmentationMasksAndBatches(t *testing.T) {
	ds := &Dataset{Name: "tiny", N: 2, C: 1, H: 2, W: 2, NumClasses: 3, ClassNames: []string{"a", "b", "c"},
		Images: []uint8{0, 200, 127, 128, 255, 0, 0, 9}, Labels: []int{1, 2}}
	seg := Segmentation(ds, 0)
	want := []uint8{0, 2, 0, 2, 3, 0, 0, 0}
	for i, v := range seg.Masks {
		if v != want[i] {
			t.Fatalf("masks %v, want %v", seg.Masks, want)
		}
	}
	if seg.NumClasses != 4 || seg.ClassNames[0] != "background" || ds.Masks != nil {
		t.Fatalf("segmentation set %+v (original changed: %v)", seg, ds.Masks != nil)
	}
	ep := NewLoader(seg, LoaderOptions{Batch: 2}).Epoch(nil)
	defer ep.Close()
	b, ok := ep.Next()
	if !ok || len(b.Y) != 8 || b.Y[1] != 2 || b.Y[4] != 3 {
		t.Fatalf("segmentation batch labels %v", b.Y)
	}
}
