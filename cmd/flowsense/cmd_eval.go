package main

import (
	"bufio"
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
func (mf modelFlags) open(ctx context.Context, stderr io.Writer) (artifact.Predictor, *flowdata.Dataset, error) {
	p, err := openPredictor(ctx, *mf.model, *mf.engine)
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
	p, ds, err := mf.open(ctx, stderr)
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
	out := f.String("out", "", "output CSV (default: stdout)")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--model DIR|model.wasm --data FILE... [--out FILE] [options]")
		return errHelp
	}
	p, ds, err := mf.open(ctx, stderr)
	if err != nil {
		return err
	}
	defer p.Close(ctx)
	pred, err := artifact.PredictColumns(ctx, p, ds.Columns, ds.Rows)
	if err != nil {
		return err
	}
	classes := p.Metadata().Classes
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString("row,label,probability,outlier_score,verdict\n")
		k := len(classes)
		var buf []byte
		for i := 0; i < ds.Rows; i++ {
			c := pred.Class[i]
			buf = strconv.AppendInt(buf[:0], int64(i+1), 10)
			buf = append(buf, ',')
			buf = appendCSV(buf, classes[c])
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, pred.Probs[i*k+int(c)], 'g', 9, 64)
			buf = append(buf, ',')
			buf = strconv.AppendFloat(buf, pred.Score[i], 'g', 9, 64)
			buf = append(buf, ',')
			buf = append(buf, pred.Verdict[i].String()...)
			buf = append(buf, '\n')
			bw.Write(buf)
		}
		return bw.Flush()
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
