package models

import (
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

func TestSqueezeNet11(t *testing.T) {
	zooaCheck(t, "squeezenet1_1", 1235496, squeezeMinInput)
	t.Run("options", func(t *testing.T) { zooaOptions(t, "squeezenet1_1", squeezeMinInput) })
	t.Run("trains", func(t *testing.T) {
		m := NewSqueezeNet11(tensor.NewRNG(4), 3, 10)
		x, y := zooaBatch(5, 2, 3, 32, 10)
		zooaOverfit(t, m, 0.01, 20, func() *ops.Var {
			return ops.CrossEntropy(m.Forward(x), y, ops.CrossEntropyOptions{})
		})
	})
}
