package checkpoint

import (
	"path/filepath"
	"strings"
	"testing"

	"convnet/tensor"
)

func TestLoadMatching(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.safetensors")
	file := map[string]*tensor.Tensor{
		"a": tensor.Full(1, 2, 3), "b": tensor.Full(2, 4), "extra": tensor.Full(3, 1),
	}
	if err := Save(path, file, nil); err != nil {
		t.Fatal(err)
	}
	dst := map[string]*tensor.Tensor{"a": tensor.New(2, 3), "b": tensor.New(5), "c": tensor.New(1)}
	r, err := LoadMatching(path, dst)
	if err != nil {
		t.Fatal(err)
	}
	if dst["a"].At(1, 2) != 1 || dst["b"].At(0) != 0 {
		t.Fatalf("loaded wrongly: a=%v b=%v", dst["a"], dst["b"])
	}
	s := r.String()
	for _, want := range []string{"loaded 1", "missing from the file (c)", "b: model [5], file [4]", "not in the model (extra)"} {
		if !strings.Contains(s, want) {
			t.Errorf("report %q lacks %q", s, want)
		}
	}
	if _, err := LoadMatching(filepath.Join(t.TempDir(), "none"), dst); err == nil {
		t.Fatal("missing file accepted")
	}
}
