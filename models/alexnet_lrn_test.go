package models

import (
	"testing"

	"convnet/ops"
	"convnet/tensor"
)

func TestAlexNetLRN(t *testing.T) {
	zooaCheck(t, "alexnet-lrn", 60965224, alexNetMinInput)
	t.Run("options", func(t *testing.T) { zooaOptions(t, "alexnet-lrn", alexNetMinInput) })
	t.Run("trains", func(t *testing.T) {
		m := NewAlexNetLRN(tensor.NewRNG(4), 3, 10)
		x, y := zooaBatch(5, 2, 3, alexNetMinInput, 10)
		zooaOverfit(t, m, 0.1, 20, func() *ops.Var {
			return ops.CrossEntropy(m.Forward(x), y, ops.CrossEntropyOptions{})
		})
	})
}
