package models

import (
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

// vggParams are torchvision 0.14's parameter counts for 1000 classes
// (tools/zoo/counts_a.py).
var vggParams = map[string]int{
	"vgg11": 132863336, "vgg13": 133047848, "vgg16": 138357544, "vgg19": 143667240,
	"vgg11_bn": 132868840, "vgg13_bn": 133053736, "vgg16_bn": 138365992, "vgg19_bn": 143678248,
}

func TestVGG(t *testing.T) {
	for _, v := range vggModels {
		t.Run(v.name, func(t *testing.T) { zooaCheck(t, v.name, vggParams[v.name], vggMinInput) })
	}
	// The eight configurations share the code that sizes the first and last
	// layers, so one of them checks Options (each build costs ~1 s).
	t.Run("vgg11/options", func(t *testing.T) { zooaOptions(t, "vgg11", vggMinInput) })
	t.Run("vgg11_bn/trains", func(t *testing.T) {
		m := NewVGG(tensor.NewRNG(4), "A", true, 3, 10)
		x, y := zooaBatch(5, 2, 3, vggMinInput, 10)
		zooaOverfit(t, m, 0.01, 20, func() *ops.Var {
			return ops.CrossEntropy(m.Forward(x), y, ops.CrossEntropyOptions{})
		})
	})
}
