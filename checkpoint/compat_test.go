package checkpoint

import (
	"encoding/json"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestPyTorchFixture loads testdata/fixture.safetensors, written by
// testdata/gen_fixture.py from PyTorch tensors of every common dtype, and
// checks each value against PyTorch's own conversion to float32.
func TestPyTorchFixture(t *testing.T) {
	path := filepath.Join("testdata", "fixture.safetensors")
	raw, err := os.ReadFile(filepath.Join("testdata", "fixture_expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want struct {
		Metadata map[string]string
		Tensors  map[string]struct {
			DType   string
			Shape   []int
			F32Bits []uint32 `json:"f32_bits"`
		}
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}

	got, meta, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !maps.Equal(meta, want.Metadata) {
		t.Errorf("metadata %q, want %q", meta, want.Metadata)
	}
	if g, w := slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want.Tensors)); !slices.Equal(g, w) {
		t.Fatalf("tensors %q, want %q", g, w)
	}
	entries, _, err := ReadHeader(path)
	if err != nil {
		t.Fatal(err)
	}
	dtypesSeen := map[string]bool{}
	for _, e := range entries {
		w := want.Tensors[e.Name]
		if e.DType != w.DType || !slices.Equal(e.Shape, w.Shape) {
			t.Errorf("ReadHeader %q: %s %v, want %s %v", e.Name, e.DType, e.Shape, w.DType, w.Shape)
		}
		dtypesSeen[e.DType] = true
		g := got[e.Name]
		if !slices.Equal(g.Shape(), w.Shape) {
			t.Errorf("%q: shape %v, want %v", e.Name, g.Shape(), w.Shape)
			continue
		}
		for i, bits := range w.F32Bits {
			wv, gv := math.Float32frombits(bits), g.Data()[i]
			if math.IsNaN(float64(wv)) && math.IsNaN(float64(gv)) {
				continue
			}
			if math.Float32bits(gv) != bits {
				t.Errorf("%q (%s)[%d] = %v (%#08x), PyTorch gives %v (%#08x)",
					e.Name, e.DType, i, gv, math.Float32bits(gv), wv, bits)
			}
		}
	}
	for _, dt := range []string{"F32", "F64", "F16", "BF16", "I64", "I32", "I8", "U8"} {
		if !dtypesSeen[dt] {
			t.Errorf("fixture has no %s tensor", dt)
		}
	}
}
