package checkpoint

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"convnet/tensor"
)

// Mismatch is a tensor present in both the model and the file with
// different shapes.
type Mismatch struct {
	Name        string
	Model, File []int
}

// LoadReport says what a non-strict load did.
type LoadReport struct {
	Loaded     []string   // copied into the model
	Missing    []string   // in the model, not in the file (left as they were)
	Unexpected []string   // in the file, not in the model (ignored)
	Mismatched []Mismatch // same name, different shapes (left as they were)
}

// String lists what was not loaded, one clause per kind.
func (r LoadReport) String() string {
	var parts []string
	parts = append(parts, fmt.Sprintf("loaded %d tensors", len(r.Loaded)))
	if len(r.Missing) > 0 {
		parts = append(parts, fmt.Sprintf("%d missing from the file (%s)", len(r.Missing), firstFew(r.Missing)))
	}
	if len(r.Mismatched) > 0 {
		var ms []string
		for _, m := range r.Mismatched {
			ms = append(ms, fmt.Sprintf("%s: model %v, file %v", m.Name, m.Model, m.File))
		}
		parts = append(parts, fmt.Sprintf("%d with other shapes (%s)", len(r.Mismatched), firstFew(ms)))
	}
	if len(r.Unexpected) > 0 {
		parts = append(parts, fmt.Sprintf("%d not in the model (%s)", len(r.Unexpected), firstFew(r.Unexpected)))
	}
	return strings.Join(parts, "; ")
}

// firstFew joins up to eight names and says how many more there are.
func firstFew(names []string) string {
	const show = 8
	if len(names) <= show {
		return strings.Join(names, ", ")
	}
	return strings.Join(names[:show], ", ") + fmt.Sprintf(", … %d more", len(names)-show)
}

// LoadMatching copies from the file at path every tensor whose name and
// shape match an entry of dst, and reports the rest (PyTorch's
// load_state_dict(strict=False), with shape mismatches skipped instead of
// failing). A file that cannot be read is an error and changes nothing.
func LoadMatching(path string, dst map[string]*tensor.Tensor) (LoadReport, error) {
	var r LoadReport
	src, _, err := Load(path)
	if err != nil {
		return r, err
	}
	for _, name := range slices.Sorted(maps.Keys(dst)) {
		s, ok := src[name]
		switch {
		case !ok:
			r.Missing = append(r.Missing, name)
		case !tensor.SameShape(s, dst[name]):
			r.Mismatched = append(r.Mismatched, Mismatch{name, dst[name].Shape(), s.Shape()})
		default:
			r.Loaded = append(r.Loaded, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(src)) {
		if _, ok := dst[name]; !ok {
			r.Unexpected = append(r.Unexpected, name)
		}
	}
	for _, name := range r.Loaded {
		dst[name].CopyFrom(src[name])
	}
	return r, nil
}
