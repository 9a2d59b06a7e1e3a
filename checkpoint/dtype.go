package checkpoint

import (
	"encoding/binary"
	"fmt"
	"math"
)

// dtype describes one element type of the safetensors format that Load can
// convert to float32.
type dtype struct {
	size    int                                   // bytes per element
	convert func(dst []float32, src []byte) error // decodes len(dst) elements of src
}

// dtypes lists the element types Load accepts. Every other dtype string of
// the format (F8_E4M3, C64, ...) is rejected as unsupported.
var dtypes = map[string]dtype{
	"F64": {8, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:])))
		}
		return nil
	}},
	"F32": {4, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = math.Float32frombits(binary.LittleEndian.Uint32(src[4*i:]))
		}
		return nil
	}},
	"F16": {2, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = halfToFloat32(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return nil
	}},
	"BF16": {2, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = math.Float32frombits(uint32(binary.LittleEndian.Uint16(src[2*i:])) << 16)
		}
		return nil
	}},
	"I64": {8, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(int64(binary.LittleEndian.Uint64(src[8*i:])))
		}
		return nil
	}},
	"U64": {8, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(binary.LittleEndian.Uint64(src[8*i:]))
		}
		return nil
	}},
	"I32": {4, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(int32(binary.LittleEndian.Uint32(src[4*i:])))
		}
		return nil
	}},
	"U32": {4, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(binary.LittleEndian.Uint32(src[4*i:]))
		}
		return nil
	}},
	"I16": {2, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(int16(binary.LittleEndian.Uint16(src[2*i:])))
		}
		return nil
	}},
	"U16": {2, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(binary.LittleEndian.Uint16(src[2*i:]))
		}
		return nil
	}},
	"I8": {1, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(int8(src[i]))
		}
		return nil
	}},
	"U8": {1, func(dst []float32, src []byte) error {
		for i := range dst {
			dst[i] = float32(src[i])
		}
		return nil
	}},
	"BOOL": {1, func(dst []float32, src []byte) error {
		for i := range dst {
			switch src[i] {
			case 0:
				dst[i] = 0
			case 1:
				dst[i] = 1
			default:
				return fmt.Errorf("BOOL element holds byte value %d (want 0 or 1)", src[i])
			}
		}
		return nil
	}},
}

// halfToFloat32 converts an IEEE 754 binary16 value to float32 exactly
// (every binary16 value, subnormals, infinities and NaN payloads included, is
// representable in binary32).
func halfToFloat32(h uint16) float32 {
	sign := uint32(h>>15) << 31
	exp := uint32(h>>10) & 0x1f
	mant := uint32(h) & 0x3ff
	switch exp {
	case 0x1f: // infinity or NaN; the payload moves to the top of the wider mantissa
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case 0: // zero or subnormal: mant × 2⁻²⁴, exact in float32
		f := float32(mant) * (1.0 / (1 << 24))
		return math.Float32frombits(sign | math.Float32bits(f))
	default: // normal: rebias the exponent from 15 to 127
		return math.Float32frombits(sign | (exp+127-15)<<23 | mant<<13)
	}
}
