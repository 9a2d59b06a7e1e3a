// Package optim holds the optimizers (SGD, Adam, AdamW) and learning-rate
// schedules of convnet. Each update follows PyTorch 1.13's formulas exactly
// (torch.optim, the single-tensor "for-loop" implementation), element by
// element in float32 with the scalar coefficients computed in float64.
package optim

import (
	"fmt"
	"math"
	"strconv"

	"convnet/internal/kernels"
	"convnet/nn"
	"convnet/tensor"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient.
	Step()
	// ZeroGrad clears all parameter gradients.
	ZeroGrad()
	// LR returns the current learning rate.
	LR() float64
	// SetLR changes the learning rate (used by schedules).
	SetLR(lr float64)
	// State returns the optimizer's per-parameter buffers keyed
	// "<buffer>/<parameter name>" and its scalar settings as strings, for
	// checkpoints. The tensors are the optimizer's own storage.
	State() (map[string]*tensor.Tensor, map[string]string)
	// LoadState restores what State returned.
	LoadState(bufs map[string]*tensor.Tensor, meta map[string]string) error
}

// base holds what every optimizer shares.
type base struct {
	params []nn.Param
	lr     float64
	bufs   map[string]*tensor.Tensor // "<kind>/<param>"
	steps  int                       // number of Step calls (Adam's bias correction)
}

func (b *base) ZeroGrad() {
	for _, p := range b.params {
		p.V.ZeroGrad()
	}
}

func (b *base) LR() float64      { return b.lr }
func (b *base) SetLR(lr float64) { b.lr = lr }

// buf returns the named buffer of parameter p, creating it from init (or
// zeros when init is nil) on first use.
func (b *base) buf(kind string, p nn.Param, init *tensor.Tensor) (*tensor.Tensor, bool) {
	key := kind + "/" + p.Name
	if t, ok := b.bufs[key]; ok {
		return t, false
	}
	var t *tensor.Tensor
	if init != nil {
		t = init.Clone()
	} else {
		t = tensor.New(p.V.Value.Shape()...)
	}
	b.bufs[key] = t
	return t, true
}

func (b *base) State() (map[string]*tensor.Tensor, map[string]string) {
	return b.bufs, map[string]string{"lr": strconv.FormatFloat(b.lr, 'g', -1, 64), "steps": strconv.Itoa(b.steps)}
}

func (b *base) LoadState(bufs map[string]*tensor.Tensor, meta map[string]string) error {
	shapes := map[string][]int{}
	for _, p := range b.params {
		shapes[p.Name] = p.V.Value.Shape()
	}
	for k, t := range bufs {
		name := ""
		for i := 0; i < len(k); i++ {
			if k[i] == '/' {
				name = k[i+1:]
				break
			}
		}
		s, ok := shapes[name]
		if !ok {
			return fmt.Errorf("optimizer state: buffer %q is for no parameter of this model", k)
		}
		if !tensor.ShapeEqual(s, t.Shape()) {
			return fmt.Errorf("optimizer state: buffer %q has shape %v, parameter has %v", k, t.Shape(), s)
		}
	}
	lr, err := strconv.ParseFloat(meta["lr"], 64)
	if err != nil {
		return fmt.Errorf("optimizer state: bad lr %q", meta["lr"])
	}
	steps, err := strconv.Atoi(meta["steps"])
	if err != nil || steps < 0 {
		return fmt.Errorf("optimizer state: bad steps %q", meta["steps"])
	}
	b.bufs = map[string]*tensor.Tensor{}
	for k, t := range bufs {
		b.bufs[k] = t.Clone()
	}
	b.lr, b.steps = lr, steps
	return nil
}

// SGDConfig configures SGD; zero values are PyTorch's defaults.
type SGDConfig struct {
	LR          float64
	Momentum    float64
	Dampening   float64
	Nesterov    bool
	WeightDecay float64
}

// SGD is stochastic gradient descent with optional momentum, dampening,
// Nesterov momentum and L2 weight decay:
//
//	g = grad + wd·p
//	buf = g (first step), else buf = momentum·buf + (1−dampening)·g
//	g = g + momentum·buf (Nesterov), else g = buf
//	p = p − lr·g
type SGD struct {
	base
	cfg SGDConfig
}

// NewSGD returns an SGD optimizer over params.
func NewSGD(params []nn.Param, c SGDConfig) *SGD {
	if c.Nesterov && (c.Momentum <= 0 || c.Dampening != 0) {
		panic("optim: Nesterov momentum requires a momentum and zero dampening")
	}
	return &SGD{base: base{params: params, lr: c.LR, bufs: map[string]*tensor.Tensor{}}, cfg: c}
}

// Step applies one SGD update.
func (o *SGD) Step() {
	o.steps++
	wd, mom, damp := float32(o.cfg.WeightDecay), float32(o.cfg.Momentum), float32(1-o.cfg.Dampening)
	negLR := float32(-o.lr)
	for _, p := range o.params {
		if p.V.Grad == nil {
			continue
		}
		pd, gd := p.V.Value.Data(), p.V.Grad.Data()
		var bd []float32
		fresh := false
		if mom != 0 {
			b, created := o.buf("momentum_buffer", p, nil)
			bd, fresh = b.Data(), created
		}
		// The common cases run as vector kernels: momentum after the first
		// step (with or without weight decay) and plain SGD without it.
		// The first step and Nesterov momentum take the loop, whose
		// products are converted to float32 before they are summed, so
		// that no build fuses them: the kernels round every operation on
		// its own too.
		var update func(lo, hi int)
		switch {
		case bd != nil && !fresh && !o.cfg.Nesterov:
			update = func(lo, hi int) { kernels.SGDMomentum(pd[lo:hi], gd[lo:hi], bd[lo:hi], wd, mom, damp, negLR) }
		case bd == nil && wd == 0:
			update = func(lo, hi int) { kernels.AddScaled(pd[lo:hi], gd[lo:hi], negLR) }
		default:
			update = func(lo, hi int) {
				for i := lo; i < hi; i++ {
					g := gd[i]
					if wd != 0 {
						g += float32(wd * pd[i])
					}
					if bd != nil {
						if fresh {
							bd[i] = g
						} else {
							bd[i] = float32(bd[i]*mom) + float32(damp*g)
						}
						if o.cfg.Nesterov {
							g += float32(mom * bd[i])
						} else {
							g = bd[i]
						}
					}
					pd[i] += float32(negLR * g)
				}
			}
		}
		// Every element's update is independent of the others, so large
		// parameters split over the threads give the same bits. (Serial,
		// the update of ResNet-18's 11.7 M parameters held the other
		// thread idle for 3 % of a batch-16 training step.)
		if len(pd) >= stepParallelMin {
			kernels.ParallelFor(len(pd), stepParallelMin/2, update)
		} else {
			update(0, len(pd))
		}
	}
}

// stepParallelMin is the fewest elements of a parameter whose update is
// split over the threads.
const stepParallelMin = 1 << 15

// AdamConfig configures Adam and AdamW; zero Betas and Eps mean PyTorch's
// defaults (0.9, 0.999) and 1e-8.
type AdamConfig struct {
	LR          float64
	Betas       [2]float64
	Eps         float64
	WeightDecay float64
}

// Adam is Kingma & Ba's optimizer (arXiv:1412.6980) in PyTorch's form; with
// Decoupled set it is AdamW (Loshchilov & Hutter, arXiv:1711.05101):
//
//	AdamW: p = p·(1 − lr·wd);  Adam: g = grad + wd·p
//	m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²
//	p = p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + eps)
type Adam struct {
	base
	cfg       AdamConfig
	decoupled bool
}

// NewAdam returns an Adam optimizer (L2 weight decay added to the gradient).
func NewAdam(params []nn.Param, c AdamConfig) *Adam { return newAdam(params, c, false) }

// NewAdamW returns an AdamW optimizer (decoupled weight decay).
func NewAdamW(params []nn.Param, c AdamConfig) *Adam { return newAdam(params, c, true) }

func newAdam(params []nn.Param, c AdamConfig, decoupled bool) *Adam {
	if c.Betas == [2]float64{} {
		c.Betas = [2]float64{0.9, 0.999}
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
	return &Adam{base: base{params: params, lr: c.LR, bufs: map[string]*tensor.Tensor{}}, cfg: c, decoupled: decoupled}
}

// Step applies one Adam(W) update.
func (o *Adam) Step() {
	o.steps++
	b1, b2 := o.cfg.Betas[0], o.cfg.Betas[1]
	t := float64(o.steps)
	bc1 := 1 - math.Pow(b1, t)
	bc2sqrt := float32(math.Sqrt(1 - math.Pow(b2, t)))
	stepSize := float32(o.lr / bc1)
	eps, wd := float32(o.cfg.Eps), float32(o.cfg.WeightDecay)
	decay := float32(1 - o.lr*o.cfg.WeightDecay)
	fb1, fb2 := float32(b1), float32(b2)
	ob1, ob2 := float32(1-b1), float32(1-b2)
	for _, p := range o.params {
		if p.V.Grad == nil {
			continue
		}
		m, _ := o.buf("exp_avg", p, nil)
		v, _ := o.buf("exp_avg_sq", p, nil)
		pd, gd, md, vd := p.V.Value.Data(), p.V.Grad.Data(), m.Data(), v.Data()
		for i := range pd {
			g := gd[i]
			if o.decoupled {
				pd[i] *= decay
			} else if wd != 0 {
				g += wd * pd[i]
			}
			md[i] = md[i]*fb1 + ob1*g
			vd[i] = vd[i]*fb2 + ob2*(g*g)
			denom := float32(math.Sqrt(float64(vd[i])))/bc2sqrt + eps
			pd[i] -= stepSize * (md[i] / denom)
		}
	}
}
