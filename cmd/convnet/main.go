// Command convnet trains, evaluates and inspects convolutional networks.
//
//	convnet train [flags]     train a model (default: LeNet-5 on MNIST)
//	convnet eval --weights F  test accuracy of saved weights
//	convnet models            list the model registry
//
// Every verb takes -h. Progress goes to stderr, results to stdout; errors
// are one line on stderr with a non-zero exit status.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// verb is one sub-command.
type verb struct {
	name, summary string
	run           func(args []string, stdout, stderr io.Writer) error
}

// verbs lists the sub-commands in the order the usage shows them. Files
// that add a verb append to it from their init function (verbs is
// initialised before any init function runs).
var verbs = []verb{
	{"train", "train a model on a data set, checkpointing every epoch", cmdTrain},
	{"eval", "report test loss and accuracy of saved weights", cmdEval},
	{"models", "list the models that can be built by name", cmdModels},
}

// errUsage marks an error whose message has already been printed by flag.
var errUsage = errors.New("usage")

func usage(w io.Writer) {
	fmt.Fprintln(w, "convnet — convolutional neural networks in Go")
	fmt.Fprintln(w, "\nUsage: convnet <verb> [flags]   (convnet <verb> -h for the verb's flags)")
	fmt.Fprintln(w, "\nVerbs:")
	for _, v := range verbs {
		fmt.Fprintf(w, "  %-8s %s\n", v.name, v.summary)
	}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes a command line and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, v := range verbs {
		if v.name == args[0] {
			err := v.run(args[1:], stdout, stderr)
			switch {
			case err == nil:
				return 0
			case errors.Is(err, flag.ErrHelp):
				return 0
			case errors.Is(err, errUsage):
				return 2
			}
			fmt.Fprintln(stderr, "convnet "+v.name+": "+oneLine(err.Error()))
			return 1
		}
	}
	fmt.Fprintf(stderr, "convnet: unknown verb %q (known: %s)\n", args[0], verbNames())
	return 2
}

func verbNames() string {
	var ns []string
	for _, v := range verbs {
		ns = append(ns, v.name)
	}
	return strings.Join(ns, ", ")
}

// oneLine flattens a message onto a single line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// flagSet is a verb's flags with its one-line synopsis and where -h and
// flag errors are printed.
type flagSet struct {
	*flag.FlagSet
	synopsis string
	stderr   io.Writer
}

// newFlags returns a flag set that reports errors instead of exiting; -h
// prints the usage on stderr.
func newFlags(name, synopsis string, stderr io.Writer) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &flagSet{FlagSet: fs, synopsis: synopsis, stderr: stderr}
}

// parse parses args. -h prints the usage (flag.ErrHelp is returned); a bad
// flag or a stray positional argument prints one line and returns errUsage.
func parse(fs *flagSet, args []string) error {
	err := fs.Parse(args)
	switch {
	case errors.Is(err, flag.ErrHelp):
		fmt.Fprintf(fs.stderr, "Usage: convnet %s\n\n", fs.synopsis)
		fs.SetOutput(fs.stderr)
		fs.PrintDefaults()
		return err
	case err != nil:
		fmt.Fprintf(fs.stderr, "convnet %s: %s (see convnet %s -h)\n", fs.Name(), oneLine(err.Error()), fs.Name())
		return errUsage
	case fs.NArg() > 0:
		fmt.Fprintf(fs.stderr, "convnet %s: unexpected argument %q (see convnet %s -h)\n", fs.Name(), fs.Arg(0), fs.Name())
		return errUsage
	}
	return nil
}
