package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"convnet/models"
	"convnet/nn"
)

func init() {
	verbs = append(verbs,
		verb{"summary", "per-layer output shapes, parameters and multiply-accumulates of a model", cmdSummary},
		verb{"cost", "standard vs depthwise-separable convolution: multiplies and parameters", cmdCost})
}

// parseDims reads "AxBxC" into three positive integers.
func parseDims(flagName, s string) ([3]int, error) {
	var d [3]int
	parts := strings.Split(s, "x")
	if len(parts) != 3 {
		return d, fmt.Errorf("--%s %q: want three sizes like 3x224x224", flagName, s)
	}
	for i, p := range parts {
		v, err := strconv.Atoi(p)
		if err != nil || v < 1 {
			return d, fmt.Errorf("--%s %q: %q is not a positive size", flagName, s, p)
		}
		d[i] = v
	}
	return d, nil
}

// group formats n with thousands separators.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

func cmdSummary(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("summary", "summary MODEL [--input CxHxW] [--classes N] [--json]\n\n"+
		"Lists every leaf layer that runs in inference (batch 1): dotted name, type, output shape,\n"+
		"parameters and multiply-accumulates. 1 MAC = one multiply-add; conv MACs =\n"+
		"Cout·Hout·Wout·(Cin/groups)·Kh·Kw, linear MACs = in·out; batch norm, activations,\n"+
		"pooling and element-wise adds are not counted. 'params' totals the layers that ran;\n"+
		"'params_total' also counts training-only heads (GoogLeNet's auxiliary classifiers).", stderr)
	input := fs.String("input", "", "input size CxHxW (default: the model's own)")
	classes := fs.Int("classes", 0, "number of classes (default: the model's own)")
	asJSON := fs.Bool("json", false, "print one JSON object")
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if err := parse(fs, args); err != nil {
			return err
		}
		return fmt.Errorf("name a model (see convnet models)")
	}
	name := args[0]
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	spec, err := models.Lookup(name)
	if err != nil {
		return err
	}
	in := spec.Input
	if *input != "" {
		if in, err = parseDims("input", *input); err != nil {
			return err
		}
	}
	m, err := models.New(name, nil, models.Options{NumClasses: *classes, InChannels: in[0]})
	if err != nil {
		return err
	}
	s, err := nn.Summarize(m, in[:])
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if *asJSON {
		b, _ := json.Marshal(struct {
			Model string `json:"model"`
			nn.Summary
		}{name, s})
		fmt.Fprintln(stdout, string(b))
		return nil
	}
	fmt.Fprintf(stdout, "%s, input %dx%dx%d\n\n", name, in[0], in[1], in[2])
	fmt.Fprintf(stdout, "%-40s %-18s %-16s %12s %16s\n", "layer", "type", "output", "params", "MACs")
	for _, l := range s.Layers {
		fmt.Fprintf(stdout, "%-40s %-18s %-16s %12s %16s\n", l.Name, l.Type, shapeString(l.Output), group(l.Params), group(l.MACs))
	}
	fmt.Fprintf(stdout, "\nparams %s (%.2f M)", group(s.Params), float64(s.Params)/1e6)
	if s.All != s.Params {
		fmt.Fprintf(stdout, "; with training-only layers %s", group(s.All))
	}
	fmt.Fprintf(stdout, "\nMACs   %s (%s) per image; output %s\n", group(s.MACs), scaled(s.MACs), shapeString(s.Output))
	return nil
}

// scaled writes n in G or M.
func scaled(n int64) string {
	if n >= 1e9 {
		return fmt.Sprintf("%.3f G", float64(n)/1e9)
	}
	return fmt.Sprintf("%.3f M", float64(n)/1e6)
}

func shapeString(s []int) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = strconv.Itoa(d)
	}
	return strings.Join(parts, "x")
}

func cmdCost(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("cost", "cost --input HxWxC --kernel K --filters N [--stride S] [--padding P]\n\n"+
		"Multiplies and parameters of a standard K×K convolution with N filters versus its\n"+
		"depthwise-separable form (K×K depthwise per channel + 1×1 pointwise), biases not counted.", stderr)
	input := fs.String("input", "", "input size HxWxC (required)")
	k := fs.Int("kernel", 3, "kernel size K")
	n := fs.Int("filters", 0, "number of filters N (required)")
	stride := fs.Int("stride", 1, "stride")
	pad := fs.Int("padding", 0, "zero padding on each side")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *input == "" || *n == 0 {
		return fmt.Errorf("--input and --filters are required")
	}
	d, err := parseDims("input", *input)
	if err != nil {
		return err
	}
	c, err := nn.NewSeparableCost(d[0], d[1], d[2], *k, *n, *stride, *pad)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "input %dx%dx%d, %d filters of %dx%d, stride %d, padding %d -> output %dx%dx%d\n\n",
		c.H, c.W, c.C, c.N, c.K, c.K, c.Stride, c.Pad, c.OH, c.OW, c.N)
	fmt.Fprintf(stdout, "%-16s %-22s %14s   %-14s %10s\n", "", "", "multiplies", "", "parameters")
	row := func(name, formula string, mults int64, pformula string, params int64) {
		fmt.Fprintf(stdout, "%-16s %-22s %14s   %-14s %10s\n", name, formula, group(mults), pformula, group(params))
	}
	row("standard", fmt.Sprintf("%d·%d·%d·%d·%d·%d", c.K, c.K, c.C, c.N, c.OH, c.OW), c.StandardMults, fmt.Sprintf("%d·%d·%d·%d", c.K, c.K, c.C, c.N), c.StandardParams)
	row("depthwise", fmt.Sprintf("%d·%d·%d·%d·%d", c.K, c.K, c.C, c.OH, c.OW), c.DepthwiseMults, fmt.Sprintf("%d·%d·%d", c.K, c.K, c.C), c.DepthwiseParams)
	row("pointwise", fmt.Sprintf("%d·%d·%d·%d", c.C, c.N, c.OH, c.OW), c.PointwiseMults, fmt.Sprintf("%d·%d", c.C, c.N), c.PointwiseParams)
	row("separable total", "depthwise + pointwise", c.SeparableMults, "", c.SeparableParams)
	fmt.Fprintf(stdout, "\nseparable needs %.1fx fewer multiplies (%.4f of standard; closed form 1/N + 1/K² = 1/%d + 1/%d = %.4f)\n",
		c.Ratio(), 1/c.Ratio(), c.N, c.K*c.K, c.ClosedForm())
	return nil
}
