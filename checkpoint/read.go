package checkpoint

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"convnet/tensor"
)

// MaxHeaderSize is the largest JSON header, in bytes, that Load and
// ReadHeader accept (the limit the reference implementation uses). It bounds
// what a corrupt length prefix can make them allocate.
const MaxHeaderSize = 100 << 20

// metadataKey is the reserved header key holding the string→string metadata.
const metadataKey = "__metadata__"

// TensorInfo describes one tensor of a safetensors file as its header
// declares it.
type TensorInfo struct {
	Name  string // key in the header, e.g. "conv1.weight"
	DType string // element type as written in the file: "F32", "BF16", "I64", ...
	Shape []int  // dimensions; empty for a scalar
	// DataOffsets is the [begin, end) byte range of the tensor's data,
	// counted from the first byte after the header.
	DataOffsets [2]int64
}

// header is a parsed and fully validated safetensors header.
type header struct {
	dataStart int64             // file offset of the data section
	dataLen   int64             // length of the data section
	entries   []TensorInfo      // sorted by name
	meta      map[string]string // nil when the file has no __metadata__
}

// Load reads every tensor of the safetensors file at path, converting each
// supported dtype (F32, F64, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8
// and BOOL) to float32, and returns them keyed by name together with the
// file's metadata (nil if the file has none).
//
// The file is validated strictly before any tensor data is read: the header
// length must fit the file and MaxHeaderSize, the header must be a JSON
// object with no duplicate keys, every entry must have exactly a dtype, a
// shape of non-negative dimensions and data_offsets whose length matches the
// shape, and the tensors must tile the data section exactly, with no overlap,
// gap or trailing bytes. Integer values are rounded to the nearest float32;
// F64 values outside float32's range become ±Inf. Every error is a single
// line that names the path.
func Load(path string) (map[string]*tensor.Tensor, map[string]string, error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	ts, meta, err := decode(f, size)
	if err != nil {
		return nil, nil, fileError(path, err)
	}
	return ts, meta, nil
}

// ReadHeader reads and validates the header of the safetensors file at path
// without reading any tensor data. It returns the tensors' descriptions
// sorted by name and the file's metadata (nil if the file has none). It
// applies every check Load does except those on the values themselves.
func ReadHeader(path string) (entries []TensorInfo, meta map[string]string, err error) {
	f, size, err := openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	h, err := parseHeader(f, size)
	if err != nil {
		return nil, nil, fileError(path, err)
	}
	return h.entries, h.meta, nil
}

// openRegular opens path for reading and returns it with its size, refusing
// anything that is not a regular file.
func openRegular(path string) (*os.File, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, fileError(path, err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fileError(path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		if fi.IsDir() {
			return nil, 0, fileError(path, errors.New("is a directory"))
		}
		return nil, 0, fileError(path, fmt.Errorf("not a regular file (mode %v)", fi.Mode()))
	}
	return f, fi.Size(), nil
}

// fileError prefixes err with the package name and path. An *os.PathError is
// unwrapped first so that the path is not repeated; the underlying error
// stays reachable through errors.Is and errors.As.
func fileError(path string, err error) error {
	if pe, ok := errors.AsType[*os.PathError](err); ok {
		return fmt.Errorf("checkpoint: %s: %s: %w", path, pe.Op, pe.Err)
	}
	return fmt.Errorf("checkpoint: %s: %w", path, err)
}

// decode parses and validates the safetensors image held by r (size bytes)
// and converts every tensor to float32.
func decode(r io.ReaderAt, size int64) (map[string]*tensor.Tensor, map[string]string, error) {
	h, err := parseHeader(r, size)
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]*tensor.Tensor, len(h.entries))
	// The tensors tile the data section, so reading them in offset order is
	// one sequential pass over the file.
	byOffset := slices.Clone(h.entries)
	slices.SortFunc(byOffset, compareOffsets)
	sr := io.NewSectionReader(r, h.dataStart, h.dataLen)
	var chunk []byte
	for _, e := range byOffset {
		dt := dtypes[e.DType]
		n := int((e.DataOffsets[1] - e.DataOffsets[0]) / int64(dt.size))
		data := make([]float32, n)
		// Convert in chunks of whole elements to bound the scratch buffer.
		const chunkElems = 1 << 15
		for i := 0; i < n; i += chunkElems {
			k := min(chunkElems, n-i)
			if cap(chunk) < k*dt.size {
				chunk = make([]byte, min(chunkElems, n)*dt.size)
			}
			b := chunk[:k*dt.size]
			if _, err := io.ReadFull(sr, b); err != nil {
				return nil, nil, fmt.Errorf("tensor %q: reading data at file offset %d: %w",
					e.Name, h.dataStart+e.DataOffsets[0]+int64(i*dt.size), err)
			}
			if err := dt.convert(data[i:i+k], b); err != nil {
				return nil, nil, fmt.Errorf("tensor %q: %w", e.Name, err)
			}
		}
		out[e.Name] = tensor.FromSlice(data, e.Shape...)
	}
	return out, h.meta, nil
}

// compareOffsets orders entries by data range, then by name.
func compareOffsets(a, b TensorInfo) int {
	if c := cmpInt64(a.DataOffsets[0], b.DataOffsets[0]); c != 0 {
		return c
	}
	if c := cmpInt64(a.DataOffsets[1], b.DataOffsets[1]); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// parseHeader reads the length prefix and JSON header of the safetensors
// image in r and validates every entry and the layout of the data section.
func parseHeader(r io.ReaderAt, size int64) (*header, error) {
	if size < 8 {
		return nil, fmt.Errorf("file is %d bytes, too short for the 8-byte header length", size)
	}
	var prefix [8]byte
	if _, err := r.ReadAt(prefix[:], 0); err != nil {
		return nil, fmt.Errorf("reading header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(prefix[:])
	if n > MaxHeaderSize {
		return nil, fmt.Errorf("header length %d exceeds the limit of %d bytes", n, MaxHeaderSize)
	}
	if n > uint64(size-8) {
		return nil, fmt.Errorf("header length %d exceeds the %d bytes that follow it", n, size-8)
	}
	raw := make([]byte, n)
	if _, err := r.ReadAt(raw, 8); err != nil {
		return nil, fmt.Errorf("reading %d-byte header: %w", n, err)
	}
	if len(raw) == 0 || raw[0] != '{' {
		return nil, errors.New("header does not start with '{'")
	}
	if !utf8.Valid(raw) {
		return nil, errors.New("header is not valid UTF-8")
	}
	fields, err := parseObject(raw)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	h := &header{dataStart: 8 + int64(n), dataLen: size - 8 - int64(n)}
	for _, f := range fields {
		if f.key == metadataKey {
			if h.meta, err = parseMetadata(f.value); err != nil {
				return nil, fmt.Errorf("%s: %w", metadataKey, err)
			}
			continue
		}
		e, err := parseEntry(f.key, f.value, h.dataLen)
		if err != nil {
			return nil, fmt.Errorf("tensor %q: %w", f.key, err)
		}
		h.entries = append(h.entries, e)
	}
	slices.SortFunc(h.entries, func(a, b TensorInfo) int { return strings.Compare(a.Name, b.Name) })
	if err := checkLayout(h.entries, h.dataLen); err != nil {
		return nil, err
	}
	return h, nil
}

// checkLayout verifies that the entries' data ranges tile [0, dataLen)
// exactly: no overlap, no gap, no trailing bytes.
func checkLayout(entries []TensorInfo, dataLen int64) error {
	byOffset := slices.Clone(entries)
	slices.SortFunc(byOffset, compareOffsets)
	var next int64
	for i, e := range byOffset {
		begin, end := e.DataOffsets[0], e.DataOffsets[1]
		switch {
		case begin < next:
			p := byOffset[i-1]
			return fmt.Errorf("tensor %q: data_offsets [%d, %d) overlap tensor %q at [%d, %d)",
				e.Name, begin, end, p.Name, p.DataOffsets[0], p.DataOffsets[1])
		case begin > next:
			return fmt.Errorf("tensor %q: data_offsets [%d, %d) leave a gap of %d unused bytes before them",
				e.Name, begin, end, begin-next)
		}
		next = end
	}
	if next != dataLen {
		return fmt.Errorf("%d trailing bytes after the last tensor's data (data section is %d bytes, tensors cover %d)",
			dataLen-next, dataLen, next)
	}
	return nil
}

// parseEntry validates one tensor entry of the header.
func parseEntry(name string, raw []byte, dataLen int64) (TensorInfo, error) {
	e := TensorInfo{Name: name}
	fields, err := parseObject(raw)
	if err != nil {
		return e, err
	}
	var dtypeRaw, shapeRaw, offsetsRaw []byte
	for _, f := range fields {
		switch f.key {
		case "dtype":
			dtypeRaw = f.value
		case "shape":
			shapeRaw = f.value
		case "data_offsets":
			offsetsRaw = f.value
		default:
			return e, fmt.Errorf("unknown field %q", f.key)
		}
	}
	switch {
	case dtypeRaw == nil:
		return e, errors.New(`missing field "dtype"`)
	case shapeRaw == nil:
		return e, errors.New(`missing field "shape"`)
	case offsetsRaw == nil:
		return e, errors.New(`missing field "data_offsets"`)
	}
	if e.DType, err = parseString(dtypeRaw); err != nil {
		return e, fmt.Errorf("dtype: %w", err)
	}
	dt, ok := dtypes[e.DType]
	if !ok {
		return e, fmt.Errorf("unsupported dtype %q", e.DType)
	}
	shape, err := parseInts(shapeRaw)
	if err != nil {
		return e, fmt.Errorf("shape: %w", err)
	}
	offsets, err := parseInts(offsetsRaw)
	if err != nil {
		return e, fmt.Errorf("data_offsets: %w", err)
	}
	if len(offsets) != 2 {
		return e, fmt.Errorf("data_offsets has %d values, want 2", len(offsets))
	}
	begin, end := offsets[0], offsets[1]
	if begin < 0 || end < begin {
		return e, fmt.Errorf("data_offsets [%d, %d) is not a valid range", begin, end)
	}
	// Product of the dimensions, refusing anything whose byte size would
	// not fit an int (it could never match a real file anyway).
	limit := int64(math.MaxInt) / int64(dt.size)
	numel, tooLarge := int64(1), false
	for _, d := range shape {
		if d < 0 {
			return e, fmt.Errorf("shape %v has a negative dimension", shape)
		}
		if d == 0 {
			numel, tooLarge = 0, false
			break
		}
		if numel > limit/d {
			tooLarge = true
		} else {
			numel *= d
		}
	}
	if tooLarge {
		return e, fmt.Errorf("data_offsets [%d, %d) but shape %v of %s is too large to fit in memory",
			begin, end, shape, e.DType)
	}
	if need := numel * int64(dt.size); end-begin != need {
		return e, fmt.Errorf("data_offsets [%d, %d) but shape %v of %s needs %d bytes",
			begin, end, shape, e.DType, need)
	}
	if end > dataLen {
		return e, fmt.Errorf("data_offsets [%d, %d) run past the end of the %d-byte data section",
			begin, end, dataLen)
	}
	e.DataOffsets = [2]int64{begin, end}
	e.Shape = make([]int, len(shape))
	for i, d := range shape {
		e.Shape[i] = int(d)
	}
	return e, nil
}

// parseMetadata decodes the __metadata__ object, whose values must all be
// strings.
func parseMetadata(raw []byte) (map[string]string, error) {
	fields, err := parseObject(raw)
	if err != nil {
		return nil, err
	}
	meta := make(map[string]string, len(fields))
	for _, f := range fields {
		v, err := parseString(f.value)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", f.key, err)
		}
		meta[f.key] = v
	}
	return meta, nil
}

// field is one member of a JSON object, in document order.
type field struct {
	key   string
	value json.RawMessage
}

// parseObject splits the JSON object in raw into its members, rejecting
// anything that is not exactly one object and any duplicate key (which
// encoding/json would otherwise resolve silently).
func parseObject(raw []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonError(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, got %s", describe(tok))
	}
	var fields []field
	seen := make(map[string]bool)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, jsonError(err)
		}
		key, ok := tok.(string)
		if !ok {
			return nil, fmt.Errorf("want an object key, got %s", describe(tok))
		}
		if seen[key] {
			return nil, fmt.Errorf("duplicate key %q", key)
		}
		seen[key] = true
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, jsonError(err)
		}
		fields = append(fields, field{key, v})
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return nil, jsonError(err)
	}
	if tok, err := dec.Token(); err != io.EOF {
		if err != nil {
			return nil, jsonError(err)
		}
		return nil, fmt.Errorf("unexpected %s after the JSON object", describe(tok))
	}
	return fields, nil
}

// parseString decodes a JSON string, refusing every other kind of value.
func parseString(raw []byte) (string, error) {
	var s string
	if len(raw) == 0 || raw[0] != '"' {
		return "", fmt.Errorf("want a string, got %s", abbreviate(raw))
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", jsonError(err)
	}
	return s, nil
}

// parseInts decodes a JSON array of integers, refusing null, fractions,
// exponents and values outside int64.
func parseInts(raw []byte) ([]int64, error) {
	if len(raw) == 0 || raw[0] != '[' {
		return nil, fmt.Errorf("want an array of integers, got %s", abbreviate(raw))
	}
	var elems []json.RawMessage
	if err := json.Unmarshal(raw, &elems); err != nil {
		return nil, jsonError(err)
	}
	out := make([]int64, len(elems))
	for i, el := range elems {
		v, err := strconv.ParseInt(string(el), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("element %d is %s, not an integer in int64 range", i, abbreviate(el))
		}
		out[i] = v
	}
	return out, nil
}

// jsonError rewords errors of encoding/json so they say where in the header
// the problem lies.
func jsonError(err error) error {
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("invalid JSON near byte %d: %v", se.Offset, se)
	}
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return errors.New("invalid JSON: unexpected end of input")
	}
	return fmt.Errorf("invalid JSON: %v", err)
}

// describe names a JSON token for an error message.
func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "string " + abbreviate([]byte(v))
	case nil:
		return "null"
	default:
		return fmt.Sprintf("%v", v)
	}
}

// abbreviate quotes at most 40 bytes of b for an error message.
func abbreviate(b []byte) string {
	const max = 40
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}
