package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/atomicfile"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/eval"
)

// readAgainst reads data files against a model's schema.
func readAgainst(schema *model.Schema, files []string, rf readFlags, stderr io.Writer) (*flowdata.Dataset, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: --data is required", errUsage)
	}
	opt, err := rf.options()
	if err != nil {
		return nil, err
	}
	opt.Schema = schema
	opt.Features = nil
	ds, err := flowdata.Read(files, opt)
	if err != nil {
		return nil, err
	}
	if ds.Skipped > 0 {
		fmt.Fprintf(stderr, "skipped %d malformed rows\n", ds.Skipped)
	}
	return ds, nil
}

// modelFlags are the options eval and predict share: a model, an engine,
// data files and the reading options.
type modelFlags struct {
	model, engine *string
	files         *[]string
	read          readFlags
}

func addModelFlags(f *flagSet, filesHelp string) modelFlags {
	return modelFlags{
		model:  f.String("model", "", "model directory, model.json or model.wasm"),
		engine: f.String("engine", engineWasm, "wasm (the compiled module under wazero) or native (the native predictor, the reference's answers)"),
		files:  f.List("data", filesHelp),
		read:   addReadFlags(f),
	}
}

// open loads the model with its engine and reads the data against its
// schema. The caller closes the predictor.
func (mf modelFlags) open(ctx context.Context, stderr io.Writer, explain bool) (artifact.Predictor, *flowdata.Dataset, error) {
	p, err := openPredictor(ctx, *mf.model, *mf.engine, explain, stderr)
	if err != nil {
		return nil, nil, err
	}
	ds, err := readAgainst(&p.Metadata().Schema, *mf.files, mf.read, stderr)
	if err != nil {
		p.Close(ctx)
		return nil, nil, readHint(err, *mf.model, *mf.read.format)
	}
	return p, ds, nil
}

func runEval(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("eval")
	mf := addModelFlags(f, "labelled files to evaluate on")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--model DIR|model.wasm --data FILE... [options]")
		return errHelp
	}
	p, ds, err := mf.open(ctx, stderr, false)
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	if !ds.HasLabels {
		return noLabelError((*mf.files)[0], *mf.read.label, "eval", "to classify unlabelled flows use flowsense predict --model "+*mf.model+" --data "+(*mf.files)[0])
	}
	met, err := evaluate(ctx, p, ds)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(met)
}

// evaluate predicts every row of ds and scores the answers against its
// labels.
func evaluate(ctx context.Context, p artifact.Predictor, ds *flowdata.Dataset) (eval.Metrics, error) {
	pred, err := artifact.PredictColumns(ctx, p, ds.Columns, ds.Rows)
	if err != nil {
		return eval.Metrics{}, err
	}
	md := p.Metadata()
	task := eval.Task{Classes: md.Classes, Benign: md.Benign}
	if md.Outlier != nil {
		task.Threshold = &md.Outlier.Threshold
	}
	met, _, err := task.EvaluateModel(ds.LabelsIn(md.Classes), pred.Class, pred.Probs, pred.Score)
	met.NTest = ds.Rows
	return met, err
}

func runPredict(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("predict")
	mf := addModelFlags(f, "files to classify (labels not needed)")
	out := f.String("out", "", "output file (default: stdout)")
	outFormat := f.String("out-format", outCSV, "csv, or jsonl (one JSON object a row)")
	explain := f.String("explain", "0", "add the top N contributions of each row's predicted class (TreeSHAP) and of its outlier score; 0: off")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--model DIR|model.wasm --data FILE... [--out FILE] [--out-format csv|jsonl] [--explain N] [options]")
		fmt.Fprintln(stdout)
		fmt.Fprintln(stdout, predictUsage)
		return errHelp
	}
	if *outFormat != outCSV && *outFormat != outJSONL {
		return fmt.Errorf("%w: --out-format %q: want csv or jsonl", errUsage, *outFormat)
	}
	top, err := strconv.Atoi(*explain)
	if err != nil || top < 0 {
		return fmt.Errorf("%w: --explain %q: want a whole number of features, 0 for none", errUsage, *explain)
	}
	p, ds, err := mf.open(ctx, stderr, top > 0)
	if err != nil {
		return err
	}
	defer func() { p.Close(ctx) }()
	var x rowExplainer
	if top > 0 {
		if x, err = newRowExplainer(p, *mf.model); err != nil {
			return err
		}
	}
	pred, err := artifact.PredictColumns(ctx, p, ds.Columns, ds.Rows)
	if err != nil {
		return err
	}
	md := p.Metadata()
	pm := &predictMeta{schema: md.Schema, classes: md.Classes}
	if md.Outlier != nil {
		pm.outlierInputs = len(md.Outlier.Features)
	}
	write := func(w io.Writer) error {
		return writePredictions(ctx, w, *outFormat, ds, pred, pm, x, top)
	}
	if *out == "" {
		return write(stdout)
	}
	return atomicfile.Write(*out, write)
}

// appendCSV appends s as a CSV field, quoted when it must be.
func appendCSV(b []byte, s string) []byte {
	need := false
	for _, r := range s {
		if r == ',' || r == '"' || r == '\n' || r == '\r' {
			need = true
			break
		}
	}
	if !need {
		return append(b, s...)
	}
	b = append(b, '"')
	for _, r := range s {
		if r == '"' {
			b = append(b, '"')
		}
		b = append(b, string(r)...)
	}
	return append(b, '"')
}
