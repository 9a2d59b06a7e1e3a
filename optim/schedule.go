package optim

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Schedule gives the learning rate for an epoch (counted from 0), as
// PyTorch's schedulers do after `epoch` calls of scheduler.step().
type Schedule interface {
	LR(epoch int) float64
}

// Constant keeps the base learning rate.
type Constant struct{ Base float64 }

// LR returns Base.
func (c Constant) LR(int) float64 { return c.Base }

// StepLR multiplies the rate by Gamma every StepSize epochs:
// lr = base·gamma^⌊epoch/step⌋.
type StepLR struct {
	Base     float64
	StepSize int
	Gamma    float64
}

// LR returns the rate for epoch.
func (s StepLR) LR(epoch int) float64 {
	return s.Base * math.Pow(s.Gamma, float64(epoch/max(s.StepSize, 1)))
}

// MultiStepLR multiplies the rate by Gamma at each milestone epoch.
type MultiStepLR struct {
	Base       float64
	Milestones []int
	Gamma      float64
}

// LR returns the rate for epoch.
func (s MultiStepLR) LR(epoch int) float64 {
	n := 0
	for _, m := range s.Milestones {
		if epoch >= m {
			n++
		}
	}
	return s.Base * math.Pow(s.Gamma, float64(n))
}

// Cosine anneals from Base to Min over TMax epochs (SGDR without restarts,
// Loshchilov & Hutter arXiv:1608.03983): lr = min + (base−min)·(1+cos(π·e/T))/2.
type Cosine struct {
	Base, Min float64
	TMax      int
}

// LR returns the rate for epoch.
func (c Cosine) LR(epoch int) float64 {
	t := max(c.TMax, 1)
	return c.Min + (c.Base-c.Min)*(1+math.Cos(math.Pi*float64(epoch)/float64(t)))/2
}

// ParseSchedule reads a schedule description as used on the command line:
// "const", "step:S:G" (StepLR every S epochs by G), "multistep:M1,M2:G",
// "cos" (cosine to 0 over epochs) or "cos:MIN".
func ParseSchedule(s string, base float64, epochs int) (Schedule, error) {
	parts := strings.Split(s, ":")
	bad := func() (Schedule, error) {
		return nil, fmt.Errorf("bad schedule %q (want const, step:EPOCHS:GAMMA, multistep:E1,E2:GAMMA, cos or cos:MIN)", s)
	}
	switch parts[0] {
	case "", "const", "constant":
		if len(parts) > 1 {
			return bad()
		}
		return Constant{base}, nil
	case "step":
		if len(parts) != 3 {
			return bad()
		}
		st, err1 := strconv.Atoi(parts[1])
		g, err2 := strconv.ParseFloat(parts[2], 64)
		if err1 != nil || err2 != nil || st < 1 || g <= 0 {
			return bad()
		}
		return StepLR{base, st, g}, nil
	case "multistep":
		if len(parts) != 3 {
			return bad()
		}
		var ms []int
		for _, f := range strings.Split(parts[1], ",") {
			m, err := strconv.Atoi(f)
			if err != nil || m < 1 {
				return bad()
			}
			ms = append(ms, m)
		}
		g, err := strconv.ParseFloat(parts[2], 64)
		if err != nil || g <= 0 {
			return bad()
		}
		return MultiStepLR{base, ms, g}, nil
	case "cos", "cosine":
		mn := 0.0
		if len(parts) == 2 {
			v, err := strconv.ParseFloat(parts[1], 64)
			if err != nil || v < 0 {
				return bad()
			}
			mn = v
		} else if len(parts) > 2 {
			return bad()
		}
		return Cosine{base, mn, epochs}, nil
	}
	return bad()
}
