// Package testutil holds helpers shared by convnet's tests.
package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

// SharedDir returns the project's shared directory — the external suites
// (ONNX backend tests, conformance exports, anchors) that live beside the
// repository as ../shared. $CONVNET_SHARED overrides; /work/shared is the
// last resort. The test fails when none holds conformance/: these suites
// are part of the project's tests, not optional extras.
func SharedDir(t testing.TB) string {
	t.Helper()
	cands := []string{os.Getenv("CONVNET_SHARED")}
	if root, ok := repoRoot(); ok {
		cands = append(cands, filepath.Join(filepath.Dir(root), "shared"))
	}
	cands = append(cands, "/work/shared")
	for _, c := range cands {
		if c == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(c, "conformance")); err == nil {
			return c
		}
	}
	t.Fatalf("the shared suites (../shared/conformance beside the repository) were not found in %q; set CONVNET_SHARED", cands)
	return ""
}

// repoRoot walks up from the working directory to the directory holding
// go.mod.
func repoRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}
