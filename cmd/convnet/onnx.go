package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"convnet/checkpoint"
	"convnet/internal/kernels"
	"convnet/models"
	"convnet/nn"
	"convnet/onnx"
	"convnet/tensor"
)

func init() {
	verbs = append(verbs, verb{"onnx", "ONNX models: export, weights, test, run (convnet onnx -h)", cmdONNX})
}

// onnxVerbs are the sub-commands of convnet onnx.
var onnxVerbs = []verb{
	{"export", "write a zoo model (with its weights) as an ONNX opset-13 model", cmdONNXExport},
	{"weights", "write a model's initializers as safetensors", cmdONNXWeights},
	{"test", "run ONNX test directories and compare every output", cmdONNXTest},
	{"run", "run a model on input tensors and print its outputs", cmdONNXRun},
}

func cmdONNX(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, "Usage: convnet onnx <export|weights|test|run> [flags]   (convnet onnx <verb> -h for its flags)")
		for _, v := range onnxVerbs {
			fmt.Fprintf(stderr, "  %-8s %s\n", v.name, v.summary)
		}
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	for _, v := range onnxVerbs {
		if v.name == args[0] {
			return v.run(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "convnet onnx: unknown verb %q (known: export, weights, test, run)\n", args[0])
	return errUsage
}

// parseMixed parses flags that may come before, between or after
// positional arguments and returns the positional ones; -h and flag errors
// behave as in parse.
func parseMixed(fs *flagSet, args []string) ([]string, error) {
	var pos []string
	for {
		err := fs.Parse(args)
		switch {
		case errors.Is(err, flag.ErrHelp):
			fmt.Fprintf(fs.stderr, "Usage: convnet %s\n\n", fs.synopsis)
			fs.SetOutput(fs.stderr)
			fs.PrintDefaults()
			return nil, err
		case err != nil:
			fmt.Fprintf(fs.stderr, "convnet %s: %s (see convnet %s -h)\n", fs.Name(), oneLine(err.Error()), fs.Name())
			return nil, errUsage
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func cmdONNXExport(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("onnx export", "onnx export --model NAME [--weights W.safetensors] [--input CxHxW] [--classes N] -o OUT.onnx\n\n"+
		"Traces one evaluation-mode forward pass of the model through convnet's ops and writes it as ONNX\n"+
		"(opset 13, batch dimension \"N\" left dynamic, parameters and buffers named by their state-dict keys).", stderr)
	model := fs.String("model", "", "model name (convnet models lists them; required)")
	weights := fs.String("weights", "", "safetensors state dict to load (default: random initialisation from --seed)")
	input := fs.String("input", "", "input size CxHxW (default: the model's own)")
	classes := fs.Int("classes", 0, "number of classes (default: the model's own)")
	seed := fs.Uint64("seed", 1, "seed of the random initialisation when no --weights are given")
	out := fs.String("o", "", "ONNX file to write (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *model == "" || *out == "" {
		return fmt.Errorf("--model and -o are required (see convnet onnx export -h)")
	}
	spec, err := models.Lookup(*model)
	if err != nil {
		return err
	}
	in := spec.Input
	if *input != "" {
		if in, err = parseDims("input", *input); err != nil {
			return err
		}
	}
	m, err := models.New(*model, tensor.NewRNG(*seed), models.Options{NumClasses: *classes, InChannels: in[0]})
	if err != nil {
		return err
	}
	if *weights != "" {
		if err := loadWeights(*weights, m, true, stderr); err != nil {
			return err
		}
	}
	mp, err := onnx.Export(m, onnx.ExportOptions{Input: in[:], Name: *model})
	if err != nil {
		return err
	}
	if err := onnx.WriteModelFile(mp, *out); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s, %d nodes, %d initializers, %d parameters, input [N %d %d %d]\n",
		*out, *model, len(mp.GetGraph().GetNode()), len(mp.GetGraph().GetInitializer()), nn.NumParams(m), in[0], in[1], in[2])
	return nil
}

func cmdONNXWeights(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("onnx weights", "onnx weights MODEL.onnx -o WEIGHTS.safetensors", stderr)
	out := fs.String("o", "", "safetensors file to write (required)")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || *out == "" {
		return fmt.Errorf("want one MODEL.onnx and -o WEIGHTS.safetensors (see convnet onnx weights -h)")
	}
	w, err := onnx.ReadInitializers(pos[0])
	if err != nil {
		return err
	}
	if len(w) == 0 {
		return fmt.Errorf("%s has no floating-point initializers", pos[0])
	}
	if err := checkpoint.Save(*out, w, map[string]string{"format": "onnx-initializers"}); err != nil {
		return err
	}
	n := 0
	for _, t := range w {
		n += t.Len()
	}
	fmt.Fprintf(stdout, "wrote %d tensors (%d parameters) to %s\n", len(w), n, *out)
	return nil
}

func cmdONNXTest(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("onnx test", "onnx test [--json] DIR...", stderr)
	asJSON := fs.Bool("json", false, "print one JSON object per test")
	rule := fs.String("rule", "auto", "tolerance: op (elementwise atol 1e-7 + rtol 1e-3), model (1e-4 of the output's scale), or auto (by directory)")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	dirs, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(dirs) == 0 {
		return fmt.Errorf("no test directory given (see convnet onnx test -h)")
	}
	if *rule != "auto" && *rule != "op" && *rule != "model" {
		return fmt.Errorf("--rule %q: want auto, op or model", *rule)
	}
	kernels.SetThreads(*threads)
	var tests []onnx.TestCase
	for _, d := range dirs {
		ts, err := onnx.FindTests(d)
		if err != nil {
			return err
		}
		tests = append(tests, ts...)
	}
	counts := map[string]int{}
	for _, tc := range tests {
		if *rule != "auto" {
			tc.WholeModel = *rule == "model"
		}
		r := onnx.RunTest(tc)
		counts[r.Status]++
		if *asJSON {
			b, _ := json.Marshal(r)
			fmt.Fprintln(stdout, string(b))
			continue
		}
		line := fmt.Sprintf("%-48s %-11s max_abs_err %-9.3g max_rel_err %-9.3g %5.2fs", r.Name, r.Status, r.MaxAbsErr, r.MaxRelErr, r.Seconds)
		switch r.Status {
		case "UNSUPPORTED":
			line = fmt.Sprintf("%-48s %-11s %s", r.Name, r.Status, r.Op)
		case "FAIL":
			line += "  " + oneLine(r.Error)
		}
		fmt.Fprintln(stdout, line)
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "%d tests: %d PASS, %d FAIL, %d UNSUPPORTED\n", len(tests), counts["PASS"], counts["FAIL"], counts["UNSUPPORTED"])
	}
	if counts["FAIL"] > 0 {
		return fmt.Errorf("%d of %d tests failed", counts["FAIL"], len(tests))
	}
	return nil
}

func cmdONNXRun(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("onnx run", "onnx run MODEL.onnx --input X.pb [--input Y.pb ...]", stderr)
	var inputs stringList
	fs.Var(&inputs, "input", "TensorProto file of an input, in the model's input order or named by the tensor (repeatable)")
	top := fs.Int("top", 5, "classes to show per row of a classifier's [N, classes] output")
	asJSON := fs.Bool("json", false, "print the outputs as one JSON object")
	threads := fs.Int("threads", 0, "worker threads (0: all cores)")
	pos, err := parseMixed(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("want one MODEL.onnx (see convnet onnx run -h)")
	}
	kernels.SetThreads(*threads)
	m, err := onnx.ReadModel(pos[0])
	if err != nil {
		return err
	}
	if len(inputs) != len(m.Inputs) {
		return fmt.Errorf("the model has %d inputs, %d --input given", len(m.Inputs), len(inputs))
	}
	in := map[string]*onnx.Tensor{}
	for i, f := range inputs {
		t, err := onnx.ReadTensorFile(f)
		if err != nil {
			return err
		}
		name := m.Inputs[i].Name
		for _, d := range m.Inputs {
			if d.Name == t.Name {
				name = t.Name
			}
		}
		in[name] = t
	}
	outs, err := m.RunTensors(in)
	if err != nil {
		return err
	}
	if *asJSON {
		obj := map[string]any{}
		for name, t := range outs {
			obj[name] = map[string]any{"shape": t.Data.Shape(), "data": t.Data.Data()}
		}
		b, err := json.Marshal(obj)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	for _, o := range m.Outputs {
		t := outs[o.Name].Data
		fmt.Fprintf(stdout, "%s %v\n", o.Name, t.Shape())
		if t.NDim() == 2 && t.Dim(1) > 1 && *top > 0 {
			for i := 0; i < t.Dim(0); i++ {
				fmt.Fprintf(stdout, "  [%d] top-%d:%s\n", i, min(*top, t.Dim(1)), topK(t.Index(i), *top))
			}
			continue
		}
		fmt.Fprintln(stdout, t)
	}
	return nil
}

// topK formats the k largest entries of a 1-D tensor as " class (score)".
func topK(row *tensor.Tensor, k int) string {
	d := row.Data()
	idx := make([]int, len(d))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return d[idx[a]] > d[idx[b]] })
	var b strings.Builder
	for _, i := range idx[:min(k, len(idx))] {
		fmt.Fprintf(&b, " %d (%.4g)", i, d[i])
	}
	return b.String()
}
