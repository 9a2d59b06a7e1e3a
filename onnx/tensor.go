package onnx

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	"convnet/onnx/onnxpb"
	"convnet/tensor"
)

// DataType is an ONNX element type (TensorProto.DataType).
type DataType int32

// The element types this package reads. Every one is converted to float32;
// integer and bool tensors also keep their exact int64 values.
const (
	Float   DataType = 1
	Uint8   DataType = 2
	Int8    DataType = 3
	Int32   DataType = 6
	Int64   DataType = 7
	Bool    DataType = 9
	Float16 DataType = 10
	Double  DataType = 11
)

// String returns the ONNX name of the type ("FLOAT", "INT64", …).
func (d DataType) String() string {
	if s, ok := onnxpb.TensorProto_DataType_name[int32(d)]; ok {
		return s
	}
	return fmt.Sprintf("DataType(%d)", int32(d))
}

// isInt reports whether d is an integer or bool type, whose values are kept
// exactly as int64 besides the float32 copy.
func (d DataType) isInt() bool {
	switch d {
	case Uint8, Int8, Int32, Int64, Bool:
		return true
	}
	return false
}

// size returns the number of bytes of one element in raw_data, or 0 for a
// type this package does not read.
func (d DataType) size() int {
	switch d {
	case Uint8, Int8, Bool:
		return 1
	case Float16:
		return 2
	case Float, Int32:
		return 4
	case Int64, Double:
		return 8
	}
	return 0
}

// MaxElements bounds the number of elements of any tensor this package
// creates (2³⁰, 4 GiB of float32): a file declaring more is refused before
// anything is allocated.
const MaxElements = 1 << 30

// Tensor is a decoded ONNX tensor.
type Tensor struct {
	// Name is the TensorProto's name (an initializer's name is the key of
	// the weight in the state dict).
	Name string
	// DType is the element type stored in the file.
	DType DataType
	// Data holds the values converted to float32, with the file's shape.
	Data *tensor.Tensor
	// Ints holds the exact values of an integer or bool tensor (row-major,
	// same length as Data); it is nil for floating-point types.
	Ints []int64
}

// checkedNumel returns the number of elements of dims, or an error if a
// dimension is negative or the count exceeds MaxElements.
func checkedNumel(dims []int64) (int, error) {
	n := int64(1)
	for _, d := range dims {
		if d < 0 {
			return 0, fmt.Errorf("negative dimension in shape %v", dims)
		}
		if d > MaxElements {
			return 0, fmt.Errorf("shape %v has more than %d elements", dims, MaxElements)
		}
		n *= d
		if n > MaxElements {
			return 0, fmt.Errorf("shape %v has more than %d elements", dims, MaxElements)
		}
	}
	return int(n), nil
}

// decodeTensor converts tp to a Tensor. dir is the directory against which
// external data locations are resolved ("" refuses external data).
func decodeTensor(tp *onnxpb.TensorProto, dir string) (*Tensor, error) {
	name := tp.GetName()
	fail := func(format string, a ...any) error {
		return fmt.Errorf("tensor %q: %s", name, fmt.Sprintf(format, a...))
	}
	dt := DataType(tp.GetDataType())
	if dt.size() == 0 {
		return nil, fail("data type %v is not supported (want FLOAT, DOUBLE, FLOAT16, INT64, INT32, INT8, UINT8 or BOOL)", dt)
	}
	if tp.GetSegment() != nil {
		return nil, fail("segmented tensors are not supported")
	}
	n, err := checkedNumel(tp.GetDims())
	if err != nil {
		return nil, fail("%v", err)
	}
	shape := make([]int, len(tp.GetDims()))
	for i, d := range tp.GetDims() {
		shape[i] = int(d)
	}
	raw := tp.GetRawData()
	if tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL {
		if raw, err = readExternal(tp, dir, n*dt.size()); err != nil {
			return nil, fail("%v", err)
		}
	}
	t := &Tensor{Name: name, DType: dt}
	vals := make([]float32, 0, 0)
	var ints []int64
	setInts := func(k int) {
		ints = make([]int64, k)
		vals = make([]float32, k)
	}
	switch {
	case raw != nil || tp.GetDataLocation() == onnxpb.TensorProto_EXTERNAL:
		if len(raw) != n*dt.size() {
			return nil, fail("%d bytes of data for shape %v of %v (want %d)", len(raw), shape, dt, n*dt.size())
		}
		if dt.isInt() {
			setInts(n)
		} else {
			vals = make([]float32, n)
		}
		for i := 0; i < n; i++ {
			switch dt {
			case Float:
				vals[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
			case Double:
				vals[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(raw[8*i:])))
			case Float16:
				vals[i] = halfToFloat32(binary.LittleEndian.Uint16(raw[2*i:]))
			case Int64:
				ints[i] = int64(binary.LittleEndian.Uint64(raw[8*i:]))
			case Int32:
				ints[i] = int64(int32(binary.LittleEndian.Uint32(raw[4*i:])))
			case Int8:
				ints[i] = int64(int8(raw[i]))
			case Uint8:
				ints[i] = int64(raw[i])
			case Bool:
				ints[i] = int64(min(raw[i], 1))
			}
		}
	default:
		var k int
		switch dt {
		case Float:
			vals = append(vals, tp.GetFloatData()...)
			k = len(vals)
		case Double:
			d := tp.GetDoubleData()
			k = len(d)
			vals = make([]float32, k)
			for i, v := range d {
				vals[i] = float32(v)
			}
		case Int64:
			d := tp.GetInt64Data()
			k = len(d)
			setInts(k)
			copy(ints, d)
		case Int32, Int8, Uint8, Bool, Float16:
			d := tp.GetInt32Data()
			k = len(d)
			if dt == Float16 {
				vals = make([]float32, k)
				for i, v := range d {
					vals[i] = halfToFloat32(uint16(v))
				}
				break
			}
			setInts(k)
			for i, v := range d {
				ints[i] = int64(v)
			}
		}
		if k != n {
			return nil, fail("%d values for shape %v (want %d)", k, shape, n)
		}
	}
	for i, v := range ints {
		vals[i] = float32(v)
	}
	t.Data = tensor.FromSlice(vals, shape...)
	t.Ints = ints
	return t, nil
}

// readExternal reads the n bytes of an external tensor from the file named
// by its "location" entry, resolved inside dir, at "offset" for "length"
// bytes. Locations that are absolute or climb out of dir are refused, and
// the file's size is checked before anything is allocated.
func readExternal(tp *onnxpb.TensorProto, dir string, n int) ([]byte, error) {
	var location string
	offset, length := int64(0), int64(-1)
	for _, e := range tp.GetExternalData() {
		var err error
		switch e.GetKey() {
		case "location":
			location = e.GetValue()
		case "offset":
			offset, err = strconv.ParseInt(e.GetValue(), 10, 64)
		case "length":
			length, err = strconv.ParseInt(e.GetValue(), 10, 64)
		}
		if err != nil || offset < 0 {
			return nil, fmt.Errorf("external data %s %q is not a byte count", e.GetKey(), e.GetValue())
		}
	}
	if location == "" {
		return nil, fmt.Errorf("external data without a location")
	}
	if dir == "" {
		return nil, fmt.Errorf("external data %q but the model was not read from a file", location)
	}
	clean := filepath.Clean(filepath.FromSlash(location))
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, ".."+string(filepath.Separator)) {
		return nil, fmt.Errorf("external data location %q is outside the model's directory", location)
	}
	if length < 0 {
		length = int64(n)
	}
	if length != int64(n) {
		return nil, fmt.Errorf("external data %q: length %d for %d bytes of tensor data", location, length, n)
	}
	path := filepath.Join(dir, clean)
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("external data: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("external data: %v", err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("external data %s is not a regular file", path)
	}
	if offset > st.Size() || length > st.Size()-offset {
		return nil, fmt.Errorf("external data %s holds %d bytes, tensor wants %d at offset %d", path, st.Size(), length, offset)
	}
	buf := make([]byte, length)
	if _, err := f.ReadAt(buf, offset); err != nil && err != io.EOF {
		return nil, fmt.Errorf("external data: %v", err)
	}
	return buf, nil
}

// halfToFloat32 converts an IEEE 754 binary16 value to float32.
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	frac := uint32(h) & 0x3ff
	switch {
	case exp == 0x1f: // Inf or NaN
		return math.Float32frombits(sign | 0xff<<23 | frac<<13)
	case exp == 0 && frac == 0:
		return math.Float32frombits(sign)
	case exp == 0: // subnormal: value frac·2⁻²⁴
		v := float32(frac) / (1 << 24)
		if sign != 0 {
			v = -v
		}
		return v
	}
	return math.Float32frombits(sign | (exp+112)<<23 | frac<<13)
}

// ParseTensor decodes a serialized TensorProto (the *.pb files of ONNX's
// test data). dir resolves external data; "" refuses it.
func ParseTensor(b []byte, dir string) (*Tensor, error) {
	var tp onnxpb.TensorProto
	if err := proto.Unmarshal(b, &tp); err != nil {
		return nil, fmt.Errorf("not an ONNX TensorProto: %v", err)
	}
	return decodeTensor(&tp, dir)
}

// ReadTensorFile reads a TensorProto file such as test_data_set_0/input_0.pb.
func ReadTensorFile(path string) (*Tensor, error) {
	b, err := readRegular(path)
	if err != nil {
		return nil, err
	}
	t, err := ParseTensor(b, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return t, nil
}

// maxFileSize bounds the size of a model or tensor file read into memory.
const maxFileSize = 4 << 30

// readRegular reads a whole regular file of at most maxFileSize bytes.
func readRegular(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > maxFileSize {
		return nil, fmt.Errorf("%s: %d bytes is more than this reader accepts (%d)", path, st.Size(), int64(maxFileSize))
	}
	return os.ReadFile(path)
}
