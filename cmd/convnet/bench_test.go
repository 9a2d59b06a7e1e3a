package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// benchJSON runs convnet bench with args (the model, if any, first) and
// short-run flags with --json, and returns the decoded object after
// checking the keys every result has.
func benchJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	code, out, errOut := runCLI(append(append([]string{"bench"}, args...), "--json", "--runs", "2", "--warmup", "1", "--threads", "1")...)
	if code != 0 {
		t.Fatalf("bench %v: exit %d: %s", args, code, errOut)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("bench %v: %v in %q", args, err, out)
	}
	for _, k := range []string{"ms_median", "gflops", "peak_gflops", "pct_peak", "peak_rss_mb"} {
		if v, ok := m[k].(float64); !ok || !(v > 0) {
			t.Errorf("bench %v: %s = %v, want a positive number", args, k, m[k])
		}
	}
	return m
}

func TestBenchGEMM(t *testing.T) {
	m := benchJSON(t, "--gemm", "40,30,20")
	if _, ok := m["images_per_s"]; ok {
		t.Errorf("--gemm prints images_per_s: %v", m)
	}
	if m["flops"] != float64(2*40*30*20) || m["mode"] != "sgemm" {
		t.Errorf("--gemm 40,30,20: %v", m)
	}
	code, out, errOut := runCLI("bench", "--gemm", "16,16,16", "--runs", "1", "--threads", "1")
	if code != 0 || !strings.Contains(out, "sgemm 16x16x16") || !strings.Contains(out, "% ") && !strings.Contains(out, "%\n") {
		t.Errorf("text output: exit %d\n%s%s", code, out, errOut)
	}
}

func TestBenchModel(t *testing.T) {
	for _, train := range []bool{false, true} {
		args := []string{"lenet5", "--batch", "2"}
		mode := "inference"
		if train {
			args, mode = append(args, "--train"), "train"
		}
		m := benchJSON(t, args...)
		if v, ok := m["images_per_s"].(float64); !ok || !(v > 0) || m["mode"] != mode || m["batch"] != 2.0 {
			t.Errorf("bench %v: %v", args, m)
		}
	}
	m := benchJSON(t, "resnet20", "--input", "3x16x16")
	if in, _ := m["input"].([]any); len(in) != 3 || in[1] != 16.0 {
		t.Errorf("--input 3x16x16: input %v", m["input"])
	}
	code, out, _ := runCLI("bench", "lenet5", "--runs", "1", "--warmup", "0", "--threads", "1")
	if code != 0 || !strings.Contains(out, "images/s") || !strings.Contains(out, "peak RSS") {
		t.Errorf("text output: exit %d\n%s", code, out)
	}
}

func TestBenchErrors(t *testing.T) {
	for _, tc := range []struct {
		want []string
		args []string
	}{
		{[]string{"name a model", "--gemm"}, nil},
		{[]string{"unknown model", "lenet9"}, []string{"lenet9"}},
		{[]string{"--gemm", "three sizes"}, []string{"--gemm", "1,2"}},
		{[]string{"--gemm", "not a positive size"}, []string{"--gemm", "1,0,3"}},
		{[]string{"not both"}, []string{"lenet5", "--gemm", "2,2,2"}},
		{[]string{"--train", "models"}, []string{"--gemm", "2,2,2", "--train"}},
		{[]string{"--batch"}, []string{"lenet5", "--batch", "0"}},
		{[]string{"--threads"}, []string{"lenet5", "--threads", "-1"}},
		{[]string{"--runs"}, []string{"lenet5", "--runs", "0"}},
		{[]string{"--warmup"}, []string{"lenet5", "--warmup", "-2"}},
		{[]string{"--input"}, []string{"lenet5", "--input", "1x28"}},
		{[]string{"does not fit"}, []string{"lenet5", "--input", "1x8x8", "--runs", "1"}},
		{[]string{"bogus"}, []string{"lenet5", "--bogus"}},
		{[]string{"unexpected argument", "extra"}, []string{"lenet5", "extra"}},
	} {
		expectError(t, tc.want, append([]string{"bench"}, tc.args...)...)
		code, _, errOut := runCLI(append([]string{"bench"}, tc.args...)...)
		if lines := strings.Split(strings.TrimSpace(errOut), "\n"); code == 0 || len(lines) > 2 || strings.Contains(lines[len(lines)-1], "\n") {
			t.Errorf("bench %v: exit %d, stderr %q", tc.args, code, errOut)
		}
	}
}
