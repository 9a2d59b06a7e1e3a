package models

import (
	"fmt"

	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// VGG is Simonyan & Zisserman's very deep network ("Very deep convolutional
// networks for large-scale image recognition", arXiv:1409.1556) as
// torchvision 0.14 builds it: a stack of 3×3 convolutions (padding 1, each
// followed by ReLU, or by BatchNorm then ReLU in the _bn variants) and 2×2
// max pools given by one of the paper's configurations (Table 1), an
// adaptive average pool to 7×7, and the classifier
//
//	classifier.0  fc 25088→4096 → ReLU → dropout 0.5
//	classifier.3  fc 4096→4096 → ReLU → dropout 0.5
//	classifier.6  fc 4096→classes
//
// Layers of features are numbered as torchvision's nn.Sequential numbers
// them, every conv, BatchNorm, ReLU and pool taking one index (vgg11:
// features.0 conv, .1 ReLU, .2 pool, .3 conv …; vgg11_bn: features.0 conv,
// .1 BatchNorm, .2 ReLU, .3 pool …). Initialisation is torchvision's:
// convolutions Kaiming-normal (fan_out, ReLU gain) with zero bias, linear
// weights N(0, 0.01²) with zero bias, BatchNorm γ = 1, β = 0.
//
// The five pools halve the input (rounding down) five times, so the
// smallest input is 32×32; at 32×32 the adaptive pool copies the single
// 512-channel pixel into all 7×7 cells. MNIST's 28×28 must be padded or
// resized to 32×32.
type VGG struct {
	nn.Base
	Features   *nn.Sequential // [N, C, H, W] → [N, 512, H/32, W/32]
	AvgPool    *nn.Func       // → [N, 512, 7, 7]
	Classifier *nn.Sequential // [N, 25088] → [N, classes]
}

// vggM marks a 2×2 max pool in a VGG configuration.
const vggM = 0

// vggConfigs are the columns of the paper's Table 1: output channels of each
// 3×3 convolution, vggM for each max pool.
var vggConfigs = map[string][]int{
	"A": {64, vggM, 128, vggM, 256, 256, vggM, 512, 512, vggM, 512, 512, vggM},                                        // 11 weight layers
	"B": {64, 64, vggM, 128, 128, vggM, 256, 256, vggM, 512, 512, vggM, 512, 512, vggM},                               // 13
	"D": {64, 64, vggM, 128, 128, vggM, 256, 256, 256, vggM, 512, 512, 512, vggM, 512, 512, 512, vggM},                // 16
	"E": {64, 64, vggM, 128, 128, vggM, 256, 256, 256, 256, vggM, 512, 512, 512, 512, vggM, 512, 512, 512, 512, vggM}, // 19
}

// vggMinInput is the smallest height and width a VGG accepts.
const vggMinInput = 32

// vggModels maps the registry names to configurations.
var vggModels = []struct {
	name, config string
	batchNorm    bool
}{
	{"vgg11", "A", false}, {"vgg13", "B", false}, {"vgg16", "D", false}, {"vgg19", "E", false},
	{"vgg11_bn", "A", true}, {"vgg13_bn", "B", true}, {"vgg16_bn", "D", true}, {"vgg19_bn", "E", true},
}

// NewVGG builds the VGG of the given configuration ("A", "B", "D" or "E",
// the paper's vgg11, vgg13, vgg16 and vgg19), with BatchNorm after every
// convolution when batchNorm is set, for inChannels-channel images and
// numClasses outputs, initialised from g.
func NewVGG(g *tensor.RNG, config string, batchNorm bool, inChannels, numClasses int) *VGG {
	cfg, ok := vggConfigs[config]
	if !ok {
		panic(fmt.Sprintf("models: unknown VGG configuration %q", config))
	}
	var layers []nn.Module
	in := inChannels
	for _, v := range cfg {
		if v == vggM {
			layers = append(layers, nn.MaxPool2d(ops.Pool2dOptions{Kernel: [2]int{2, 2}, Stride: [2]int{2, 2}}))
			continue
		}
		// conv 3×3, pad 1: weight [v, in, 3, 3], Kaiming normal (fan_out), bias 0
		w := tensor.New(v, in, 3, 3)
		nn.KaimingNormal(w, g, 0, "fan_out", "relu")
		conv := &nn.Conv2d{Weight: ops.Param(w), Bias: ops.Param(tensor.New(v)),
			Config: nn.Conv2dConfig{In: in, Out: v, Kernel: [2]int{3, 3}, Padding: [4]int{1, 1, 1, 1}}}
		layers = append(layers, conv)
		if batchNorm {
			layers = append(layers, nn.NewBatchNorm2d(v))
		}
		layers = append(layers, nn.Activation("relu"))
		in = v
	}
	return &VGG{
		Features: nn.NewSequential(layers...),
		AvgPool:  nn.AdaptiveAvgPool2d(7, 7),
		Classifier: nn.NewSequential(
			vggLinear(g, 512*7*7, 4096), nn.Activation("relu"), nn.NewDropout(g, 0.5), // 0, 1, 2
			vggLinear(g, 4096, 4096), nn.Activation("relu"), nn.NewDropout(g, 0.5), // 3, 4, 5
			vggLinear(g, 4096, numClasses), // 6
		),
	}
}

// vggLinear is a Linear layer with torchvision's VGG initialisation:
// weight [out, in] from N(0, 0.01²), bias 0.
func vggLinear(g *tensor.RNG, in, out int) *nn.Linear {
	return &nn.Linear{Weight: ops.Param(tensor.Randn(g, 0, 0.01, out, in)), Bias: ops.Param(tensor.New(out))}
}

// Forward maps x [N, C, H, W] (H, W ≥ 32) to logits [N, classes].
func (m *VGG) Forward(x *ops.Var) *ops.Var {
	x = m.AvgPool.Forward(m.Features.Forward(x)) // [N, 512, 7, 7]
	return m.Classifier.Forward(ops.Flatten(x))  // [N, classes]
}

// Children names the parts as torchvision does.
func (m *VGG) Children() []nn.Child {
	return []nn.Child{{Name: "features", Module: m.Features}, {Name: "avgpool", Module: m.AvgPool},
		{Name: "classifier", Module: m.Classifier}}
}

func init() {
	for _, v := range vggModels {
		bn := ""
		if v.batchNorm {
			bn = ", with BatchNorm"
		}
		register(Spec{Name: v.name, Paper: "Simonyan & Zisserman 2014, arXiv:1409.1556 — configuration " + v.config + bn + "; input ≥ 32×32",
			Input: [3]int{3, 224, 224}, Classes: 1000,
			build: func(g *tensor.RNG, o Options) nn.Module {
				return NewVGG(g, v.config, v.batchNorm, o.InChannels, o.NumClasses)
			}})
	}
}
