package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX file with the given dimensions and
// payload.
func idxBytes(dims []int, payload []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, 0x08, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(payload)
	return b.Bytes()
}

// gzipBytes compresses b.
func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// seq returns n bytes 0, 1, 2, ... modulo mod.
func seq(n, mod int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % mod)
	}
	return b
}

// writeFile writes b to dir/name and returns the path.
func writeFile(t *testing.T, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkErr fails unless err is a one-line error mentioning every fragment.
func checkErr(t *testing.T, err error, fragments ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want one mentioning %q", fragments)
	}
	msg := err.Error()
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans several lines: %q", msg)
	}
	for _, f := range fragments {
		if !strings.Contains(msg, f) {
			t.Errorf("error %q does not mention %q", msg, f)
		}
	}
}

func TestReadIDXRawAndGzip(t *testing.T) {
	dir := t.TempDir()
	payload := seq(2*3*4, 256)
	raw := idxBytes([]int{2, 3, 4}, payload)
	for _, tc := range []struct {
		name string
		b    []byte
	}{
		{"raw.idx", raw},
		// A gzip file whose name does not say so: detection is by magic bytes.
		{"compressed.idx", gzipBytes(raw)},
		{"x.gz", gzipBytes(raw)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ReadIDX(writeFile(t, dir, tc.name, tc.b))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Dims, []int{2, 3, 4}) || !bytes.Equal(m.Data, payload) {
				t.Errorf("got dims %v data %v", m.Dims, m.Data)
			}
		})
	}
}

func TestReadIDXTruncated(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "train-images-idx3-ubyte.gz", gzipBytes(idxBytes([]int{60000, 28, 28}, seq(1234, 256))))
	_, err := ReadIDX(p)
	checkErr(t, err, p, "truncated IDX: header says 60000×28×28 = 47040000 bytes of data, found 1234")
}

func TestReadIDXTruncatedHeader(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "short", []byte{0, 0, 8, 3, 0, 0})
	_, err := ReadIDX(p)
	checkErr(t, err, p, "truncated IDX header", "want 12", "found 2")
}

func TestReadIDXTrailingBytes(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "long", idxBytes([]int{2, 2}, seq(7, 256)))
	_, err := ReadIDX(p)
	checkErr(t, err, p, "3 trailing bytes", "2×2 = 4 bytes", "found 7")
}

func TestReadIDXCorruptMagic(t *testing.T) {
	dir := t.TempDir()
	b := idxBytes([]int{4}, seq(4, 256))
	b[1] = 0x42
	p := writeFile(t, dir, "bad-magic", b)
	_, err := ReadIDX(p)
	checkErr(t, err, p, "not an IDX file", "00 42 08 01")
}

func TestReadIDXWrongType(t *testing.T) {
	dir := t.TempDir()
	b := idxBytes([]int{4}, seq(16, 256))
	b[2] = 0x0D
	p := writeFile(t, dir, "floats", b)
	_, err := ReadIDX(p)
	checkErr(t, err, p, "0x0d (float32)", "want 0x08 (unsigned byte)")
}

func TestReadIDXBadNDim(t *testing.T) {
	dir := t.TempDir()
	for _, nd := range []byte{0, 5} {
		p := writeFile(t, dir, "nd", []byte{0, 0, 8, nd})
		_, err := ReadIDX(p)
		checkErr(t, err, p, "want 1 to 4")
	}
}

func TestReadIDXHugeHeader(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "huge", idxBytes([]int{1 << 31, 1 << 31, 1 << 31, 1 << 31}, nil))
	_, err := ReadIDX(p)
	checkErr(t, err, p, "more than")
}

func TestReadIDXCorruptGzip(t *testing.T) {
	dir := t.TempDir()
	good := gzipBytes(idxBytes([]int{100}, seq(100, 7)))
	t.Run("body", func(t *testing.T) {
		b := slices.Clone(good)
		for i := 12; i < len(b)-8; i++ {
			b[i] ^= 0xA5
		}
		p := writeFile(t, dir, "body.gz", b)
		_, err := ReadIDX(p)
		checkErr(t, err, p, "corrupt gzip stream")
	})
	t.Run("header", func(t *testing.T) {
		b := slices.Clone(good)
		b[2] = 99 // unknown compression method
		p := writeFile(t, dir, "header.gz", b)
		_, err := ReadIDX(p)
		checkErr(t, err, p, "corrupt gzip stream")
	})
	t.Run("checksum", func(t *testing.T) {
		b := slices.Clone(good)
		b[len(b)-6] ^= 1 // CRC-32 in the trailer
		p := writeFile(t, dir, "crc.gz", b)
		_, err := ReadIDX(p)
		checkErr(t, err, p, "corrupt gzip stream")
	})
	t.Run("cut", func(t *testing.T) {
		p := writeFile(t, dir, "cut.gz", good[:len(good)-4])
		_, err := ReadIDX(p)
		checkErr(t, err, p, "corrupt gzip stream")
	})
}

func TestReadIDXMissingFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "nope.gz")
	_, err := ReadIDX(p)
	checkErr(t, err, p, "cannot open")
}
