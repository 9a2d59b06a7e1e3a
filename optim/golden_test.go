package optim_test

import (
	"encoding/json"
	"math"
	"path/filepath"
	"testing"

	"convnet/checkpoint"
	"convnet/nn"
	"convnet/ops"
	"convnet/optim"
	"convnet/tensor"
)

// TestGoldenOptimizers replays PyTorch 1.13's optimizer trajectories from
// testdata/golden/optim.safetensors (see tools/golden/README.md): 5 steps of
// fixed gradients, parameters compared after every step within 1e-5
// relative to the parameters' scale.
func TestGoldenOptimizers(t *testing.T) {
	ts, meta, err := checkpoint.Load(filepath.Join("..", "testdata", "golden", "optim.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	if len(meta) < 8 {
		t.Fatalf("only %d optimizer cases", len(meta))
	}
	for name, raw := range meta {
		var m struct {
			Optimizer   string     `json:"optimizer"`
			Params      []string   `json:"params"`
			LR          float64    `json:"lr"`
			Momentum    float64    `json:"momentum"`
			Dampening   float64    `json:"dampening"`
			Nesterov    bool       `json:"nesterov"`
			WeightDecay float64    `json:"weight_decay"`
			Betas       [2]float64 `json:"betas"`
			Eps         float64    `json:"eps"`
			Steps       int        `json:"steps"`
		}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) {
			var params []nn.Param
			for _, p := range m.Params {
				params = append(params, nn.Param{Name: p, V: ops.Param(ts[name+"/param_step0/"+p].Clone())})
			}
			var o optim.Optimizer
			switch m.Optimizer {
			case "SGD":
				o = optim.NewSGD(params, optim.SGDConfig{LR: m.LR, Momentum: m.Momentum, Dampening: m.Dampening, Nesterov: m.Nesterov, WeightDecay: m.WeightDecay})
			case "Adam":
				o = optim.NewAdam(params, optim.AdamConfig{LR: m.LR, Betas: m.Betas, Eps: m.Eps, WeightDecay: m.WeightDecay})
			case "AdamW":
				o = optim.NewAdamW(params, optim.AdamConfig{LR: m.LR, Betas: m.Betas, Eps: m.Eps, WeightDecay: m.WeightDecay})
			default:
				t.Fatalf("unknown optimizer %q", m.Optimizer)
			}
			for step := 1; step <= m.Steps; step++ {
				for _, p := range params {
					p.V.Grad = ts[name+"/grad_step"+itoa(step)+"/"+p.Name].Clone()
				}
				o.Step()
				for _, p := range params {
					want := ts[name+"/param_step"+itoa(step)+"/"+p.Name]
					d := tensor.MaxAbsDiff(p.V.Value, want)
					if d > 1e-5*math.Max(1, want.MaxAbs()) {
						t.Fatalf("step %d, %s: max abs error %.3g", step, p.Name, d)
					}
				}
			}
		})
	}
}

// TestGoldenSchedules compares the LR schedules with PyTorch's schedulers.
func TestGoldenSchedules(t *testing.T) {
	_, meta, err := checkpoint.Load(filepath.Join("..", "testdata", "golden", "schedule.safetensors"))
	if err != nil {
		t.Fatal(err)
	}
	sch := map[string]optim.Schedule{
		"step_lr":             optim.StepLR{Base: 0.1, StepSize: 2, Gamma: 0.1},
		"cosine_annealing_lr": optim.Cosine{Base: 0.1, Min: 0.001, TMax: 5},
		"multi_step_lr":       optim.MultiStepLR{Base: 0.1, Milestones: []int{2, 4}, Gamma: 0.1},
	}
	for name, raw := range meta {
		var m struct {
			LRs []float64 `json:"lrs"`
		}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatal(err)
		}
		s, ok := sch[name]
		if !ok {
			t.Fatalf("no schedule for case %s", name)
		}
		for e, want := range m.LRs {
			if got := s.LR(e); math.Abs(got-want) > 1e-12 {
				t.Errorf("%s epoch %d: lr %v, want %v", name, e, got, want)
			}
		}
	}
}

func itoa(i int) string { return string(rune('0' + i)) }
