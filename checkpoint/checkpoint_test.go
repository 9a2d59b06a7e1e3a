package checkpoint

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"convnet/tensor"
)

// sampleTensors returns a small state dict with a scalar, an empty tensor,
// dotted names and special float values.
func sampleTensors() map[string]*tensor.Tensor {
	g := tensor.NewRNG(1)
	return map[string]*tensor.Tensor{
		"conv1.weight":              tensor.Randn(g, 0, 1, 6, 1, 5, 5),
		"conv1.bias":                tensor.Randn(g, 0, 1, 6),
		"layer1.0.bn1.running_mean": tensor.Randn(g, 0, 1, 4),
		"fc.bias": tensor.FromSlice([]float32{
			float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)),
			float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, math.MaxFloat32,
		}, 2, 3),
		"scalar": tensor.Scalar(3.25),
		"empty":  tensor.New(0, 3),
	}
}

// assertSameTensors fails unless got and want hold the same names, shapes
// and bit-identical values.
func assertSameTensors(t testing.TB, got, want map[string]*tensor.Tensor) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d tensors %v, want %d %v", len(got), keysOf(got), len(want), keysOf(want))
	}
	for name, w := range want {
		g, ok := got[name]
		if !ok {
			t.Fatalf("tensor %q missing", name)
		}
		if !tensor.ShapeEqual(g.Shape(), w.Shape()) {
			t.Fatalf("tensor %q: shape %v, want %v", name, g.Shape(), w.Shape())
		}
		for i, v := range w.Data() {
			if math.Float32bits(g.Data()[i]) != math.Float32bits(v) {
				t.Fatalf("tensor %q[%d] = %v, want %v", name, i, g.Data()[i], v)
			}
		}
	}
}

// keysOf returns m's keys in sorted order.
func keysOf[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name    string
		tensors map[string]*tensor.Tensor
		meta    map[string]string
	}{
		{"full", sampleTensors(), map[string]string{"epoch": "3", "arch": "lenet5", "note": "<ü & \"quoted\">\n"}},
		{"no metadata", sampleTensors(), nil},
		{"no tensors", nil, map[string]string{"empty": ""}},
		{"nothing", nil, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(c.name, " ", "_")+".safetensors")
			if err := Save(path, c.tensors, c.meta); err != nil {
				t.Fatal(err)
			}
			got, meta, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			assertSameTensors(t, got, c.tensors)
			if !maps.Equal(meta, c.meta) {
				t.Errorf("metadata %q, want %q", meta, c.meta)
			}
			if len(c.meta) == 0 && meta != nil {
				t.Errorf("metadata %q, want nil", meta)
			}

			// The layout the format and the brief ask for.
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			n := binary.LittleEndian.Uint64(raw)
			if n%8 != 0 {
				t.Errorf("header length %d is not a multiple of 8", n)
			}
			if hdr := raw[8 : 8+n]; len(bytes.TrimRight(hdr, " ")) < len(hdr)-7 {
				t.Errorf("header %q padded by more than 7 spaces", hdr)
			}
			if bytes.Contains(raw[8:8+n], []byte(metadataKey)) != (len(c.meta) > 0) {
				t.Errorf("header %q: __metadata__ present = %v, want %v", raw[8:8+n], !(len(c.meta) > 0), len(c.meta) > 0)
			}
			entries, hmeta, err := ReadHeader(path)
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(hmeta, c.meta) {
				t.Errorf("ReadHeader metadata %q, want %q", hmeta, c.meta)
			}
			var next int64
			for i, e := range entries {
				if i > 0 && entries[i-1].Name >= e.Name {
					t.Errorf("ReadHeader entries not sorted: %q before %q", entries[i-1].Name, e.Name)
				}
				if e.DType != "F32" || !tensor.ShapeEqual(e.Shape, c.tensors[e.Name].Shape()) {
					t.Errorf("entry %+v does not describe tensor of shape %v", e, c.tensors[e.Name].Shape())
				}
				if e.DataOffsets[0] != next {
					t.Errorf("tensor %q at offset %d, want %d (sorted key order)", e.Name, e.DataOffsets[0], next)
				}
				next = e.DataOffsets[1]
			}
			if int64(len(raw))-8-int64(n) != next {
				t.Errorf("data section %d bytes, tensors cover %d", int64(len(raw))-8-int64(n), next)
			}
		})
	}
}

func TestScalarHeaderShape(t *testing.T) {
	b, err := encode(map[string]*tensor.Tensor{"s": tensor.Scalar(1)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"shape":[]`)) {
		t.Errorf("scalar header %q lacks \"shape\":[]", b)
	}
}

// writeFile writes b to a fresh file in t's temporary directory.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// assertUnchanged fails unless path still holds want.
func assertUnchanged(t *testing.T, path string, want []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s changed by a failed Save", path)
	}
}

// assertOnly fails if dir holds anything but the listed names, in order.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %q, want %q (temporary file left behind?)", got, names)
	}
}

// assertOneLine fails unless err is a one-line error mentioning every want.
func assertOneLine(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
	if !strings.HasPrefix(msg, "checkpoint: ") {
		t.Errorf("error %q lacks the package prefix", msg)
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
}

func TestSaveAtomic(t *testing.T) {
	old := []byte("old checkpoint contents")
	newTensors := sampleTensors()

	t.Run("parent is a file", func(t *testing.T) {
		parent := writeFile(t, "model.safetensors", old)
		path := filepath.Join(parent, "x.safetensors")
		assertOneLine(t, Save(path, newTensors, nil), path)
		assertUnchanged(t, parent, old)
		assertOnly(t, filepath.Dir(parent), "model.safetensors")
	})
	t.Run("directory not writable", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("permissions do not bind root")
		}
		path := writeFile(t, "model.safetensors", old)
		dir := filepath.Dir(path)
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o755)
		assertOneLine(t, Save(path, newTensors, nil), path)
		assertUnchanged(t, path, old)
		assertOnly(t, dir, "model.safetensors")
	})
	t.Run("failure after writing", func(t *testing.T) {
		path := writeFile(t, "model.safetensors", old)
		var sawTemp bool
		testHookBeforeRename = func(tmp string) error {
			fi, err := os.Stat(tmp)
			sawTemp = err == nil && fi.Size() > 600
			return errors.New("injected failure")
		}
		defer func() { testHookBeforeRename = nil }()
		assertOneLine(t, Save(path, newTensors, nil), path, "injected failure")
		if !sawTemp {
			t.Error("temporary file was not complete before the rename")
		}
		assertUnchanged(t, path, old)
		assertOnly(t, filepath.Dir(path), "model.safetensors")
	})
	t.Run("destination is a directory", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "model.safetensors")
		if err := os.Mkdir(path, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(path, "keep"), old, 0o644); err != nil {
			t.Fatal(err)
		}
		assertOneLine(t, Save(path, newTensors, nil), path)
		assertUnchanged(t, filepath.Join(path, "keep"), old)
		assertOnly(t, dir, "model.safetensors")
	})
	for _, c := range []struct {
		name    string
		tensors map[string]*tensor.Tensor
		meta    map[string]string
		want    string
	}{
		{"reserved name", map[string]*tensor.Tensor{metadataKey: tensor.Scalar(1)}, nil, "reserved"},
		{"nil tensor", map[string]*tensor.Tensor{"w": nil}, nil, `tensor "w" is nil`},
		{"invalid UTF-8 name", map[string]*tensor.Tensor{"w\xff": tensor.Scalar(1)}, nil, "UTF-8"},
		{"invalid UTF-8 metadata", nil, map[string]string{"k": "\xfe"}, "UTF-8"},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "model.safetensors", old)
			assertOneLine(t, Save(path, c.tensors, c.meta), path, c.want)
			assertUnchanged(t, path, old)
			assertOnly(t, filepath.Dir(path), "model.safetensors")
		})
	}
	t.Run("success replaces and keeps mode", func(t *testing.T) {
		path := writeFile(t, "model.safetensors", old)
		if err := os.Chmod(path, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := Save(path, newTensors, nil); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("mode %v, want 0600 kept from the replaced file", fi.Mode().Perm())
		}
		got, _, err := Load(path)
		if err != nil {
			t.Fatal(err)
		}
		assertSameTensors(t, got, newTensors)
		assertOnly(t, filepath.Dir(path), "model.safetensors")
	})
}

// image assembles a safetensors file from a header (used verbatim) and
// data.
func image(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, data...)
}

// withPrefix returns b with its 8-byte length prefix replaced by n.
func withPrefix(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

func TestLoadCorrupt(t *testing.T) {
	f32 := func(n int) []byte { return make([]byte, 4*n) }
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"empty file", nil, "file is 0 bytes, too short"},
		{"7 bytes", []byte{1, 2, 3, 4, 5, 6, 7}, "file is 7 bytes, too short"},
		{"header length past end", withPrefix(100, "{}"), "header length 100 exceeds the 2 bytes that follow it"},
		{"header length over 100 MiB", withPrefix(1<<40, "{}"), "header length 1099511627776 exceeds the limit"},
		{"header length max uint64", withPrefix(math.MaxUint64, "{}"), "exceeds the limit"},
		{"empty header", image("", nil), "does not start with '{'"},
		{"header is an array", image("[]", nil), "does not start with '{'"},
		{"truncated JSON", image(`{"a":`, nil), "invalid JSON"},
		{"bad JSON", image(`{"a" 1}`, nil), "invalid JSON"},
		{"trailing JSON", image(`{} {}`, nil), `unexpected "{" after the JSON object`},
		{"trailing garbage", image(`{}x`, nil), "invalid JSON"},
		{"invalid UTF-8", image("{\"\xff\":1}", nil), "not valid UTF-8"},
		{"duplicate tensor", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1)), `duplicate key "a"`},
		{"entry not an object", image(`{"a":[1]}`, nil), `tensor "a": want a JSON object`},
		{"missing dtype", image(`{"a":{"shape":[1],"data_offsets":[0,4]}}`, f32(1)), `tensor "a": missing field "dtype"`},
		{"missing shape", image(`{"a":{"dtype":"F32","data_offsets":[0,4]}}`, f32(1)), `missing field "shape"`},
		{"missing offsets", image(`{"a":{"dtype":"F32","shape":[1]}}`, f32(1)), `missing field "data_offsets"`},
		{"unknown field", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`, f32(1)), `unknown field "x"`},
		{"field name case", image(`{"a":{"DTYPE":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1)), `unknown field "DTYPE"`},
		{"duplicate field", image(`{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(1)), `duplicate key "dtype"`},
		{"unknown dtype", image(`{"a":{"dtype":"F31","shape":[1],"data_offsets":[0,4]}}`, f32(1)), `tensor "a": unsupported dtype "F31"`},
		{"unsupported dtype", image(`{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}`, f32(1)), `unsupported dtype "F8_E4M3"`},
		{"dtype not a string", image(`{"a":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}`, f32(1)), "dtype: want a string"},
		{"negative dim", image(`{"a":{"dtype":"F32","shape":[2,-1],"data_offsets":[0,4]}}`, f32(1)), "shape [2 -1] has a negative dimension"},
		{"fractional dim", image(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, f32(1)), `shape: element 0 is "1.5", not an integer`},
		{"exponent dim", image(`{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}`, f32(1)), "not an integer"},
		{"null dim", image(`{"a":{"dtype":"F32","shape":[null],"data_offsets":[0,4]}}`, f32(1)), "not an integer"},
		{"huge dim", image(`{"a":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,4]}}`, f32(1)), "not an integer in int64 range"},
		{"null shape", image(`{"a":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}`, f32(1)), "shape: want an array"},
		{"shape overflow", image(`{"a":{"dtype":"F32","shape":[4294967296,4294967296,4],"data_offsets":[0,4]}}`, f32(1)), "too large"},
		{"offsets do not match shape", image(`{"conv1.weight":{"dtype":"F32","shape":[6,1,5,5],"data_offsets":[0,96]}}`, f32(24)),
			`: tensor "conv1.weight": data_offsets [0, 96) but shape [6 1 5 5] of F32 needs 600 bytes`},
		{"offsets do not match dtype", image(`{"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}`, f32(2)), "shape [2] of F16 needs 4 bytes"},
		{"three offsets", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, f32(1)), "data_offsets has 3 values, want 2"},
		{"reversed offsets", image(`{"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}}`, f32(1)), "data_offsets [4, 0) is not a valid range"},
		{"negative offset", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}}`, f32(1)), "is not a valid range"},
		{"offsets past end", image(`{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}`, f32(2)), "data_offsets [0, 16) run past the end of the 8-byte data section"},
		{"overlap", image(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, f32(3)),
			`tensor "b": data_offsets [4, 12) overlap tensor "a" at [0, 8)`},
		{"same range", image(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[2],"data_offsets":[0,8]}}`, f32(2)), "overlap"},
		{"gap", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, f32(3)),
			`tensor "b": data_offsets [8, 12) leave a gap of 4 unused bytes`},
		{"leading gap", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, f32(2)), "gap of 4"},
		{"trailing bytes", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, f32(2)), "4 trailing bytes after the last tensor"},
		{"data but no tensors", image(`{}`, []byte{0}), "1 trailing bytes"},
		{"metadata not strings", image(`{"__metadata__":{"epoch":3}}`, nil), `__metadata__: key "epoch": want a string`},
		{"metadata not an object", image(`{"__metadata__":"x"}`, nil), "__metadata__: want a JSON object"},
		{"bad BOOL", image(`{"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{1, 2}), `tensor "a": BOOL element holds byte value 2`},
		{"weird name", image(`{"a\nb":{"dtype":"X","shape":[1],"data_offsets":[0,4]}}`, f32(1)), `tensor "a\nb"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := writeFile(t, "bad.safetensors", c.file)
			ts, meta, err := Load(path)
			assertOneLine(t, err, path+": ", c.want)
			if ts != nil || meta != nil {
				t.Errorf("Load returned values with its error")
			}
			_, _, err = ReadHeader(path)
			if c.name == "bad BOOL" { // only the values are bad

				if err != nil {
					t.Errorf("ReadHeader: %v", err)
				}
			} else {
				assertOneLine(t, err, path+": ", c.want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.safetensors")
	_, _, err := Load(missing)
	assertOneLine(t, err, missing, "no such file")
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
	}
	_, _, err = Load(dir)
	assertOneLine(t, err, dir, "is a directory")
	_, _, err = ReadHeader(missing)
	assertOneLine(t, err, missing)
}

// TestLoadMutations loads every truncation and many single-byte corruptions
// of a valid image; none may panic, and a truncation must always fail.
func TestLoadMutations(t *testing.T) {
	valid, err := encode(sampleTensors(), map[string]string{"k": "v"})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := decode(bytes.NewReader(valid), int64(len(valid))); err != nil {
		t.Fatal(err)
	}
	for n := range len(valid) {
		if _, _, err := decode(bytes.NewReader(valid[:n]), int64(n)); err == nil {
			t.Fatalf("truncation to %d of %d bytes loaded without error", n, len(valid))
		}
	}
	hdrEnd := 8 + int(binary.LittleEndian.Uint64(valid))
	b := bytes.Clone(valid)
	for i := range hdrEnd {
		for _, v := range []byte{0, 0xff, '{', '}', '"', ',', '-', '9', ' ', valid[i] ^ 1} {
			b[i] = v
			_, _, err := decode(bytes.NewReader(b), int64(len(b)))
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
		}
		b[i] = valid[i]
	}
}

func TestLoadInto(t *testing.T) {
	src := sampleTensors()
	path := filepath.Join(t.TempDir(), "model.safetensors")
	if err := Save(path, src, nil); err != nil {
		t.Fatal(err)
	}
	// fresh returns a state dict shaped like src, filled with 7s.
	fresh := func() map[string]*tensor.Tensor {
		m := make(map[string]*tensor.Tensor)
		for k, v := range src {
			m[k] = tensor.Full(7, v.Shape()...)
		}
		return m
	}

	t.Run("ok", func(t *testing.T) {
		dst := fresh()
		before := dst["conv1.weight"]
		if err := LoadInto(path, dst); err != nil {
			t.Fatal(err)
		}
		assertSameTensors(t, dst, src)
		if dst["conv1.weight"] != before {
			t.Error("LoadInto replaced a tensor instead of filling it")
		}
	})

	untouched := func(t *testing.T, dst map[string]*tensor.Tensor) {
		t.Helper()
		for k, v := range dst {
			if v == nil {
				continue
			}
			for _, x := range v.Data() {
				if x != 7 {
					t.Fatalf("failed LoadInto modified %q", k)
				}
			}
		}
	}
	t.Run("missing", func(t *testing.T) {
		dst := fresh()
		dst["fc2.bias"] = tensor.Full(7, 10)
		dst["fc2.weight"] = tensor.Full(7, 10, 4)
		err := LoadInto(path, dst)
		assertOneLine(t, err, path, `file has no tensor "fc2.bias" (2 of the model's 8 tensors missing)`)
		untouched(t, dst)
	})
	t.Run("unexpected", func(t *testing.T) {
		dst := fresh()
		delete(dst, "scalar")
		delete(dst, "fc.bias")
		err := LoadInto(path, dst)
		assertOneLine(t, err, path, `file has unexpected tensor "fc.bias", not in the model (2 unexpected)`)
		untouched(t, dst)
	})
	t.Run("shape", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "m.safetensors")
		if err := Save(p, map[string]*tensor.Tensor{"fc1.weight": tensor.New(120, 256), "fc1.bias": tensor.New(120)}, nil); err != nil {
			t.Fatal(err)
		}
		dst := map[string]*tensor.Tensor{"fc1.weight": tensor.Full(7, 120, 400), "fc1.bias": tensor.Full(7, 120)}
		err := LoadInto(p, dst)
		if want := "checkpoint: " + p + `: "fc1.weight": model expects [120 400], file has [120 256]`; err == nil || err.Error() != want {
			t.Errorf("error %v, want %s", err, want)
		}
		untouched(t, dst)
	})
	t.Run("bad data", func(t *testing.T) {
		p := writeFile(t, "m.safetensors", image(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"BOOL","shape":[2],"data_offsets":[4,6]}}`, []byte{0, 0, 0x80, 0x3f, 1, 2}))
		dst := map[string]*tensor.Tensor{"a": tensor.Full(7, 1), "b": tensor.Full(7, 2)}
		assertOneLine(t, LoadInto(p, dst), p, "BOOL")
		untouched(t, dst)
	})
	t.Run("nil model tensor", func(t *testing.T) {
		dst := fresh()
		dst["conv1.bias"] = nil
		assertOneLine(t, LoadInto(path, dst), path, `model tensor "conv1.bias" is nil`)
		untouched(t, dst)
	})
	t.Run("missing file", func(t *testing.T) {
		dst := fresh()
		missing := path + ".nope"
		err := LoadInto(missing, dst)
		assertOneLine(t, err, missing)
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("errors.Is(%v, fs.ErrNotExist) = false", err)
		}
		untouched(t, dst)
	})
}

func TestHalfToFloat32(t *testing.T) {
	for _, c := range []struct {
		h    uint16
		want uint32
	}{
		{0x0000, 0x00000000}, {0x8000, 0x80000000}, // ±0
		{0x3c00, 0x3f800000}, {0xc000, 0xc0000000}, // 1, -2
		{0x7bff, 0x477fe000},                       // 65504
		{0x0400, 0x38800000},                       // smallest normal 2^-14
		{0x0001, 0x33800000}, {0x03ff, 0x387fc000}, // subnormals
		{0x7c00, 0x7f800000}, {0xfc00, 0xff800000}, // ±Inf
		{0x7e00, 0x7fc00000}, {0x7c01, 0x7f802000}, // quiet and signalling NaN
	} {
		if got := math.Float32bits(halfToFloat32(c.h)); got != c.want {
			t.Errorf("halfToFloat32(%#04x) = %#08x, want %#08x", c.h, got, c.want)
		}
	}
}
