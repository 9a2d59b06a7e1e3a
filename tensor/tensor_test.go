package tensor

import (
	"strings"
	"testing"
)

func TestReshapeViewSharesStorage(t *testing.T) {
	x := New(2, 3, 4)
	v := x.Reshape(6, -1)
	if !ShapeEqual(v.Shape(), []int{6, 4}) {
		t.Fatalf("shape %v", v.Shape())
	}
	v.Set(5, 5, 3)
	if x.At(1, 2, 3) != 5 {
		t.Fatalf("view does not share storage")
	}
}

func TestIndexAndSlice(t *testing.T) {
	x := FromSlice([]float32{0, 1, 2, 3, 4, 5}, 3, 2)
	if got := x.Index(1).Data(); got[0] != 2 || got[1] != 3 {
		t.Fatalf("Index(1) = %v", got)
	}
	s := x.Slice(1, 3)
	if !ShapeEqual(s.Shape(), []int{2, 2}) || s.At(1, 1) != 5 {
		t.Fatalf("Slice = %v", s)
	}
	if st := New(2, 3, 4).Strides(); !ShapeEqual(st, []int{12, 4, 1}) {
		t.Fatalf("strides %v", st)
	}
}

func TestRNGStateRoundTrip(t *testing.T) {
	g := NewRNG(7)
	g.Float64()
	state, err := g.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	a := Randn(g, 0, 1, 10)
	h := NewRNG(99)
	if err := h.UnmarshalBinary(state); err != nil {
		t.Fatal(err)
	}
	b := Randn(h, 0, 1, 10)
	if MaxAbsDiff(a, b) != 0 {
		t.Fatalf("restored RNG differs: %v vs %v", a, b)
	}
	if err := h.UnmarshalBinary([]byte("junk")); err == nil {
		t.Fatal("junk state accepted")
	}
}

func TestStringIsReadable(t *testing.T) {
	s := FromSlice([]float32{1, 2, 3, 4}, 2, 2).String()
	if !strings.Contains(s, "[[1, 2],") || !strings.Contains(s, "shape=[2 2]") {
		t.Fatalf("String() = %q", s)
	}
	long := New(100).String()
	if !strings.Contains(long, "...") {
		t.Fatalf("long tensor not elided: %q", long)
	}
}

func TestPanicsOnBadShapes(t *testing.T) {
	for name, f := range map[string]func(){
		"fromslice": func() { FromSlice(make([]float32, 5), 2, 3) },
		"reshape":   func() { New(2, 3).Reshape(4, 2) },
		"index":     func() { New(2, 3).Index(2) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}
