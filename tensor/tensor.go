// Package tensor provides the dense float32 Tensor used throughout convnet.
//
// A Tensor is an n-dimensional array stored contiguously in row-major (C)
// order, so a 4-D activation is laid out NCHW exactly as in PyTorch and ONNX:
// element [n, c, h, w] lives at ((n*C+c)*H+h)*W+w. Views (Reshape, Slice,
// Index) share storage with the tensor they come from and are themselves
// contiguous; operations that would need a non-contiguous layout (such as a
// transpose) copy instead.
package tensor

import (
	"fmt"
	"math"
	"strings"
)

// Tensor is a dense, contiguous, row-major array of float32 values.
type Tensor struct {
	shape []int
	data  []float32
}

// numel returns the product of the dimensions of shape, panicking on a
// negative dimension.
func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			panic(fmt.Sprintf("tensor: negative dimension in shape %v", shape))
		}
		n *= d
	}
	return n
}

// New returns a zero-filled tensor of the given shape. A tensor with no
// dimensions is a scalar holding one value.
func New(shape ...int) *Tensor {
	s := append([]int(nil), shape...)
	return &Tensor{shape: s, data: make([]float32, numel(s))}
}

// Zeros is a synonym for New.
func Zeros(shape ...int) *Tensor { return New(shape...) }

// Full returns a tensor of the given shape with every element set to v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	t.Fill(v)
	return t
}

// Ones returns a tensor of the given shape filled with 1.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{shape: []int{}, data: []float32{v}} }

// FromSlice wraps data (without copying) as a tensor of the given shape. It
// panics if len(data) does not equal the product of the dimensions.
func FromSlice(data []float32, shape ...int) *Tensor {
	s := append([]int(nil), shape...)
	if n := numel(s); n != len(data) {
		panic(fmt.Sprintf("tensor: FromSlice: %d values do not fill shape %v (%d elements)", len(data), s, n))
	}
	return &Tensor{shape: s, data: data}
}

// Shape returns the tensor's dimensions. The returned slice must not be
// modified.
func (t *Tensor) Shape() []int { return t.shape }

// NDim returns the number of dimensions.
func (t *Tensor) NDim() int { return len(t.shape) }

// Dim returns the size of dimension i; negative i counts from the end.
func (t *Tensor) Dim(i int) int {
	if i < 0 {
		i += len(t.shape)
	}
	return t.shape[i]
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.data) }

// Data returns the underlying storage in row-major order. Writes through the
// returned slice change the tensor (and every view sharing its storage).
func (t *Tensor) Data() []float32 { return t.data }

// Item returns the single value of a one-element tensor.
func (t *Tensor) Item() float32 {
	if len(t.data) != 1 {
		panic(fmt.Sprintf("tensor: Item on a tensor of shape %v", t.shape))
	}
	return t.data[0]
}

// Strides returns the row-major strides (in elements) of the tensor.
func (t *Tensor) Strides() []int {
	st := make([]int, len(t.shape))
	s := 1
	for i := len(t.shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= t.shape[i]
	}
	return st
}

// Reshape returns a view of t with a new shape holding the same number of
// elements. One dimension may be -1 and is then inferred.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := append([]int(nil), shape...)
	infer, known := -1, 1
	for i, d := range s {
		switch {
		case d == -1 && infer < 0:
			infer = i
		case d < 0:
			panic(fmt.Sprintf("tensor: Reshape %v to %v: bad dimension", t.shape, shape))
		default:
			known *= d
		}
	}
	if infer >= 0 {
		if known == 0 || len(t.data)%known != 0 {
			panic(fmt.Sprintf("tensor: Reshape %v to %v: cannot infer -1", t.shape, shape))
		}
		s[infer] = len(t.data) / known
	}
	if numel(s) != len(t.data) {
		panic(fmt.Sprintf("tensor: Reshape %v (%d elements) to %v", t.shape, len(t.data), shape))
	}
	return &Tensor{shape: s, data: t.data}
}

// Index returns a view of the i-th sub-tensor along the first dimension;
// for a [N, C, H, W] tensor, Index(n) is the [C, H, W] image n.
func (t *Tensor) Index(i int) *Tensor {
	if len(t.shape) == 0 || i < 0 || i >= t.shape[0] {
		panic(fmt.Sprintf("tensor: Index %d out of range for shape %v", i, t.shape))
	}
	inner := len(t.data) / t.shape[0]
	return &Tensor{shape: append([]int(nil), t.shape[1:]...), data: t.data[i*inner : (i+1)*inner : (i+1)*inner]}
}

// Slice returns a view of rows [lo, hi) along the first dimension.
func (t *Tensor) Slice(lo, hi int) *Tensor {
	if len(t.shape) == 0 || lo < 0 || hi > t.shape[0] || lo > hi {
		panic(fmt.Sprintf("tensor: Slice [%d:%d] out of range for shape %v", lo, hi, t.shape))
	}
	inner := 0
	if t.shape[0] > 0 {
		inner = len(t.data) / t.shape[0]
	}
	s := append([]int(nil), t.shape...)
	s[0] = hi - lo
	return &Tensor{shape: s, data: t.data[lo*inner : hi*inner : hi*inner]}
}

// offsetOf returns the storage offset of the element at idx.
func (t *Tensor) offsetOf(idx []int) int {
	if len(idx) != len(t.shape) {
		panic(fmt.Sprintf("tensor: %d indices for shape %v", len(idx), t.shape))
	}
	off := 0
	for i, v := range idx {
		if v < 0 || v >= t.shape[i] {
			panic(fmt.Sprintf("tensor: index %v out of range for shape %v", idx, t.shape))
		}
		off = off*t.shape[i] + v
	}
	return off
}

// At returns the element at the given index.
func (t *Tensor) At(idx ...int) float32 { return t.data[t.offsetOf(idx)] }

// Set stores v at the given index.
func (t *Tensor) Set(v float32, idx ...int) { t.data[t.offsetOf(idx)] = v }

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{shape: append([]int(nil), t.shape...), data: append([]float32(nil), t.data...)}
}

// CopyFrom copies src's values into t; the element counts must match.
func (t *Tensor) CopyFrom(src *Tensor) {
	if len(src.data) != len(t.data) {
		panic(fmt.Sprintf("tensor: CopyFrom shape %v into %v", src.shape, t.shape))
	}
	copy(t.data, src.data)
}

// Fill sets every element to v.
func (t *Tensor) Fill(v float32) {
	for i := range t.data {
		t.data[i] = v
	}
}

// Zero sets every element to 0.
func (t *Tensor) Zero() { clear(t.data) }

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool { return ShapeEqual(a.shape, b.shape) }

// ShapeEqual reports whether two shapes are identical.
func ShapeEqual(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// MaxAbsDiff returns max |a-b| over all elements; the shapes must match.
func MaxAbsDiff(a, b *Tensor) float64 {
	if !SameShape(a, b) {
		panic(fmt.Sprintf("tensor: MaxAbsDiff of shapes %v and %v", a.shape, b.shape))
	}
	m := 0.0
	for i, v := range a.data {
		d := math.Abs(float64(v) - float64(b.data[i]))
		if d > m || math.IsNaN(d) {
			m = d
		}
	}
	return m
}

// MaxAbs returns max |t| over all elements (0 for an empty tensor).
func (t *Tensor) MaxAbs() float64 {
	m := 0.0
	for _, v := range t.data {
		if a := math.Abs(float64(v)); a > m {
			m = a
		}
	}
	return m
}

// HasNaNOrInf reports whether any element is NaN or ±Inf.
func (t *Tensor) HasNaNOrInf() bool {
	for _, v := range t.data {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return true
		}
	}
	return false
}

// String formats the tensor in the style of PyTorch: nested brackets, with
// the middle of long dimensions elided, followed by the shape.
func (t *Tensor) String() string {
	var b strings.Builder
	b.WriteString("tensor(")
	if len(t.shape) == 0 {
		fmt.Fprintf(&b, "%.4g", t.data[0])
	} else {
		t.format(&b, 0, 0, len("tensor("))
	}
	fmt.Fprintf(&b, ", shape=%v)", t.shape)
	return b.String()
}

// format writes dimension dim of the sub-tensor starting at storage offset
// off, indenting continuation lines by indent columns.
func (t *Tensor) format(b *strings.Builder, dim, off, indent int) {
	const edge = 3 // elements shown at each end of a long dimension
	n := t.shape[dim]
	inner := 1
	for _, d := range t.shape[dim+1:] {
		inner *= d
	}
	b.WriteByte('[')
	for i := 0; i < n; i++ {
		if n > 2*edge+1 && i == edge {
			if dim == len(t.shape)-1 {
				b.WriteString("..., ")
			} else {
				b.WriteString("...,\n" + strings.Repeat(" ", indent+dim+1))
			}
			i = n - edge - 1
			continue
		}
		if dim == len(t.shape)-1 {
			fmt.Fprintf(b, "%.4g", t.data[off+i])
		} else {
			t.format(b, dim+1, off+i*inner, indent)
		}
		if i < n-1 {
			if dim == len(t.shape)-1 {
				b.WriteString(", ")
			} else {
				b.WriteString(",\n" + strings.Repeat("\n", len(t.shape)-dim-2) + strings.Repeat(" ", indent+dim+1))
			}
		}
	}
	b.WriteByte(']')
}
