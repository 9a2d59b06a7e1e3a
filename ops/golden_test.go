package ops_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"sort"
	"testing"

	"convnet/checkpoint"
	"convnet/ops"
	"convnet/tensor"
)

// Golden tests: every op case in testdata/golden (written by
// tools/golden/gen.py with PyTorch 1.13, see tools/golden/README.md) is run
// forward and backward here and compared with PyTorch's output and input
// gradients. Bar: max|got − want| ≤ goldenTol · max(1, max|want|) for every
// tensor.
const goldenTol = 2e-5

// goldenFile loads one fixture file.
func goldenFile(t *testing.T, name string) (map[string]*tensor.Tensor, map[string]map[string]any) {
	t.Helper()
	ts, meta, err := checkpoint.Load(filepath.Join("..", "testdata", "golden", name+".safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string]any{}
	for k, v := range meta {
		var m map[string]any
		if err := json.Unmarshal([]byte(v), &m); err != nil {
			t.Fatalf("%s: case %s: %v", name, k, err)
		}
		cases[k] = m
	}
	return ts, cases
}

// sortedCases returns the case names in order.
func sortedCases(cases map[string]map[string]any) []string {
	var names []string
	for k := range cases {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// compare checks got against want with the golden tolerance.
func compare(t *testing.T, what string, got, want *tensor.Tensor, tol float64) {
	t.Helper()
	if got == nil {
		t.Errorf("%s: no value (want shape %v)", what, want.Shape())
		return
	}
	if got.Len() != want.Len() {
		t.Errorf("%s: shape %v, want %v", what, got.Shape(), want.Shape())
		return
	}
	g := tensor.FromSlice(got.Data(), want.Shape()...)
	scale := math.Max(1, want.MaxAbs())
	if d := tensor.MaxAbsDiff(g, want); d > tol*scale || math.IsNaN(d) {
		t.Errorf("%s: max abs error %.3g > %.1g × scale %.3g", what, d, tol, scale)
	}
}

func ints(v any) []int {
	var out []int
	for _, x := range v.([]any) {
		out = append(out, int(x.(float64)))
	}
	return out
}

func pair(v any) [2]int { s := ints(v); return [2]int{s[0], s[1]} }

func labels(t *tensor.Tensor) []int {
	out := make([]int, t.Len())
	for i, v := range t.Data() {
		out[i] = int(v)
	}
	return out
}

// runGolden runs every case of a fixture file: build calls the op on the
// inputs (as Params, so every gradient is computed) and returns its output;
// the output is then back-propagated with gout and every grad/<arg> checked.
func runGolden(t *testing.T, file string, build func(name string, m map[string]any, in map[string]*ops.Var, ts map[string]*tensor.Tensor) *ops.Var) {
	ts, cases := goldenFile(t, file)
	if len(cases) == 0 {
		t.Fatalf("%s: no cases", file)
	}
	for _, name := range sortedCases(cases) {
		m := cases[name]
		t.Run(name, func(t *testing.T) {
			in := map[string]*ops.Var{}
			for _, a := range m["inputs"].([]any) {
				arg := a.(string)
				v, ok := ts[name+"/in/"+arg]
				if !ok {
					t.Fatalf("fixture lacks %s/in/%s", name, arg)
				}
				in[arg] = ops.Param(v.Clone())
			}
			out := build(name, m, in, ts)
			if out == nil {
				t.Fatalf("op %v not handled by the test", m["op"])
			}
			compare(t, "out", out.Value, ts[name+"/out"], goldenTol)
			out.BackwardWith(tensor.FromSlice(append([]float32(nil), ts[name+"/gout"].Data()...), out.Value.Shape()...))
			checked := 0
			for arg, v := range in {
				want, ok := ts[name+"/grad/"+arg]
				if !ok {
					continue
				}
				compare(t, "grad "+arg, v.Grad, want, goldenTol)
				checked++
			}
			if checked == 0 {
				t.Fatal("no gradient checked")
			}
		})
	}
}

func TestGoldenConv(t *testing.T) {
	runGolden(t, "conv", func(_ string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		p := ints(m["pads"])
		o := ops.Conv2dOptions{Stride: pair(m["stride"]), Dilation: pair(m["dilation"]), Groups: int(m["groups"].(float64)),
			Padding: [4]int{p[0], p[1], p[2], p[3]}}
		return ops.Conv2d(in["x"], in["weight"], in["bias"], o)
	})
}

func TestGoldenLinear(t *testing.T) {
	runGolden(t, "linear", func(_ string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		switch m["op"] {
		case "linear":
			return ops.Linear(in["x"], in["weight"], in["bias"])
		case "matmul":
			return ops.MatMul(in["a"], in["b"])
		}
		return nil
	})
}

func TestGoldenElementwise(t *testing.T) {
	runGolden(t, "elementwise", func(_ string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		switch m["op"] {
		case "add":
			return ops.Add(in["a"], in["b"])
		case "sub":
			return ops.Sub(in["a"], in["b"])
		case "mul":
			return ops.Mul(in["a"], in["b"])
		case "div":
			return ops.Div(in["a"], in["b"])
		case "cat":
			return ops.Concat(int(m["dim"].(float64)), in["x0"], in["x1"], in["x2"])
		case "flatten":
			return ops.Flatten(in["x"])
		case "reshape":
			return ops.Reshape(in["x"], ints(m["shape"])...)
		}
		return nil
	})
}

func TestGoldenActivation(t *testing.T) {
	runGolden(t, "activation", func(_ string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		x := in["x"]
		switch m["op"] {
		case "relu":
			return ops.ReLU(x)
		case "relu6":
			return ops.ReLU6(x)
		case "leaky_relu":
			return ops.LeakyReLU(x, float32(m["negative_slope"].(float64)))
		case "sigmoid":
			return ops.Sigmoid(x)
		case "tanh":
			return ops.Tanh(x)
		case "silu":
			return ops.SiLU(x)
		case "hardswish":
			return ops.HardSwish(x)
		case "hardsigmoid":
			return ops.HardSigmoid(x)
		}
		return nil
	})
}

func TestGoldenPool(t *testing.T) {
	runGolden(t, "pool", func(_ string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		x := in["x"]
		switch m["op"] {
		case "max_pool2d":
			return ops.MaxPool2d(x, ops.Pool2dOptions{Kernel: pair(m["kernel_size"]), Stride: pair(m["stride"]),
				Padding: pair(m["padding"]), Dilation: pair(m["dilation"]), CeilMode: m["ceil_mode"].(bool)})
		case "avg_pool2d":
			return ops.AvgPool2d(x, ops.Pool2dOptions{Kernel: pair(m["kernel_size"]), Stride: pair(m["stride"]),
				Padding: pair(m["padding"]), CeilMode: m["ceil_mode"].(bool), CountIncludePad: m["count_include_pad"].(bool)})
		case "adaptive_avg_pool2d":
			s := pair(m["output_size"])
			return ops.AdaptiveAvgPool2d(x, s[0], s[1])
		case "mean":
			return ops.GlobalAvgPool2d(x)
		}
		return nil
	})
}

func TestGoldenNorm(t *testing.T) {
	ts, _ := goldenFile(t, "norm")
	runGolden(t, "norm", func(name string, m map[string]any, in map[string]*ops.Var, _ map[string]*tensor.Tensor) *ops.Var {
		rm, rv := in["running_mean"].Value, in["running_var"].Value
		out := ops.BatchNorm(in["x"], in["weight"], in["bias"], rm, rv, m["training"].(bool), m["momentum"].(float64), m["eps"].(float64))
		compare(t, "running_mean", rm, ts[name+"/out/running_mean"], goldenTol)
		compare(t, "running_var", rv, ts[name+"/out/running_var"], goldenTol)
		return out
	})
}

func TestGoldenLoss(t *testing.T) {
	runGolden(t, "loss", func(name string, m map[string]any, in map[string]*ops.Var, ts map[string]*tensor.Tensor) *ops.Var {
		red := map[string]ops.Reduction{"mean": ops.ReduceMean, "sum": ops.ReduceSum, "none": ops.ReduceNone}
		switch m["op"] {
		case "softmax":
			return ops.Softmax(in["x"], int(m["dim"].(float64)))
		case "log_softmax":
			return ops.LogSoftmax(in["x"], int(m["dim"].(float64)))
		case "cross_entropy":
			y := labels(ts[name+"/in/target"])
			delete(in, "target")
			return ops.CrossEntropy(in["x"], y, ops.CrossEntropyOptions{Reduction: red[m["reduction"].(string)],
				LabelSmoothing: float32(m["label_smoothing"].(float64))})
		case "mse_loss":
			return ops.MSE(in["x"], in["target"], red[m["reduction"].(string)])
		}
		return nil
	})
}
