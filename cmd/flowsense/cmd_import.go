package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/model/xgboost"
	"github.com/flowsense/flowsense/wasm/compiler"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("import")
	out := f.String("out", "", "output model directory (model.json and model.wasm)")
	features := f.List("features", "feature names in the model's column order (default: the file's, else f0..fN-1)")
	classes := f.List("classes", "class names for labels 0..K-1 (default: \"0\"..\"K-1\")")
	benign := f.List("benign", "benign class names (default: normal or benign, else class 0)")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "xgboost MODEL.json --out DIR [--features ...] [--classes ...] [--benign ...]")
		return errHelp
	}
	if len(f.args) != 2 || f.args[0] != "xgboost" {
		return fmt.Errorf("%w: want: flowsense import xgboost MODEL.json --out DIR", errUsage)
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	src := f.args[1]
	opt := xgboost.Options{Name: filepath.Base(src)}
	if f.Set("features") {
		opt.FeatureNames = *features
	}
	if f.Set("classes") {
		opt.Classes = *classes
	}
	if f.Set("benign") {
		opt.Benign = *benign
	}
	m, err := xgboost.ReadFile(src, opt)
	if err != nil {
		return err
	}
	// Render both files before writing either: a failure leaves nothing.
	b, err := m.MarshalIndent()
	if err != nil {
		return err
	}
	mod, err := compiler.Compile(m, compiler.WithModelFile(b), compiler.WithoutExplain())
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if err := artifact.Write(*out, artifact.Files{Model: b, Wasm: mod}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %s: %d trees, %d features, classes %v\nmodel:  %s\nmodule: %s (%d bytes)\n",
		src, len(m.Ensemble.Trees), len(m.Schema.Features), m.Classes,
		filepath.Join(*out, artifact.ModelFile), filepath.Join(*out, artifact.WasmFile), len(mod))
	return nil
}
