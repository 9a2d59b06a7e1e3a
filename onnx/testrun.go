package onnx

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"convnet/onnx/onnxpb"
	"convnet/tensor"
)

// Tolerances of the test runner. Operator tests pass when every element
// satisfies |got − want| ≤ OpAtol + OpRtol·|want| (ONNX's backend-test
// rule); whole models when max|got − want| ≤ ModelTol·max(1, max|want|).
const (
	OpRtol   = 1e-3
	OpAtol   = 1e-7
	ModelTol = 1e-4
)

// TestCase is one test in ONNX's layouts: a model and one or more data sets
// of input and expected output tensor files.
type TestCase struct {
	// Name is the test's directory and base name, such as
	// "conformance/resnet18" or "light/light_vgg19".
	Name string
	// Model is the path of the .onnx file.
	Model string
	// Sets holds the data sets in order.
	Sets []DataSet
	// WholeModel selects the whole-model tolerance rule instead of the
	// operator rule.
	WholeModel bool
}

// DataSet is one set of input and expected output files, in index order.
type DataSet struct {
	Inputs, Outputs []string
}

// opTestDirs are the directories of ONNX's backend tests whose models are
// single operators (or a handful): they are held to the operator rule.
var opTestDirs = map[string]bool{"node": true, "pytorch-converted": true, "pytorch-operator": true, "simple": true}

// FindTests returns the tests in dir: dir itself when it holds model.onnx
// with test_data_set_N folders (ONNX's layout), every NAME.onnx with
// NAME_input_K.pb and NAME_output_K.pb beside it (the "light" layout), or
// else every subdirectory in ONNX's layout. Tests in a directory named
// node, pytorch-converted, pytorch-operator or simple are operator tests;
// all others are whole models.
func FindTests(dir string) ([]TestCase, error) {
	dir = filepath.Clean(dir)
	if st, err := os.Stat(dir); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", dir)
	}
	if tc, ok, err := onnxLayout(dir); err != nil || ok {
		return []TestCase{tc}, err
	}
	var tests []TestCase
	models, _ := filepath.Glob(filepath.Join(dir, "*.onnx"))
	sort.Strings(models)
	for _, mp := range models {
		base := strings.TrimSuffix(mp, ".onnx")
		set, err := numberedFiles(base+"_input_", base+"_output_")
		if err != nil {
			return nil, err
		}
		if len(set.Outputs) == 0 {
			continue
		}
		tests = append(tests, TestCase{Name: testName(base), Model: mp, Sets: []DataSet{set}, WholeModel: true})
	}
	if len(tests) > 0 {
		return tests, nil
	}
	subs, _ := os.ReadDir(dir)
	for _, e := range subs {
		if !e.IsDir() {
			continue
		}
		tc, ok, err := onnxLayout(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		if ok {
			tests = append(tests, tc)
		}
	}
	if len(tests) == 0 {
		return nil, fmt.Errorf("%s holds no ONNX test (model.onnx with test_data_set_N, or NAME.onnx with NAME_output_0.pb)", dir)
	}
	return tests, nil
}

// onnxLayout reads dir as model.onnx plus test_data_set_N folders.
func onnxLayout(dir string) (TestCase, bool, error) {
	mp := filepath.Join(dir, "model.onnx")
	if _, err := os.Stat(mp); err != nil {
		return TestCase{}, false, nil
	}
	tc := TestCase{Name: testName(dir), Model: mp, WholeModel: !opTestDirs[filepath.Base(filepath.Dir(dir))]}
	sets, _ := filepath.Glob(filepath.Join(dir, "test_data_set_*"))
	sort.Slice(sets, func(i, j int) bool { return suffixNum(sets[i]) < suffixNum(sets[j]) })
	for _, s := range sets {
		set, err := numberedFiles(filepath.Join(s, "input_"), filepath.Join(s, "output_"))
		if err != nil {
			return tc, true, err
		}
		tc.Sets = append(tc.Sets, set)
	}
	if len(tc.Sets) == 0 {
		return tc, true, fmt.Errorf("%s: model.onnx without test_data_set_N folders", dir)
	}
	return tc, true, nil
}

// suffixNum returns the number after the last '_' of a path (-1 if none).
func suffixNum(p string) int {
	i := strings.LastIndex(p, "_")
	n, err := strconv.Atoi(p[i+1:])
	if err != nil {
		return -1
	}
	return n
}

// numberedFiles lists inPrefix0.pb, inPrefix1.pb, … and the same for
// outputs, stopping at the first missing index.
func numberedFiles(inPrefix, outPrefix string) (DataSet, error) {
	var ds DataSet
	for _, p := range []struct {
		prefix string
		dst    *[]string
	}{{inPrefix, &ds.Inputs}, {outPrefix, &ds.Outputs}} {
		for i := 0; ; i++ {
			f := fmt.Sprintf("%s%d.pb", p.prefix, i)
			if _, err := os.Stat(f); err != nil {
				break
			}
			*p.dst = append(*p.dst, f)
		}
	}
	return ds, nil
}

// testName is the last two elements of a path.
func testName(p string) string {
	return filepath.ToSlash(filepath.Join(filepath.Base(filepath.Dir(p)), filepath.Base(p)))
}

// Result is the outcome of one test.
type Result struct {
	Name string `json:"name"`
	// Status is PASS, FAIL or UNSUPPORTED.
	Status string `json:"status"`
	// MaxAbsErr is max|got − want| over all outputs of all data sets;
	// MaxRelErr is the largest of max|got − want| / max|want| per output
	// (the error relative to the output's scale).
	MaxAbsErr float64 `json:"max_abs_err"`
	MaxRelErr float64 `json:"max_rel_err"`
	// Rule is "op" or "model", the tolerance rule applied.
	Rule string `json:"rule"`
	// Op names the unsupported operator (and attribute) of an UNSUPPORTED
	// test.
	Op string `json:"op,omitempty"`
	// Error explains a FAIL or UNSUPPORTED.
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// RunTest imports tc's model, runs every data set and compares every
// output with the test's tolerance rule.
func RunTest(tc TestCase) Result {
	t0 := time.Now()
	r := Result{Name: tc.Name, Status: "PASS", Rule: "op"}
	if tc.WholeModel {
		r.Rule = "model"
	}
	err := runTest(tc, &r)
	var u *UnsupportedError
	switch {
	case errors.As(err, &u):
		r.Status, r.Op, r.Error = "UNSUPPORTED", u.Op, err.Error()
		if u.Attr != "" {
			r.Op += " " + u.Attr
		}
	case err != nil:
		r.Status, r.Error = "FAIL", err.Error()
	}
	r.Seconds = time.Since(t0).Seconds()
	return r
}

// runTest does RunTest's work, recording errors and failures in r.
func runTest(tc TestCase, r *Result) error {
	m, err := ReadModel(tc.Model)
	if err != nil {
		return err
	}
	for si, set := range tc.Sets {
		in, err := mapFiles(set.Inputs, m.Inputs)
		if err != nil {
			return err
		}
		want, err := mapFiles(set.Outputs, m.Outputs)
		if err != nil {
			return err
		}
		got, err := m.RunTensors(in)
		if err != nil {
			return err
		}
		for _, o := range m.Outputs {
			w, ok := want[o.Name]
			if !ok {
				continue
			}
			if !tensor.ShapeEqual(got[o.Name].Data.Shape(), w.Data.Shape()) {
				return fmt.Errorf("data set %d, output %q: shape %v, want %v", si, o.Name, got[o.Name].Data.Shape(), w.Data.Shape())
			}
			abs, rel, ok := compare(got[o.Name].Data, w.Data, tc.WholeModel)
			r.MaxAbsErr = math.Max(r.MaxAbsErr, abs)
			r.MaxRelErr = math.Max(r.MaxRelErr, rel)
			if !ok && r.Error == "" {
				r.Status = "FAIL"
				r.Error = fmt.Sprintf("data set %d, output %q: max abs error %.3g, max relative error %.3g", si, o.Name, abs, rel)
			}
		}
	}
	return nil
}

// mapFiles reads tensor files and assigns them to the declared values: by
// the tensor's name when it names one, else by position.
func mapFiles(files []string, decl []ValueInfo) (map[string]*Tensor, error) {
	out := map[string]*Tensor{}
	for i, f := range files {
		t, err := ReadTensorFile(f)
		if err != nil {
			return nil, err
		}
		name := ""
		for _, d := range decl {
			if d.Name == t.Name {
				name = d.Name
			}
		}
		if name == "" {
			if i >= len(decl) {
				return nil, fmt.Errorf("%s: the model has only %d such values", f, len(decl))
			}
			name = decl[i].Name
		}
		out[name] = t
	}
	return out, nil
}

// compare returns max|got − want|, that divided by max|want|, and whether
// got passes: elementwise |got − want| ≤ OpAtol + OpRtol·|want|, or for a
// whole model max|got − want| ≤ ModelTol·max(1, max|want|). NaN matches
// NaN only.
func compare(got, want *tensor.Tensor, wholeModel bool) (maxAbs, maxRel float64, ok bool) {
	ok = true
	scale := 0.0
	g, w := got.Data(), want.Data()
	for i, wv := range w {
		a, b := float64(g[i]), float64(wv)
		if math.IsNaN(a) || math.IsNaN(b) {
			if math.IsNaN(a) != math.IsNaN(b) {
				ok, maxAbs = false, math.Inf(1)
			}
			continue
		}
		d := math.Abs(a - b)
		if a == b { // equal infinities
			d = 0
		}
		maxAbs = math.Max(maxAbs, d)
		scale = math.Max(scale, math.Abs(b))
		if !wholeModel && !(d <= OpAtol+OpRtol*math.Abs(b)) {
			ok = false
		}
	}
	if wholeModel && !(maxAbs <= ModelTol*math.Max(1, scale)) {
		ok = false
	}
	maxRel = maxAbs
	if scale > 0 {
		maxRel = maxAbs / scale
	}
	return maxAbs, maxRel, ok
}

// ReadInitializers returns the floating-point initializers of the model
// in the file at path as float32 tensors keyed by name, without importing
// its graph (so it works for models with operators this package cannot
// run). External data is read from beside the model.
func ReadInitializers(path string) (map[string]*tensor.Tensor, error) {
	b, err := readRegular(path)
	if err != nil {
		return nil, err
	}
	var mp onnxpb.ModelProto
	if err := proto.Unmarshal(b, &mp); err != nil {
		return nil, fmt.Errorf("%s: not an ONNX model: %v", path, err)
	}
	out := map[string]*tensor.Tensor{}
	for _, tp := range mp.GetGraph().GetInitializer() {
		t, err := decodeTensor(tp, filepath.Dir(path))
		if err != nil {
			return nil, fmt.Errorf("%s: initializer: %v", path, err)
		}
		if t.Ints == nil {
			out[t.Name] = t.Data
		}
	}
	// PyTorch's exporter stores identical parameters once and names the
	// copies with Identity nodes; give the copies their own entries.
	for changed := true; changed; {
		changed = false
		for _, n := range mp.GetGraph().GetNode() {
			if n.GetOpType() != "Identity" || len(n.GetInput()) != 1 || len(n.GetOutput()) != 1 {
				continue
			}
			src, ok := out[n.GetInput()[0]]
			if _, done := out[n.GetOutput()[0]]; ok && !done {
				out[n.GetOutput()[0]] = src
				changed = true
			}
		}
	}
	return out, nil
}
