package models

import (
	"bufio"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"convnet/checkpoint"
	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

// Tests of the ResNet, CIFAR ResNet, MobileNet and EfficientNet families
// (resnet.go, resnet_cifar.go, mobilenet.go, efficientnet.go). The
// references come from torchvision 0.14: tools/zoo/counts_b.py (parameter
// counts, testdata/zoo/*.keys) and tools/zoo/golden_b.py
// (testdata/zoo/forward_b.safetensors).

// zoobTorchvisionCounts are torchvision 0.14's parameter counts for 1000
// classes (tools/zoo/counts_b.py).
var zoobTorchvisionCounts = []struct {
	name string
	n    int
}{
	{"resnet18", 11689512},
	{"resnet34", 21797672},
	{"resnet50", 25557032},
	{"resnet101", 44549160},
	{"resnet152", 60192808},
	{"wide_resnet50_2", 68883240},
	{"mobilenet_v2", 3504872},
	{"efficientnet_b0", 5288548},
	{"efficientnet_b1", 7794184},
	{"efficientnet_b2", 9109994},
	{"efficientnet_b3", 12233232},
	{"efficientnet_b4", 19341616},
	{"efficientnet_b5", 30389784},
	{"efficientnet_b6", 43040704},
	{"efficientnet_b7", 66347960},
}

// zoobOwnCounts are the counts of the models torchvision does not have,
// derived by hand in the comments (default classes: 1000 ImageNet, 10 CIFAR).
var zoobOwnCounts = []struct {
	name string
	n    int
}{
	// resnet50 + Σ over the 16 bottlenecks of 2·C·C/16 + C/16 + C
	// (C = 256×3, 512×4, 1024×6, 2048×3): 25,557,032 + 2,530,992.
	{"se_resnet50", 28088024},
	// conv1 432 + BN 32, 6n 3×3 convs (16/32/64 ch) with their BN, fc 650.
	{"resnet20", 269722},
	{"resnet32", 464154},
	{"resnet44", 658586},
	{"resnet56", 853018},
	{"resnet110", 1727962},
	// Option B adds two projections: 16·32 + 64 and 32·64 + 128 = 2,752.
	{"resnet20_proj", 272474},
	{"resnet32_proj", 466906},
	{"resnet44_proj", 661338},
	{"resnet56_proj", 855770},
	{"resnet110_proj", 1730714},
	{"plain20", 269722},
	{"plain32", 464154},
	{"plain44", 658586},
	{"plain56", 853018},
	{"plain110", 1727962},
	// Table 1 convs (no bias) + BN γ, β + fc 1024α·1000 + 1000: the
	// trainable counts of Keras's MobileNet(alpha).
	{"mobilenet_v1", 4231976},
	{"mobilenet_v1_1.0_160", 4231976},
	{"mobilenet_v1_0.75", 2585560},
	{"mobilenet_v1_0.5", 1331592},
	{"mobilenet_v1_0.25", 470072},
}

func TestZooBParamCounts(t *testing.T) {
	check := func(name string, want int) {
		t.Run(name, func(t *testing.T) {
			m, err := New(name, nil, Options{}) // counting needs no random initialisation
			if err != nil {
				t.Fatal(err)
			}
			if n := nn.NumParams(m); n != want {
				t.Errorf("%s has %d parameters, want %d", name, n, want)
			}
		})
	}
	for _, c := range zoobTorchvisionCounts {
		if testing.Short() && c.n > 30e6 {
			continue
		}
		check(c.name, c.n)
	}
	for _, c := range zoobOwnCounts {
		check(c.name, c.n)
	}
}

// zoobReadKeys reads testdata/zoo/NAME.keys: "key d0,d1,…" per line, in
// PyTorch's state_dict order.
func zoobReadKeys(t *testing.T, name string) (keys []string, shapes map[string]string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "testdata", "zoo", name+".keys"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	shapes = map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, s, _ := strings.Cut(sc.Text(), " ")
		keys = append(keys, k)
		shapes[k] = s
	}
	return keys, shapes
}

// zoobShape formats a shape as the keys files do.
func zoobShape(s []int) string {
	p := make([]string, len(s))
	for i, d := range s {
		p[i] = fmt.Sprint(d)
	}
	return strings.Join(p, ",")
}

// TestZooBStateDictKeys compares every state_dict name and shape with
// PyTorch's, and the parameter order with named_parameters().
func TestZooBStateDictKeys(t *testing.T) {
	for _, name := range []string{"resnet18", "resnet50", "mobilenet_v2", "efficientnet_b0", "resnet20_proj"} {
		t.Run(name, func(t *testing.T) {
			keys, shapes := zoobReadKeys(t, name)
			m, err := New(name, tensor.NewRNG(1), Options{})
			if err != nil {
				t.Fatal(err)
			}
			sd := nn.StateDict(m)
			if len(sd) != len(keys) {
				t.Errorf("%d state dict entries, PyTorch has %d", len(sd), len(keys))
			}
			for _, k := range keys {
				v, ok := sd[k]
				if !ok {
					t.Errorf("missing %s", k)
				} else if got := zoobShape(v.Shape()); got != shapes[k] {
					t.Errorf("%s: shape %s, PyTorch %s", k, got, shapes[k])
				}
			}
			var pyParams []string
			for _, k := range keys {
				if !strings.HasSuffix(k, "running_mean") && !strings.HasSuffix(k, "running_var") {
					pyParams = append(pyParams, k)
				}
			}
			ps := nn.Parameters(m)
			for i := 0; i < len(ps) && i < len(pyParams); i++ {
				if ps[i].Name != pyParams[i] {
					t.Fatalf("parameter %d is %s, PyTorch's is %s", i, ps[i].Name, pyParams[i])
				}
			}
		})
	}
}

// zoobUniform returns the n uniforms of tools/zoo/golden_b.py for key.
func zoobUniform(key string, n int) []float64 {
	s := uint64(crc32.ChecksumIEEE([]byte(key)))
	u := make([]float64, n)
	for i := range u {
		z := s*0x9E3779B97F4A7C15 + uint64(i+1)*0xBF58476D1CE4E5B9
		z ^= z >> 31
		z *= 0x94D049BB133111EB
		z ^= z >> 29
		u[i] = float64(z>>40) / (1 << 24)
	}
	return u
}

// zoobFill fills t, the state-dict entry key, by golden_b.py's formula.
func zoobFill(key string, t *tensor.Tensor) {
	u := zoobUniform(key, t.Len())
	d := t.Data()
	oneD := t.NDim() == 1
	for i, v := range u {
		var x float64
		switch {
		case strings.HasSuffix(key, "running_var") || oneD && strings.HasSuffix(key, "weight"):
			x = 0.5 + v
		case strings.HasSuffix(key, "running_mean") || oneD && strings.HasSuffix(key, "bias"):
			x = (v - 0.5) * 0.5
		default:
			x = (2*v - 1) * math.Sqrt(3/float64(t.Len()/t.Dim(0)))
		}
		d[i] = float32(x)
	}
}

// TestZooBForwardMatchesTorchvision loads formula-filled weights (see
// tools/zoo/golden_b.py) into full-size models and compares their
// eval-mode logits with torchvision's, computed in float64.
func TestZooBForwardMatchesTorchvision(t *testing.T) {
	ts, _, err := checkpoint.Load(filepath.Join("..", "testdata", "zoo", "forward_b.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		hw   int
	}{{"resnet20_proj", 32}, {"resnet18", 64}, {"resnet50", 64}, {"mobilenet_v2", 64}, {"efficientnet_b0", 64}, {"efficientnet_b5", 64}} {
		t.Run(c.name, func(t *testing.T) {
			if testing.Short() && c.name == "efficientnet_b5" {
				t.Skip("short")
			}
			m, err := New(c.name, tensor.NewRNG(1), Options{})
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range nn.StateDict(m) {
				zoobFill(k, v)
			}
			nn.Eval(m)
			x := tensor.New(2, 3, c.hw, c.hw)
			for i, u := range zoobUniform(c.name+"/x", x.Len()) {
				x.Data()[i] = float32((2*u - 1) * math.Sqrt(3))
			}
			start := time.Now()
			y := m.Forward(ops.Const(x))
			t.Logf("forward %v in %v", x.Shape(), time.Since(start))
			within(t, c.name+" logits", y.Value, ts[c.name+"/y"], 1e-4)
		})
	}
}

// zoobTrain checks one model in training mode: after forward and backward
// on a fixed batch of two every parameter has a finite gradient, and SGD
// (momentum 0.9) on that batch brings the loss below half its first value
// and below 0.5 (the batch is fitted, not merely the logits shrunk) within
// steps steps.
func zoobTrain(t *testing.T, name string, in [3]int, lr float64, steps int) {
	t.Helper()
	g := tensor.NewRNG(7)
	m, err := New(name, g, Options{NumClasses: 10, InChannels: in[0]})
	if err != nil {
		t.Fatal(err)
	}
	nn.Train(m)
	x := ops.Const(tensor.Randn(g, 0, 1, 2, in[0], in[1], in[2]))
	y := []int{3, 7}
	opt := optim.NewSGD(nn.Parameters(m), optim.SGDConfig{LR: lr, Momentum: 0.9})
	start := time.Now()
	var first float32
	for step := 1; step <= steps; step++ {
		opt.ZeroGrad()
		loss := ops.CrossEntropy(m.Forward(x), y, ops.CrossEntropyOptions{})
		l := loss.Value.Item()
		loss.Backward()
		if step == 1 {
			first = l
			for _, p := range nn.Parameters(m) {
				if p.V.Grad == nil {
					t.Fatalf("%s: no gradient", p.Name)
				}
				if p.V.Grad.HasNaNOrInf() {
					t.Fatalf("%s: gradient not finite", p.Name)
				}
			}
		}
		if math.IsNaN(float64(l)) {
			t.Fatalf("step %d: loss NaN", step)
		}
		if l < first/2 && l < 0.5 {
			t.Logf("%s %v: loss %.4g → %.4g at step %d (%v)", name, in, first, l, step, time.Since(start))
			return
		}
		opt.Step()
	}
	t.Errorf("%s: loss did not fall below min(%.4g/2, 0.5) in %d steps", name, first, steps)
}

func TestZooBTrainsCIFAR(t *testing.T) {
	t.Run("resnet20", func(t *testing.T) { zoobTrain(t, "resnet20", [3]int{3, 32, 32}, 0.05, 20) })
	t.Run("resnet20_proj", func(t *testing.T) { zoobTrain(t, "resnet20_proj", [3]int{3, 32, 32}, 0.05, 20) })
	t.Run("plain20", func(t *testing.T) { zoobTrain(t, "plain20", [3]int{3, 32, 32}, 0.05, 20) })
	t.Run("se_resnet50", func(t *testing.T) { zoobTrain(t, "se_resnet50", [3]int{3, 32, 32}, 0.01, 20) })
}

// TestZooBMNISTSized runs every CIFAR net and the small ImageNet nets on
// 1×28×28 images (MNIST) and checks the logits' shape.
func TestZooBMNISTSized(t *testing.T) {
	names := []string{"resnet18", "mobilenet_v1", "mobilenet_v2", "efficientnet_b0"}
	for _, d := range cifarDepths {
		names = append(names, fmt.Sprintf("resnet%d", d), fmt.Sprintf("resnet%d_proj", d), fmt.Sprintf("plain%d", d))
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			m, err := New(name, tensor.NewRNG(2), Options{NumClasses: 10, InChannels: 1})
			if err != nil {
				t.Fatal(err)
			}
			for _, train := range []bool{false, true} {
				if train {
					nn.Train(m)
				} else {
					nn.Eval(m)
				}
				y := m.Forward(ops.Const(tensor.Randn(tensor.NewRNG(3), 0, 1, 2, 1, 28, 28)))
				if !tensor.ShapeEqual(y.Value.Shape(), []int{2, 10}) || y.Value.HasNaNOrInf() {
					t.Fatalf("train=%v: output %v (finite: %v)", train, y.Value.Shape(), !y.Value.HasNaNOrInf())
				}
			}
		})
	}
}

// TestCIFARShortcutA checks the zero-padded identity: with the residual
// branch silenced (BN2 γ = β = 0) a downsampling block outputs
// relu(x[:, :, ::2, ::2]) in the first channels and zeros after.
func TestCIFARShortcutA(t *testing.T) {
	g := tensor.NewRNG(4)
	b := newCIFARBlock(g, CIFARShortcutA, 2, 4, 2)
	b.BN2.Weight.Value.Zero()
	b.BN2.Bias.Value.Zero()
	nn.Eval(b)
	x := tensor.Randn(g, 0, 1, 1, 2, 5, 5)
	y := b.Forward(ops.Const(x)).Value
	if !tensor.ShapeEqual(y.Shape(), []int{1, 4, 3, 3}) {
		t.Fatalf("shape %v", y.Shape())
	}
	for c := 0; c < 4; c++ {
		for i := 0; i < 3; i++ {
			for j := 0; j < 3; j++ {
				var want float32
				if c < 2 {
					want = max(0, x.At(0, c, 2*i, 2*j))
				}
				if got := y.At(0, c, i, j); got != want {
					t.Fatalf("y[0,%d,%d,%d] = %v, want %v", c, i, j, got, want)
				}
			}
		}
	}
	if len(nn.Parameters(b)) != 6 {
		t.Fatalf("option A block has %d parameter tensors, want 6 (no shortcut weights)", len(nn.Parameters(b)))
	}
	p := newCIFARBlock(g, CIFARPlain, 2, 4, 2)
	p.BN2.Weight.Value.Zero()
	p.BN2.Bias.Value.Zero()
	nn.Eval(p)
	if p.Forward(ops.Const(x)).Value.MaxAbs() != 0 {
		t.Fatal("plain block with a silenced branch is not zero")
	}
}
