package models

import (
	"convnet/nn"
	"convnet/ops"
	"convnet/tensor"
)

// AuxModel is a model with auxiliary classifiers, such as GoogLeNet's, that
// add losses computed from intermediate layers while training. ForwardAux
// returns the main logits [N, classes] and, in training mode only, the
// auxiliary logits (each [N, classes]); in evaluation mode aux is empty and
// main equals Forward's output. A trainer adds each auxiliary
// cross-entropy loss to the main loss weighted by 0.3, as Szegedy et al.
// did (arXiv:1409.4842 §5): loss = main + 0.3·Σ aux.
type AuxModel interface {
	nn.Module
	ForwardAux(x *ops.Var) (main *ops.Var, aux []*ops.Var)
}

// GoogLeNet is Szegedy et al.'s Inception v1 ("Going deeper with
// convolutions", arXiv:1409.4842, Table 1) exactly as torchvision 0.14's
// GoogLeNet (transform_input=False) builds it, which differs from the paper
// in two ways: every convolution is a BasicConv2d (conv without bias →
// BatchNorm(eps 0.001) → ReLU), and the "5×5" branch of each Inception
// module uses a 3×3 convolution. Pools use ceil mode.
//
//	layer         op (#1×1, #3×3 reduce, #3×3, #"5×5" reduce, #"5×5", pool proj)  output (224×224 input)
//	conv1         conv 7×7/2, pad 3, 64                    64×112×112
//	maxpool1      max pool 3×3/2                           64×56×56
//	conv2         conv 1×1, 64                             64×56×56
//	conv3         conv 3×3, pad 1, 192                     192×56×56
//	maxpool2      max pool 3×3/2                           192×28×28
//	inception3a   64, 96, 128, 16, 32, 32                  256×28×28
//	inception3b   128, 128, 192, 32, 96, 64                480×28×28
//	maxpool3      max pool 3×3/2                           480×14×14
//	inception4a   192, 96, 208, 16, 48, 64                 512×14×14   → aux1
//	inception4b   160, 112, 224, 24, 64, 64                512×14×14
//	inception4c   128, 128, 256, 24, 64, 64                512×14×14
//	inception4d   112, 144, 288, 32, 64, 64                528×14×14   → aux2
//	inception4e   256, 160, 320, 32, 128, 128              832×14×14
//	maxpool4      max pool 2×2/2                           832×7×7
//	inception5a   256, 160, 320, 32, 128, 128              832×7×7
//	inception5b   384, 192, 384, 48, 128, 128              1024×7×7
//	avgpool       adaptive average pool to 1×1, flatten    1024
//	dropout, fc   dropout 0.2 → fc 1024→classes
//
// Each auxiliary classifier (InceptionAux) is: adaptive average pool to
// 4×4 → conv 1×1, 128 → flatten (2048) → fc 2048→1024 → ReLU → dropout 0.7
// → fc 1024→classes. They run only in training mode (see AuxModel).
//
// Parameter counts (1000 classes): 6,624,904 without the auxiliary
// classifiers (torchvision's googlenet(aux_logits=False), the ImageNet
// weights), 13,004,888 with them (torchvision's default when training from
// scratch). The registry has both: "googlenet" with Aux1, Aux2 and
// "googlenet-noaux" without (Aux1 and Aux2 nil); the aux parameters are
// exactly those whose names start with "aux1." or "aux2.".
// Initialisation is torchvision's: conv and linear weights from N(0, 0.01²)
// truncated to [−2, 2], linear biases PyTorch's default, BatchNorm γ = 1,
// β = 0. The smallest input is 15×15 (MNIST's 28×28 works).
type GoogLeNet struct {
	nn.Base
	Conv1, Conv2, Conv3         *BasicConv2d
	Inception3a, Inception3b    *Inception
	Inception4a, Inception4b    *Inception
	Inception4c, Inception4d    *Inception
	Inception4e                 *Inception
	Inception5a, Inception5b    *Inception
	Aux1, Aux2                  *InceptionAux // nil without auxiliary classifiers
	Dropout                     *nn.Dropout
	FC                          *nn.Linear // [classes, 1024]
	maxPool1, maxPool2          *nn.Func
	maxPool3, maxPool4, avgPool *nn.Func
}

// googLeNetMinInput is the smallest height and width GoogLeNet accepts.
const googLeNetMinInput = 15

// BasicConv2d is torchvision's Inception building block: a convolution
// without bias, BatchNorm with eps 0.001, then ReLU.
type BasicConv2d struct {
	nn.Base
	Conv *nn.Conv2d    // [Out, In, K, K], no bias
	BN   *nn.BatchNorm // [Out]
}

// googLeNetInit fills a weight with torchvision's GoogLeNet initialisation:
// N(0, 0.01²) truncated to [−2, 2].
func googLeNetInit(w *tensor.Tensor, g *tensor.RNG) { w.FillTruncNormal(g, 0, 0.01, -2, 2) }

// NewBasicConv2d builds a BasicConv2d with a k×k kernel, stride and padding.
func NewBasicConv2d(g *tensor.RNG, in, out, k, stride, pad int) *BasicConv2d {
	w := tensor.New(out, in, k, k)
	googLeNetInit(w, g)
	bn := nn.NewBatchNorm2d(out)
	bn.Eps = 0.001
	return &BasicConv2d{
		Conv: &nn.Conv2d{Weight: ops.Param(w), Config: nn.Conv2dConfig{In: in, Out: out, Kernel: [2]int{k, k},
			Stride: [2]int{stride, stride}, Padding: [4]int{pad, pad, pad, pad}, NoBias: true}},
		BN: bn,
	}
}

// Forward maps x [N, In, H, W] to ReLU(BN(conv(x))) [N, Out, OH, OW].
func (b *BasicConv2d) Forward(x *ops.Var) *ops.Var { return b.BN.ForwardReLU(b.Conv.Forward(x)) }

// Children names the parts as torchvision does.
func (b *BasicConv2d) Children() []nn.Child {
	return []nn.Child{{Name: "conv", Module: b.Conv}, {Name: "bn", Module: b.BN}}
}

// Inception is the Inception module (torchvision's layout): four branches
// over the same input, concatenated along channels.
//
//	branch1   1×1 conv, c1
//	branch2   1×1 conv, r3 → 3×3 conv pad 1, c3
//	branch3   1×1 conv, r5 → 3×3 conv pad 1, c5 (5×5 in the paper)
//	branch4   3×3/1 max pool pad 1 (ceil) → 1×1 conv, pp
//
// Output [N, c1+c3+c5+pp, H, W] for input [N, In, H, W].
type Inception struct {
	nn.Base
	Branch1 *BasicConv2d
	Branch2 *nn.Sequential // 0: 1×1 reduce, 1: 3×3
	Branch3 *nn.Sequential // 0: 1×1 reduce, 1: 3×3
	Branch4 *nn.Sequential // 0: max pool, 1: 1×1 projection
}

// NewInception builds an Inception module with the column values of the
// paper's Table 1: #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
func NewInception(g *tensor.RNG, in, c1, r3, c3, r5, c5, pp int) *Inception {
	return &Inception{
		Branch1: NewBasicConv2d(g, in, c1, 1, 1, 0),
		Branch2: nn.NewSequential(NewBasicConv2d(g, in, r3, 1, 1, 0), NewBasicConv2d(g, r3, c3, 3, 1, 1)),
		Branch3: nn.NewSequential(NewBasicConv2d(g, in, r5, 1, 1, 0), NewBasicConv2d(g, r5, c5, 3, 1, 1)),
		Branch4: nn.NewSequential(
			nn.MaxPool2d(ops.Pool2dOptions{Kernel: [2]int{3, 3}, Stride: [2]int{1, 1}, Padding: [2]int{1, 1}, CeilMode: true}),
			NewBasicConv2d(g, in, pp, 1, 1, 0)),
	}
}

// Forward maps x [N, In, H, W] to the concatenated branches [N, Out, H, W].
func (m *Inception) Forward(x *ops.Var) *ops.Var {
	return ops.Concat(1, m.Branch1.Forward(x), m.Branch2.Forward(x), m.Branch3.Forward(x), m.Branch4.Forward(x))
}

// Children names the branches as torchvision does.
func (m *Inception) Children() []nn.Child {
	return []nn.Child{{Name: "branch1", Module: m.Branch1}, {Name: "branch2", Module: m.Branch2},
		{Name: "branch3", Module: m.Branch3}, {Name: "branch4", Module: m.Branch4}}
}

// InceptionAux is an auxiliary classifier: adaptive average pool to 4×4 →
// BasicConv2d 1×1, 128 → flatten → fc 2048→1024 → ReLU → dropout 0.7 → fc
// 1024→classes.
type InceptionAux struct {
	nn.Base
	Conv    *BasicConv2d // [128, In, 1, 1]
	FC1     *nn.Linear   // [1024, 2048]
	FC2     *nn.Linear   // [classes, 1024]
	Dropout *nn.Dropout
}

// googLeNetLinear is a Linear layer with GoogLeNet's initialisation:
// truncated N(0, 0.01²) weight, PyTorch's default bias.
func googLeNetLinear(g *tensor.RNG, in, out int) *nn.Linear {
	l := nn.NewLinear(g, in, out, true)
	googLeNetInit(l.Weight.Value, g)
	return l
}

// NewInceptionAux builds an auxiliary classifier over in channels.
func NewInceptionAux(g *tensor.RNG, in, numClasses int) *InceptionAux {
	return &InceptionAux{Conv: NewBasicConv2d(g, in, 128, 1, 1, 0), FC1: googLeNetLinear(g, 2048, 1024),
		FC2: googLeNetLinear(g, 1024, numClasses), Dropout: nn.NewDropout(g, 0.7)}
}

// Forward maps x [N, In, H, W] to logits [N, classes].
func (a *InceptionAux) Forward(x *ops.Var) *ops.Var {
	x = a.Conv.Forward(ops.AdaptiveAvgPool2d(x, 4, 4)) // [N, 128, 4, 4]
	x = ops.ReLU(a.FC1.Forward(ops.Flatten(x)))        // [N, 1024]
	return a.FC2.Forward(a.Dropout.Forward(x))         // [N, classes]
}

// Children names the parts as torchvision does.
func (a *InceptionAux) Children() []nn.Child {
	return []nn.Child{{Name: "conv", Module: a.Conv}, {Name: "fc1", Module: a.FC1}, {Name: "fc2", Module: a.FC2},
		{Name: "dropout", Module: a.Dropout}}
}

// NewGoogLeNet builds torchvision's GoogLeNet for inChannels-channel images
// with numClasses outputs, with the two auxiliary classifiers when aux is
// set, initialised from g.
func NewGoogLeNet(g *tensor.RNG, inChannels, numClasses int, aux bool) *GoogLeNet {
	pool := func(k int) *nn.Func {
		return nn.MaxPool2d(ops.Pool2dOptions{Kernel: [2]int{k, k}, Stride: [2]int{2, 2}, CeilMode: true})
	}
	m := &GoogLeNet{
		Conv1: NewBasicConv2d(g, inChannels, 64, 7, 2, 3), maxPool1: pool(3),
		Conv2: NewBasicConv2d(g, 64, 64, 1, 1, 0), Conv3: NewBasicConv2d(g, 64, 192, 3, 1, 1), maxPool2: pool(3),
		Inception3a: NewInception(g, 192, 64, 96, 128, 16, 32, 32),
		Inception3b: NewInception(g, 256, 128, 128, 192, 32, 96, 64), maxPool3: pool(3),
		Inception4a: NewInception(g, 480, 192, 96, 208, 16, 48, 64),
		Inception4b: NewInception(g, 512, 160, 112, 224, 24, 64, 64),
		Inception4c: NewInception(g, 512, 128, 128, 256, 24, 64, 64),
		Inception4d: NewInception(g, 512, 112, 144, 288, 32, 64, 64),
		Inception4e: NewInception(g, 528, 256, 160, 320, 32, 128, 128), maxPool4: pool(2),
		Inception5a: NewInception(g, 832, 256, 160, 320, 32, 128, 128),
		Inception5b: NewInception(g, 832, 384, 192, 384, 48, 128, 128),
	}
	if aux {
		m.Aux1 = NewInceptionAux(g, 512, numClasses)
		m.Aux2 = NewInceptionAux(g, 528, numClasses)
	}
	m.avgPool = nn.AdaptiveAvgPool2d(1, 1)
	m.Dropout = nn.NewDropout(g, 0.2)
	m.FC = googLeNetLinear(g, 1024, numClasses)
	return m
}

// ForwardAux maps x [N, C, H, W] (H, W ≥ 15) to the main logits
// [N, classes] and, in training mode with auxiliary classifiers, the
// auxiliary logits [aux1, aux2] (each [N, classes]).
func (m *GoogLeNet) ForwardAux(x *ops.Var) (main *ops.Var, aux []*ops.Var) {
	useAux := m.Training() && m.Aux1 != nil
	x = m.maxPool1.Forward(m.Conv1.Forward(x))                  // [N, 64, H/4, W/4]
	x = m.maxPool2.Forward(m.Conv3.Forward(m.Conv2.Forward(x))) // [N, 192, H/8, W/8]
	x = m.Inception3b.Forward(m.Inception3a.Forward(x))         // [N, 480, H/8, W/8]
	x = m.Inception4a.Forward(m.maxPool3.Forward(x))            // [N, 512, H/16, W/16]
	if useAux {
		aux = append(aux, m.Aux1.Forward(x))
	}
	x = m.Inception4d.Forward(m.Inception4c.Forward(m.Inception4b.Forward(x))) // [N, 528, H/16, W/16]
	if useAux {
		aux = append(aux, m.Aux2.Forward(x))
	}
	x = m.maxPool4.Forward(m.Inception4e.Forward(x))    // [N, 832, H/32, W/32]
	x = m.Inception5b.Forward(m.Inception5a.Forward(x)) // [N, 1024, H/32, W/32]
	x = ops.Flatten(m.avgPool.Forward(x))               // [N, 1024]
	return m.FC.Forward(m.Dropout.Forward(x)), aux      // [N, classes]
}

// Forward maps x [N, C, H, W] (H, W ≥ 15) to the main logits [N, classes];
// in training mode the auxiliary classifiers still run (so that their
// BatchNorm statistics update as in torchvision) but their outputs are
// dropped: use ForwardAux to train with them.
func (m *GoogLeNet) Forward(x *ops.Var) *ops.Var {
	main, _ := m.ForwardAux(x)
	return main
}

// Children names the parts in torchvision's registration order (which is
// the state_dict order).
func (m *GoogLeNet) Children() []nn.Child {
	cs := []nn.Child{
		{Name: "conv1", Module: m.Conv1}, {Name: "maxpool1", Module: m.maxPool1},
		{Name: "conv2", Module: m.Conv2}, {Name: "conv3", Module: m.Conv3}, {Name: "maxpool2", Module: m.maxPool2},
		{Name: "inception3a", Module: m.Inception3a}, {Name: "inception3b", Module: m.Inception3b},
		{Name: "maxpool3", Module: m.maxPool3},
		{Name: "inception4a", Module: m.Inception4a}, {Name: "inception4b", Module: m.Inception4b},
		{Name: "inception4c", Module: m.Inception4c}, {Name: "inception4d", Module: m.Inception4d},
		{Name: "inception4e", Module: m.Inception4e}, {Name: "maxpool4", Module: m.maxPool4},
		{Name: "inception5a", Module: m.Inception5a}, {Name: "inception5b", Module: m.Inception5b},
	}
	if m.Aux1 != nil {
		cs = append(cs, nn.Child{Name: "aux1", Module: m.Aux1}, nn.Child{Name: "aux2", Module: m.Aux2})
	}
	return append(cs, nn.Child{Name: "avgpool", Module: m.avgPool}, nn.Child{Name: "dropout", Module: m.Dropout},
		nn.Child{Name: "fc", Module: m.FC})
}

func init() {
	register(Spec{Name: "googlenet", Paper: "Szegedy et al. 2014, arXiv:1409.4842 — torchvision 0.14 form, auxiliary classifiers on (train with ForwardAux); input ≥ 15×15",
		Input: [3]int{3, 224, 224}, Classes: 1000,
		build: func(g *tensor.RNG, o Options) nn.Module { return NewGoogLeNet(g, o.InChannels, o.NumClasses, true) }})
	register(Spec{Name: "googlenet-noaux", Paper: "Szegedy et al. 2014, arXiv:1409.4842 — torchvision 0.14 form, aux_logits=False; input ≥ 15×15",
		Input: [3]int{3, 224, 224}, Classes: 1000,
		build: func(g *tensor.RNG, o Options) nn.Module { return NewGoogLeNet(g, o.InChannels, o.NumClasses, false) }})
}
