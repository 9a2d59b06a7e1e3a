package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestCostPrintsTheLectureExample(t *testing.T) {
	code, out, errOut := runCLI("cost", "--input", "12x12x3", "--kernel", "5", "--filters", "256")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	flat := strings.ReplaceAll(out, ",", "")
	for _, want := range []string{"1228800", "4800", "49152", "53952", "22.8x", "1/256 + 1/25"} {
		if !strings.Contains(flat, want) {
			t.Errorf("cost output lacks %s:\n%s", want, out)
		}
	}
	expectError(t, []string{"--input"}, "cost", "--input", "12x12", "--filters", "3")
	expectError(t, []string{"does not fit"}, "cost", "--input", "2x2x3", "--kernel", "5", "--filters", "3")
}

func TestSummaryLeNet5(t *testing.T) {
	code, out, errOut := runCLI("summary", "lenet5", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var s struct {
		Model  string           `json:"model"`
		Params int64            `json:"params"`
		MACs   int64            `json:"macs"`
		Layers []map[string]any `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &s); err != nil {
		t.Fatal(err)
	}
	// conv1 6·28·28·25 + conv2 16·10·10·150 + 400·120 + 120·84 + 84·10
	if s.Model != "lenet5" || s.Params != 61706 || s.MACs != 117600+240000+48000+10080+840 || len(s.Layers) != 5 {
		t.Fatalf("summary %+v", s)
	}
	code, out, _ = runCLI("summary", "lenet5")
	if code != 0 || !strings.Contains(out, "conv2") || !strings.Contains(out, "61,706") {
		t.Fatalf("text summary:\n%s", out)
	}
	expectError(t, []string{"unknown model"}, "summary", "lenet9")
	expectError(t, []string{"does not fit"}, "summary", "lenet5", "--input", "1x8x8")
	expectError(t, []string{"name a model"}, "summary")
}
