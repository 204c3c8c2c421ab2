package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/trainer/data"
	"github.com/flowsense/flowsense/trainer/eval"
)

// loadModel reads a model from a model directory or a model.json file.
func loadModel(path string) (*model.Model, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: --model is required", errUsage)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		path = filepath.Join(path, trainer.ModelFile)
	}
	return model.ReadFile(path)
}

// readAgainst reads data files against a model's schema.
func readAgainst(schema *model.Schema, files []string, rf readFlags, stderr io.Writer) (*data.Dataset, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: --data is required", errUsage)
	}
	opt, err := rf.options()
	if err != nil {
		return nil, err
	}
	opt.Schema = schema
	opt.Features = nil
	ds, err := data.Read(files, opt)
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
		engine: f.String("engine", engineWasm, "wasm (the compiled module under wazero) or native (the reference predictor)"),
		files:  f.List("data", filesHelp),
		read:   addReadFlags(f),
	}
}

// open loads the model with its engine and reads the data against its
// schema. The caller closes the predictor.
func (mf modelFlags) open(ctx context.Context, stderr io.Writer) (*predictor, *data.Dataset, error) {
	p, err := loadPredictor(ctx, *mf.model, *mf.engine)
	if err != nil {
		return nil, nil, err
	}
	ds, err := readAgainst(p.schema, *mf.files, mf.read, stderr)
	if err != nil {
		p.close()
		return nil, nil, err
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
	defer p.close()
	if !ds.HasLabels {
		return fmt.Errorf("%s: no label column %q: eval needs labelled data (use predict for unlabelled)", (*mf.files)[0], ds.LabelName)
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
func evaluate(ctx context.Context, p *predictor, ds *data.Dataset) (eval.Metrics, error) {
	pred, err := p.predict(ctx, ds.Columns, ds.Rows)
	if err != nil {
		return eval.Metrics{}, err
	}
	y := ds.LabelsIn(p.classes)
	met, _, err := eval.Evaluate(p.classes, y, pred.Class, pred.Probs)
	if err != nil {
		return met, err
	}
	if p.threshold != nil {
		truth := make([]bool, ds.Rows)
		both := [2]bool{}
		for i, c := range y {
			truth[i] = c < 0 || !p.isBenign(int(c))
			if truth[i] {
				both[1] = true
			} else {
				both[0] = true
			}
		}
		if both[0] && both[1] {
			om, _, err := eval.EvaluateOutlier(truth, pred.Score, *p.threshold)
			if err != nil {
				return met, err
			}
			met.Outlier = &om
		}
	}
	met.NTest = ds.Rows
	return met, nil
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
	defer p.close()
	pred, err := p.predict(ctx, ds.Columns, ds.Rows)
	if err != nil {
		return err
	}
	write := func(w io.Writer) error {
		bw := bufio.NewWriter(w)
		bw.WriteString("row,label,probability,outlier_score,verdict\n")
		k := len(p.classes)
		var buf []byte
		for i := 0; i < ds.Rows; i++ {
			c := pred.Class[i]
			buf = strconv.AppendInt(buf[:0], int64(i+1), 10)
			buf = append(buf, ',')
			buf = appendCSV(buf, p.classes[c])
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
	return writeFileAtomic(*out, write)
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

// writeFileAtomic streams into a temporary file next to path and renames it
// into place only when write succeeded.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
