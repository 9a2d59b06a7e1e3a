package onnx

import (
	"fmt"

	"convnet/ops"
	"convnet/tensor"
)

// Matrix products and the softmax family.

func init() {
	register("Gemm", buildGemm)
	register("MatMul", buildMatMul)
	register("Softmax", buildSoftmax(false))
	register("LogSoftmax", buildSoftmax(true))
}

// transpose2 returns the transpose of a [M, K] as ops.Linear(I_K, a) =
// I_K·aᵀ, which is exact (every product is by 1 or 0). Package ops has no
// transpose yet; Gemm with transA = 1 is rare enough for this to be fine.
func transpose2(a *ops.Var) *ops.Var {
	k := a.Value.Dim(1)
	eye := tensor.New(k, k)
	for i := range k {
		eye.Set(1, i, i)
	}
	return ops.Linear(ops.Const(eye), a, nil)
}

// buildGemm maps Gemm, Y = alpha·A'·B' + beta·C with A' = A or Aᵀ (transA)
// and B' = B or Bᵀ (transB): transB = 1 is ops.Linear (PyTorch's nn.Linear
// with C as its bias when alpha = beta = 1), transB = 0 ops.MatMul; C
// broadcasts to [M, N].
func buildGemm(n *node) (*kernel, error) {
	n.ignore("broadcast")
	alpha, beta := n.float("alpha", 1), n.float("beta", 1)
	transA, transB := n.int("transA", 0) != 0, n.int("transB", 0) != 0
	if err := n.wantIO(2, 3, 1); err != nil {
		return nil, err
	}
	infer := func(in []*info) ([]*info, error) {
		a, b := in[0], in[1]
		if err := wantRank("input A", a, 2); err != nil {
			return nil, err
		}
		if err := wantRank("input B", b, 2); err != nil {
			return nil, err
		}
		if !a.ranked || !b.ranked {
			return []*info{unranked(Float)}, nil
		}
		m, ka := a.shape[0], a.shape[1]
		if transA {
			m, ka = ka, m
		}
		kb, nn := b.shape[0], b.shape[1]
		if transB {
			kb, nn = nn, kb
		}
		if ka >= 0 && kb >= 0 && ka != kb {
			return nil, fmt.Errorf("A %s (transA %v) and B %s (transB %v) do not multiply", shapeString(a.shape), transA, shapeString(b.shape), transB)
		}
		out := shaped(Float, m, nn)
		if len(in) > 2 && in[2] != nil {
			bc, err := broadcastInfo(out, in[2])
			if err != nil {
				return nil, fmt.Errorf("C: %v", err)
			}
			if bc.ranked && (len(bc.shape) != 2 || (m >= 0 && bc.shape[0] != m) || (nn >= 0 && bc.shape[1] != nn)) {
				return nil, fmt.Errorf("C %s does not broadcast to [%d, %d]", shapeString(in[2].shape), m, nn)
			}
		}
		return []*info{out}, nil
	}
	run := func(in []*value) ([]*value, error) {
		a, b := in[0].v, in[1].v
		var c *ops.Var
		if len(in) > 2 && in[2] != nil {
			c = in[2].v
		}
		if transA {
			a = transpose2(a)
		}
		var y *ops.Var
		switch {
		case transB && c != nil && alpha == 1 && beta == 1 && c.Value.NDim() == 1 && c.Value.Dim(0) == b.Value.Dim(0):
			return []*value{varValue(ops.Linear(a, b, c))}, nil
		case transB:
			y = ops.Linear(a, b, nil)
		default:
			y = ops.MatMul(a, b)
		}
		if alpha != 1 {
			y = ops.Scale(y, alpha)
		}
		if c != nil && beta != 0 {
			if beta != 1 {
				c = ops.Scale(c, beta)
			}
			y = ops.Add(y, c)
		}
		return []*value{varValue(y)}, nil
	}
	return &kernel{infer: infer, run: run}, nil
}

// buildMatMul maps MatMul with NumPy semantics onto ops.MatMul: 1-D
// operands gain and lose a unit dimension, a batched A times a matrix B is
// one product, and batched pairs (with broadcast batch dimensions) are one
// product per batch element.
func buildMatMul(n *node) (*kernel, error) {
	if err := n.wantIO(2, 2, 1); err != nil {
		return nil, err
	}
	// shapes returns the operands as [..., M, K] and [..., K, N] and the
	// output shape.
	shapes := func(a, b []int) (as, bs, out []int, err error) {
		if len(a) == 0 || len(b) == 0 {
			return nil, nil, nil, fmt.Errorf("MatMul of a scalar (%v, %v)", a, b)
		}
		as, bs = a, b
		if len(a) == 1 {
			as = []int{1, a[0]}
		}
		if len(b) == 1 {
			bs = []int{b[0], 1}
		}
		ka, kb := as[len(as)-1], bs[len(bs)-2]
		if ka >= 0 && kb >= 0 && ka != kb {
			return nil, nil, nil, fmt.Errorf("shapes %s and %s do not multiply", shapeString(a), shapeString(b))
		}
		batch, err := broadcastInfo(shaped(Float, as[:len(as)-2]...), shaped(Float, bs[:len(bs)-2]...))
		if err != nil {
			return nil, nil, nil, err
		}
		out = append(batch.shape, as[len(as)-2], bs[len(bs)-1])
		if len(a) == 1 {
			out = append(out[:len(out)-2], out[len(out)-1])
		}
		if len(b) == 1 {
			out = out[:len(out)-1]
		}
		return as, bs, out, nil
	}
	infer := func(in []*info) ([]*info, error) {
		if !in[0].ranked || !in[1].ranked {
			return []*info{unranked(Float)}, nil
		}
		_, _, out, err := shapes(in[0].shape, in[1].shape)
		if err != nil {
			return nil, err
		}
		return []*info{shaped(Float, out...)}, nil
	}
	run := func(in []*value) ([]*value, error) {
		as, bs, out, err := shapes(in[0].shape(), in[1].shape())
		if err != nil {
			return nil, err
		}
		a, b := ops.Reshape(in[0].v, as...), ops.Reshape(in[1].v, bs...)
		m, k, nn := as[len(as)-2], as[len(as)-1], bs[len(bs)-1]
		if len(bs) == 2 {
			y := ops.MatMul(ops.Reshape(a, -1, k), b)
			return []*value{varValue(ops.Reshape(y, out...))}, nil
		}
		batch := out[:len(out)-min(2, len(out))]
		if len(in[0].shape()) == 1 || len(in[1].shape()) == 1 {
			batch, _ = ops.BroadcastShapes(as[:len(as)-2], bs[:len(bs)-2])
		}
		ab, bb := as[:len(as)-2], bs[:len(bs)-2]
		a3 := a.Value.Reshape(-1, m, k)
		b3 := b.Value.Reshape(-1, k, nn)
		nb := numelOf(batch)
		parts := make([]*ops.Var, nb)
		idx := make([]int, len(batch))
		for i := range nb {
			rem := i
			for d := len(batch) - 1; d >= 0; d-- {
				idx[d] = rem % batch[d]
				rem /= batch[d]
			}
			ai, bi := bcastOffset(idx, ab), bcastOffset(idx, bb)
			p := ops.MatMul(ops.Const(a3.Index(ai)), ops.Const(b3.Index(bi)))
			parts[i] = ops.Reshape(p, 1, m, nn)
		}
		y := ops.Concat(0, parts...)
		return []*value{varValue(ops.Reshape(y, out...))}, nil
	}
	return &kernel{infer: infer, run: run}, nil
}

// buildSoftmax maps Softmax or LogSoftmax (log) onto ops.Softmax and
// ops.LogSoftmax. From opset 13 the operator normalises along axis
// (default −1); before, the input was coerced to 2-D at axis (default 1)
// and normalised over all dimensions from axis on.
func buildSoftmax(log bool) builder {
	return func(n *node) (*kernel, error) {
		def := int64(-1)
		if n.opset < 13 {
			def = 1
		}
		axis := n.int("axis", def)
		if err := n.wantIO(1, 1, 1); err != nil {
			return nil, err
		}
		f := ops.Softmax
		if log {
			f = ops.LogSoftmax
		}
		infer := func(in []*info) ([]*info, error) {
			if in[0].ranked {
				if _, err := normAxis(axis, len(in[0].shape), 0); err != nil {
					return nil, err
				}
			}
			return []*info{like(in[0], Float)}, nil
		}
		run := func(in []*value) ([]*value, error) {
			s := in[0].shape()
			ax, err := normAxis(axis, len(s), 0)
			if err != nil {
				return nil, err
			}
			if n.opset >= 13 {
				return []*value{varValue(f(in[0].v, ax))}, nil
			}
			x := ops.Reshape(in[0].v, numelOf(s[:ax]), numelOf(s[ax:]))
			return []*value{varValue(ops.Reshape(f(x, 1), s...))}, nil
		}
		return &kernel{infer: infer, run: run}, nil
	}
}
