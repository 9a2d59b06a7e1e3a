package nn

import (
	"fmt"
	"math"

	"convnet/tensor"
)

// Initialisers with PyTorch's (torch.nn.init) definitions. fan_in and
// fan_out of a weight [Cout, Cin/groups, KH, KW] are Cin/groups·KH·KW and
// Cout·KH·KW; of a Linear weight [O, F] they are F and O.

// Fans returns (fan_in, fan_out) of a weight tensor shape.
func Fans(shape []int) (fanIn, fanOut int) {
	if len(shape) < 2 {
		panic(fmt.Sprintf("nn: fan in/out of a tensor with shape %v", shape))
	}
	rf := 1
	for _, d := range shape[2:] {
		rf *= d
	}
	return shape[1] * rf, shape[0] * rf
}

// Gain returns torch.nn.init.calculate_gain(nonlinearity, param) for
// "linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu" (param is the
// negative slope, 0.01 when negative) and "selu".
func Gain(nonlinearity string, param float64) float64 {
	switch nonlinearity {
	case "linear", "conv2d", "sigmoid", "identity":
		return 1
	case "tanh":
		return 5.0 / 3
	case "relu":
		return math.Sqrt2
	case "leaky_relu":
		if param < 0 {
			param = 0.01
		}
		return math.Sqrt(2 / (1 + param*param))
	case "selu":
		return 3.0 / 4
	}
	panic("nn: unknown nonlinearity " + nonlinearity)
}

// fan picks fan_in or fan_out by mode ("fan_in" or "fan_out").
func fan(shape []int, mode string) float64 {
	in, out := Fans(shape)
	switch mode {
	case "fan_in", "":
		return float64(in)
	case "fan_out":
		return float64(out)
	}
	panic("nn: unknown fan mode " + mode)
}

// KaimingUniform fills t from U(−b, b) with b = gain·√(3/fan), gain =
// Gain(nonlinearity, a) (torch.nn.init.kaiming_uniform_).
func KaimingUniform(t *tensor.Tensor, g *tensor.RNG, a float64, mode, nonlinearity string) {
	b := Gain(nonlinearity, a) * math.Sqrt(3/fan(t.Shape(), mode))
	t.FillUniform(g, float32(-b), float32(b))
}

// KaimingNormal fills t from N(0, std²) with std = gain/√fan
// (torch.nn.init.kaiming_normal_).
func KaimingNormal(t *tensor.Tensor, g *tensor.RNG, a float64, mode, nonlinearity string) {
	std := Gain(nonlinearity, a) / math.Sqrt(fan(t.Shape(), mode))
	t.FillNormal(g, 0, float32(std))
}

// XavierUniform fills t from U(−b, b) with b = gain·√(6/(fan_in+fan_out)).
func XavierUniform(t *tensor.Tensor, g *tensor.RNG, gain float64) {
	in, out := Fans(t.Shape())
	b := gain * math.Sqrt(6/float64(in+out))
	t.FillUniform(g, float32(-b), float32(b))
}

// XavierNormal fills t from N(0, std²) with std = gain·√(2/(fan_in+fan_out)).
func XavierNormal(t *tensor.Tensor, g *tensor.RNG, gain float64) {
	in, out := Fans(t.Shape())
	t.FillNormal(g, 0, float32(gain*math.Sqrt(2/float64(in+out))))
}

// DefaultInit gives a weight (and its bias, which may be nil) PyTorch's
// default initialisation for Conv2d and Linear: weight from
// kaiming_uniform_(a=√5), i.e. U(−1/√fan_in, 1/√fan_in), and bias from
// U(−1/√fan_in, 1/√fan_in).
func DefaultInit(weight, bias *tensor.Tensor, g *tensor.RNG) {
	KaimingUniform(weight, g, math.Sqrt(5), "fan_in", "leaky_relu")
	if bias != nil {
		fanIn, _ := Fans(weight.Shape())
		b := float32(1 / math.Sqrt(float64(fanIn)))
		if fanIn == 0 {
			b = 0
		}
		bias.FillUniform(g, -b, b)
	}
}
