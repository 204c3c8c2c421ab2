package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
)

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"train", "train a classifier and outlier detector, evaluate it, write model.json, metrics.json, report.html", runTrain},
		{"eval", "evaluate a model on labelled data; metrics JSON on stdout", runEval},
		{"predict", "classify every row of a file; CSV of label, probability, outlier score, verdict", runPredict},
		{"serve", "serve a model over HTTP: /predict (JSON, CSV), CloudEvents, /model, /model.wasm, health", runServe},
		{"compile", "compile model.json into a standalone WebAssembly module (model.wasm)", runCompile},
		{"import", "import a model trained elsewhere: import xgboost MODEL.json --out DIR", runImport},
		{"drift", "compare current data with a reference: Evidently's data-drift tests, JSON summary, HTML report", runDrift},
		{"collect", "a NetFlow v5/v9/IPFIX collector: classify every flow with a model, verdicts to a sink; --out writes CSV", runCollect},
		{"simulate", "send labelled flows to a running function at a bounded rate; live line, then a JSON summary", runSimulate},
		{"tune", "search the model parameters (successive halving, cross-validated); best vs defaults on held-out data", runTune},
		{"runs", "recorded runs: runs list | show ID | compare ID ID", runRuns},
		{"extract", "packet captures (pcap, pcapng) to flow records in the CIC-IDS2017 columns, each flow as it ends", runExtract},
		{"sensor", "capture packets (a pcap, stdin, or a live interface), assemble flows, send them as CloudEvents to a Broker or a function", runSensor},
		{"gen", "write a synthetic CICFlowMeter-style labelled dataset", runGen},
		{"inspect", "describe a model", runInspect},
		{"version", "print the version", runVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	stopProfile := startProfile(os.Stderr)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	os.Exit(code)
}

// run executes one command line and returns the exit status: 0, or 2 for
// any error (bad usage, bad input, a failed write).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stderr)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		if err == nil || errors.Is(err, errHelp) {
			return 0
		}
		if errors.Is(err, errDrift) { // drift --fail-on-drift
			fmt.Fprintf(stderr, "flowsense %s: %v\n", c.name, err)
			return 1
		}
		fmt.Fprintf(stderr, "flowsense %s: %v\n", c.name, oneLine(err))
		return 2
	}
	fmt.Fprintf(stderr, "flowsense: unknown command %q\n", args[0])
	usage(stderr)
	return 2
}

var errHelp = errors.New("help shown")

func runVersion(_ context.Context, args []string, stdout, _ io.Writer) error {
	f := newFlags("version")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "")
		return errHelp
	}
	if len(f.args) > 0 {
		return fmt.Errorf("%w: version takes no arguments", errUsage)
	}
	fmt.Fprintln(stdout, "flowsense", version())
	return nil
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: flowsense COMMAND [options]   (flowsense COMMAND --help for its options)")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	s := []rune(err.Error())
	for i, r := range s {
		if r == '\n' || r == '\r' {
			s[i] = ' '
		}
	}
	return string(s)
}
