package nn

import "fmt"

// SeparableCost compares a standard convolution with its
// depthwise-separable factorisation (Howard et al., MobileNets,
// arXiv:1704.04861 §3.1): a K×K depthwise convolution per input channel
// followed by a 1×1 pointwise convolution to N filters. Biases are not
// counted.
type SeparableCost struct {
	H, W, C     int // input height, width, channels
	K, N        int // kernel size, filters
	Stride, Pad int
	OH, OW      int // output height, width

	StandardMults, StandardParams   int64 // K·K·C·N·OH·OW, K·K·C·N
	DepthwiseMults, DepthwiseParams int64 // K·K·C·OH·OW, K·K·C
	PointwiseMults, PointwiseParams int64 // C·N·OH·OW, C·N
	SeparableMults, SeparableParams int64 // depthwise + pointwise
}

// Ratio returns how many times fewer multiplies the separable form needs.
func (c SeparableCost) Ratio() float64 { return float64(c.StandardMults) / float64(c.SeparableMults) }

// ClosedForm returns 1/N + 1/K², the separable/standard cost ratio.
func (c SeparableCost) ClosedForm() float64 { return 1/float64(c.N) + 1/float64(c.K*c.K) }

// NewSeparableCost computes the costs for an H×W×C input, K×K kernels, N
// filters, the given stride and symmetric zero padding.
func NewSeparableCost(h, w, c, k, n, stride, pad int) (SeparableCost, error) {
	if h < 1 || w < 1 || c < 1 || k < 1 || n < 1 || stride < 1 || pad < 0 {
		return SeparableCost{}, fmt.Errorf("sizes must be positive (padding non-negative): input %dx%dx%d, kernel %d, filters %d, stride %d, padding %d", h, w, c, k, n, stride, pad)
	}
	oh, ow := (h+2*pad-k)/stride+1, (w+2*pad-k)/stride+1
	if h+2*pad < k || w+2*pad < k {
		return SeparableCost{}, fmt.Errorf("a %dx%d kernel does not fit a %dx%d input with padding %d", k, k, h, w, pad)
	}
	s := SeparableCost{H: h, W: w, C: c, K: k, N: n, Stride: stride, Pad: pad, OH: oh, OW: ow}
	px := int64(oh) * int64(ow)
	s.StandardParams = int64(k * k * c * n)
	s.StandardMults = s.StandardParams * px
	s.DepthwiseParams = int64(k * k * c)
	s.DepthwiseMults = s.DepthwiseParams * px
	s.PointwiseParams = int64(c * n)
	s.PointwiseMults = s.PointwiseParams * px
	s.SeparableParams = s.DepthwiseParams + s.PointwiseParams
	s.SeparableMults = s.DepthwiseMults + s.PointwiseMults
	return s, nil
}
