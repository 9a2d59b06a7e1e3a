package checkpoint

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the decoder behind Load and ReadHeader.
// Neither may panic or return a multi-line error, they must agree on whether
// the header is valid, and whatever loads must survive a Save/Load round
// trip bit for bit.
func FuzzLoad(f *testing.F) {
	seed, err := encode(sampleTensors(), map[string]string{"epoch": "1"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	if fixture, err := os.ReadFile(filepath.Join("testdata", "fixture.safetensors")); err == nil {
		f.Add(fixture)
	}
	f.Add(image(`{}`, nil))
	f.Add(image(`{"a":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}`, []byte{0, 1}))
	f.Add(image(`{"a":{"dtype":"F16","shape":[],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[0,5],"data_offsets":[2,2]}}`, []byte{0, 0x3c}))
	f.Add(image(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)))
	f.Add(withPrefix(1<<40, "{}"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		ts, meta, err := decode(bytes.NewReader(data), int64(len(data)))
		_, herr := parseHeader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("multi-line error %q", err)
			}
			if ts != nil || meta != nil {
				t.Fatal("values returned with an error")
			}
			return
		}
		if herr != nil {
			t.Fatalf("decode succeeded but parseHeader failed: %v", herr)
		}
		again, err := encode(ts, meta)
		if err != nil {
			t.Fatalf("re-encoding a loaded file: %v", err)
		}
		ts2, meta2, err := decode(bytes.NewReader(again), int64(len(again)))
		if err != nil {
			t.Fatalf("reloading a re-encoded file: %v", err)
		}
		assertSameTensors(t, ts2, ts)
		if !maps.Equal(meta, meta2) {
			t.Fatalf("metadata %q became %q", meta, meta2)
		}
	})
}
