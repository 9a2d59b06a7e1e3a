// Package data turns bytes on disk into batches of tensors: it reads IDX
// files (MNIST, Fashion-MNIST), obtains the standard data sets, and feeds
// them to training through a Loader that prepares the next batch in the
// background.
//
// Dimension legend used in shape comments:
//
//	N  number of images in a data set
//	B  number of images in a batch
//	C  channels, H height, W width
package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// IDX is the content of one IDX file holding unsigned bytes.
type IDX struct {
	Dims []int   // the dimensions from the header, outermost first, e.g. [60000, 28, 28]
	Data []uint8 // row-major payload; len(Data) is the product of Dims
}

// idxTypeNames names the element types the IDX format defines.
var idxTypeNames = map[byte]string{
	0x08: "unsigned byte",
	0x09: "signed byte",
	0x0B: "int16",
	0x0C: "int32",
	0x0D: "float32",
	0x0E: "float64",
}

// maxIDXBytes bounds the payload a header may announce (16 GiB), so that a
// corrupt header cannot make the dimension product overflow.
const maxIDXBytes = 1 << 34

// ReadIDX reads an IDX file of unsigned bytes, gzip-compressed or raw; the
// compression is recognised by the gzip magic bytes 1f 8b, not by the file
// name. It checks the magic number, the element type (only 0x08, unsigned
// byte, is accepted), the number of dimensions (1 to 4) and that the payload
// holds exactly as many bytes as the dimensions announce. Every error is one
// line that names the file.
func ReadIDX(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: cannot open IDX file: %w", path, unwrapPath(err))
	}
	defer f.Close()
	return readIDX(f, path)
}

// unwrapPath strips the path from an *os.PathError, whose message would
// otherwise repeat the file name the caller already prints.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// readIDX parses an IDX stream; name is used in error messages only.
func readIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	src := io.Reader(br)
	gz := false
	if peek, _ := br.Peek(2); len(peek) == 2 && peek[0] == 0x1f && peek[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%s: corrupt gzip stream: %v", name, err)
		}
		defer zr.Close()
		src = zr
		gz = true
	}
	// readErr describes a failure of the underlying stream, which for a gzip
	// file means the compressed data is damaged.
	readErr := func(err error) error {
		if gz {
			return fmt.Errorf("%s: corrupt gzip stream: %v", name, oneLine(err))
		}
		return fmt.Errorf("%s: reading IDX: %v", name, oneLine(err))
	}

	var magic [4]byte
	if n, err := io.ReadFull(src, magic[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%s: truncated IDX header: want 4 magic bytes, found %d", name, n)
		}
		return nil, readErr(err)
	}
	if magic[0] != 0 || magic[1] != 0 {
		return nil, fmt.Errorf("%s: not an IDX file: magic bytes % x, want 00 00 <type> <ndim>", name, magic[:])
	}
	if magic[2] != 0x08 {
		tn, ok := idxTypeNames[magic[2]]
		if !ok {
			tn = "unknown type"
		}
		return nil, fmt.Errorf("%s: IDX element type 0x%02x (%s) is not supported, want 0x08 (unsigned byte)", name, magic[2], tn)
	}
	ndim := int(magic[3])
	if ndim < 1 || ndim > 4 {
		return nil, fmt.Errorf("%s: IDX header has %d dimensions, want 1 to 4", name, ndim)
	}

	hdr := make([]byte, 4*ndim)
	if n, err := io.ReadFull(src, hdr); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%s: truncated IDX header: want %d dimension bytes, found %d", name, len(hdr), n)
		}
		return nil, readErr(err)
	}
	dims := make([]int, ndim)
	want := int64(1)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(hdr[4*i:]))
		dims[i] = int(d)
		if want *= d; want > maxIDXBytes {
			return nil, fmt.Errorf("%s: IDX header announces dimensions %s, more than %d bytes", name, dimString(dims[:i+1]), int64(maxIDXBytes))
		}
	}

	// Read at most one byte more than announced: the data grows with what
	// the file really holds, never with what a corrupt header claims.
	payload, err := io.ReadAll(io.LimitReader(src, want+1))
	if err != nil {
		return nil, readErr(err)
	}
	found := int64(len(payload))
	if found < want {
		return nil, fmt.Errorf("%s: truncated IDX: header says %s = %d bytes of data, found %d", name, dimString(dims), want, found)
	}
	if found > want {
		extra, err := io.Copy(io.Discard, src)
		if err != nil {
			return nil, readErr(err)
		}
		found += extra
		return nil, fmt.Errorf("%s: IDX has %d trailing bytes: header says %s = %d bytes of data, found %d", name, found-want, dimString(dims), want, found)
	}
	if gz {
		// Drain the stream so that the gzip checksum and size are verified.
		if _, err := io.Copy(io.Discard, src); err != nil {
			return nil, readErr(err)
		}
	}
	return &IDX{Dims: dims, Data: payload}, nil
}

// dimString formats dimensions as 60000×28×28.
func dimString(dims []int) string {
	parts := make([]string, len(dims))
	for i, d := range dims {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "×")
}

// oneLine flattens an error message onto a single line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
