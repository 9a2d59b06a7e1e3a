package onnx

import (
	"fmt"

	"convnet/ops"
)

// Normalisations and global pooling beyond ops_conv.go:
// InstanceNormalization, LRN and GlobalMaxPool.

func init() {
	register("InstanceNormalization", buildInstanceNorm)
	register("LRN", buildLRN)
	register("GlobalMaxPool", buildGlobalMaxPool)
}

// buildInstanceNorm maps InstanceNormalization(epsilon = 1e-5) onto
// ops.InstanceNorm: every plane of X [N, C, spatial...] normalised over
// its values, then scale·x̂ + B per channel.
func buildInstanceNorm(n *node) (*kernel, error) {
	n.ignore("consumed_inputs")
	eps := n.float("epsilon", 1e-5)
	if err := n.wantIO(3, 3, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			x := in[0]
			if x.ranked && len(x.shape) < 3 {
				return nil, fmt.Errorf("input X %s has rank %d, want [N, C, spatial...]", shapeString(x.shape), len(x.shape))
			}
			for i, name := range []string{"scale", "B"} {
				p := in[i+1]
				if p.ranked && x.ranked && (len(p.shape) != 1 || (x.shape[1] >= 0 && p.shape[0] >= 0 && p.shape[0] != x.shape[1])) {
					return nil, fmt.Errorf("%s has shape %s for input X %s, want [%d]", name, shapeString(p.shape), shapeString(x.shape), x.shape[1])
				}
			}
			return []*info{like(x, Float)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			return []*value{varValue(ops.InstanceNorm(in[0].v, in[1].v, in[2].v, float64(eps)))}, nil
		},
	}, nil
}

// buildLRN maps LRN (size, alpha = 1e-4, beta = 0.75, bias = 1) onto
// ops.LRN. ONNX sums channels c − ⌊(size−1)/2⌋ … c + ⌈(size−1)/2⌉, PyTorch
// (and ops) c − ⌊size/2⌋ … c + ⌊(size−1)/2⌋: the same window for an odd
// size, shifted by one for an even size, which is unsupported.
func buildLRN(n *node) (*kernel, error) {
	if !n.has("size") {
		return nil, n.errorf("attribute size is required")
	}
	size := n.int("size", 0)
	alpha, beta, bias := n.float("alpha", 1e-4), n.float("beta", 0.75), n.float("bias", 1)
	if size < 1 || size > MaxElements {
		return nil, n.errorf("size %d is out of range", size)
	}
	if size%2 == 0 {
		return nil, n.unsupported("attribute size", "even size %d (ONNX's window is one channel higher than ops.LRN's)", size)
	}
	if err := n.wantIO(1, 1, 1); err != nil {
		return nil, err
	}
	return &kernel{
		infer: func(in []*info) ([]*info, error) {
			if err := wantRank("input X", in[0], 3, 4, 5, 6); err != nil {
				return nil, err
			}
			return []*info{like(in[0], Float)}, nil
		},
		run: func(in []*value) ([]*value, error) {
			return []*value{varValue(ops.LRN(in[0].v, int(size), alpha, beta, bias))}, nil
		},
	}, nil
}

// buildGlobalMaxPool maps GlobalMaxPool over any number of spatial
// dimensions onto ops.GlobalMaxPool2d of the input viewed as
// [N, C, 1, ∏spatial].
func buildGlobalMaxPool(n *node) (*kernel, error) { return buildGlobalPool(n, ops.GlobalMaxPool2d) }
