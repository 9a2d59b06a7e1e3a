package checkpoint

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"unicode/utf8"

	"convnet/tensor"
)

// testHookBeforeRename, when set by a test, runs after the temporary file
// has been written, synced and closed and just before it is renamed over
// the destination; an error it returns makes Save fail at that point.
var testHookBeforeRename func(tmp string) error

// Save writes tensors and meta to path in the safetensors format: an 8-byte
// little-endian header length, a JSON header padded with spaces to a
// multiple of 8 bytes, then every tensor's data as little-endian F32, laid
// out in sorted key order. meta, if non-empty, is stored as the header's
// "__metadata__" object.
//
// Save is atomic: it writes a temporary file in path's directory, syncs it
// and renames it over path, so a reader sees either the old file or the
// complete new one. On any error the temporary file is removed and an
// existing file at path is left untouched. A new file gets mode 0644; a
// replaced file keeps its permission bits.
//
// Tensor names must be valid UTF-8 and may not be "__metadata__"; metadata
// keys and values must be valid UTF-8.
func Save(path string, tensors map[string]*tensor.Tensor, meta map[string]string) (err error) {
	hdr, names, err := buildHeader(tensors, meta)
	if err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	mode := fs.FileMode(0o644)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		mode = fi.Mode().Perm()
	}

	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fileError(path, fmt.Errorf("creating temporary file: %w", err))
	}
	tmp := f.Name()
	closed := false
	defer func() {
		if err != nil {
			if !closed {
				f.Close()
			}
			os.Remove(tmp)
		}
	}()

	w := bufio.NewWriterSize(f, 1<<16)
	if err := writeImage(w, hdr, names, tensors); err != nil {
		return fileError(path, fmt.Errorf("writing %s: %w", tmp, err))
	}
	if err := w.Flush(); err != nil {
		return fileError(path, fmt.Errorf("writing %s: %w", tmp, err))
	}
	if err := f.Chmod(mode); err != nil {
		return fileError(path, err)
	}
	if err := f.Sync(); err != nil {
		return fileError(path, err)
	}
	closed = true
	if err := f.Close(); err != nil {
		return fileError(path, err)
	}
	if testHookBeforeRename != nil {
		if err := testHookBeforeRename(tmp); err != nil {
			return fileError(path, err)
		}
	}
	if err := os.Rename(tmp, path); err != nil {
		return fileError(path, err)
	}
	// Make the rename itself durable. Some file systems cannot sync a
	// directory; the file is complete and in place either way.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// headerEntry is one tensor's entry in the JSON header.
type headerEntry struct {
	DType       string   `json:"dtype"`
	Shape       []int    `json:"shape"`
	DataOffsets [2]int64 `json:"data_offsets"`
}

// buildHeader validates the names and metadata and returns the padded JSON
// header together with the tensor names in the order their data follows it.
func buildHeader(tensors map[string]*tensor.Tensor, meta map[string]string) ([]byte, []string, error) {
	names := make([]string, 0, len(tensors))
	for name, t := range tensors {
		switch {
		case name == metadataKey:
			return nil, nil, fmt.Errorf("tensor name %q is reserved for metadata", name)
		case !utf8.ValidString(name):
			return nil, nil, fmt.Errorf("tensor name %q is not valid UTF-8", name)
		case t == nil:
			return nil, nil, fmt.Errorf("tensor %q is nil", name)
		}
		names = append(names, name)
	}
	slices.Sort(names)
	for k, v := range meta {
		if !utf8.ValidString(k) || !utf8.ValidString(v) {
			return nil, nil, fmt.Errorf("metadata %q: %q is not valid UTF-8", k, v)
		}
	}

	header := make(map[string]any, len(tensors)+1)
	if len(meta) > 0 {
		header[metadataKey] = meta
	}
	var offset int64
	for _, name := range names {
		t := tensors[name]
		size := int64(len(t.Data())) * 4
		header[name] = headerEntry{
			DType:       "F32",
			Shape:       append(make([]int, 0, len(t.Shape())), t.Shape()...), // [] rather than null for a scalar
			DataOffsets: [2]int64{offset, offset + size},
		}
		offset += size
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(header); err != nil {
		return nil, nil, fmt.Errorf("encoding header: %w", err)
	}
	hdr := bytes.TrimRight(buf.Bytes(), "\n")
	for len(hdr)%8 != 0 {
		hdr = append(hdr, ' ')
	}
	if len(hdr) > MaxHeaderSize {
		return nil, nil, fmt.Errorf("header of %d bytes exceeds the limit of %d bytes", len(hdr), MaxHeaderSize)
	}
	return hdr, names, nil
}

// writeImage writes the length prefix, the header and the data of the
// named tensors, in order, to w.
func writeImage(w io.Writer, hdr []byte, names []string, tensors map[string]*tensor.Tensor) error {
	var prefix [8]byte
	binary.LittleEndian.PutUint64(prefix[:], uint64(len(hdr)))
	if _, err := w.Write(prefix[:]); err != nil {
		return err
	}
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	const chunkElems = 1 << 14
	buf := make([]byte, 4*chunkElems)
	for _, name := range names {
		data := tensors[name].Data()
		for len(data) > 0 {
			k := min(len(data), chunkElems)
			for i, v := range data[:k] {
				binary.LittleEndian.PutUint32(buf[4*i:], math.Float32bits(v))
			}
			if _, err := w.Write(buf[:4*k]); err != nil {
				return err
			}
			data = data[k:]
		}
	}
	return nil
}

// encode returns the safetensors image of tensors and meta, as Save would
// write it.
func encode(tensors map[string]*tensor.Tensor, meta map[string]string) ([]byte, error) {
	hdr, names, err := buildHeader(tensors, meta)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := writeImage(&buf, hdr, names, tensors); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LoadInto reads the safetensors file at path into the tensors of dst, a
// model's state dict. The file must hold exactly the keys of dst, each with
// exactly the shape of the tensor in dst; the error names the first missing
// key (and how many are missing), the first unexpected key, or the first
// shape mismatch, in sorted key order. dst is modified only if the whole
// file loads and every check passes.
func LoadInto(path string, dst map[string]*tensor.Tensor) error {
	for _, name := range slices.Sorted(maps.Keys(dst)) {
		if dst[name] == nil {
			return fmt.Errorf("checkpoint: %s: model tensor %q is nil", path, name)
		}
	}
	// Check names and shapes from the header first, so that a wrong file is
	// rejected without reading its data.
	entries, _, err := ReadHeader(path)
	if err != nil {
		return err
	}
	shapes := make(map[string][]int, len(entries))
	for _, e := range entries {
		shapes[e.Name] = e.Shape
	}
	if err := matchStateDict(dst, shapes); err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	loaded, _, err := Load(path)
	if err != nil {
		return err
	}
	// The file may have changed between the two reads; check again.
	clear(shapes)
	for name, t := range loaded {
		shapes[name] = t.Shape()
	}
	if err := matchStateDict(dst, shapes); err != nil {
		return fmt.Errorf("checkpoint: %s: %w", path, err)
	}
	for name, t := range dst {
		t.CopyFrom(loaded[name])
	}
	return nil
}

// matchStateDict checks that shapes has exactly the keys of dst with the
// same shapes.
// A shape mismatch is reported first: it is the most specific problem.
func matchStateDict(dst map[string]*tensor.Tensor, shapes map[string][]int) error {
	for _, name := range slices.Sorted(maps.Keys(dst)) {
		if got, ok := shapes[name]; ok && !tensor.ShapeEqual(dst[name].Shape(), got) {
			return fmt.Errorf("%q: model expects %v, file has %v", name, dst[name].Shape(), got)
		}
	}
	var missing, extra []string
	for name := range dst {
		if _, ok := shapes[name]; !ok {
			missing = append(missing, name)
		}
	}
	for name := range shapes {
		if _, ok := dst[name]; !ok {
			extra = append(extra, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("file has no tensor %q (%d of the model's %d tensors missing)",
			missing[0], len(missing), len(dst))
	}
	if len(extra) > 0 {
		slices.Sort(extra)
		return fmt.Errorf("file has unexpected tensor %q, not in the model (%d unexpected)",
			extra[0], len(extra))
	}
	return nil
}
