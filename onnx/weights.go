package onnx

import "convnet/tensor"

// Weights returns StateDict plus every floating-point value that constant
// folding computed from initializers alone. PyTorch's exporter stores
// identical parameters once and re-creates the others with Identity nodes
// (SqueezeNet's all-zero biases, for example), so those parameters are not
// initializers but folded values with their state_dict names.
func (m *Model) Weights() map[string]*tensor.Tensor {
	sd := m.StateDict()
	for name, v := range m.consts {
		if _, ok := sd[name]; !ok && v.ints == nil && v.v != nil {
			sd[name] = v.v.Value
		}
	}
	return sd
}
