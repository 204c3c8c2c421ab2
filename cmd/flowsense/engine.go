package main

import (
	"context"
	"fmt"
	"io"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/wasm/host"
)

// Engines for eval and predict.
const (
	engineWasm   = "wasm"
	engineNative = "native"
)

// openPredictor opens path (a model directory, a model.json or a
// model.wasm) with the named engine: the wasm engine runs the module
// (model.json compiled in memory when there is none; with explain, a
// module with the explain export, explainModule's), the native engine
// the native predictor (model.Predictor, the reference's answers) on
// model.json. note hears what explainModule says.
func openPredictor(ctx context.Context, path, engine string, explain bool, note io.Writer) (artifact.Predictor, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: --model is required", errUsage)
	}
	switch engine {
	case engineNative:
		m, _, err := artifact.ReadModel(path)
		if err != nil {
			return nil, err
		}
		return artifact.NewNative(m), nil
	case engineWasm:
		read := artifact.ReadModule
		if explain {
			read = func(path string) ([]byte, error) { return explainModule(path, note) }
		}
		b, err := read(path)
		if err != nil {
			return nil, err
		}
		mod, err := host.Load(ctx, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return mod, nil
	}
	return nil, fmt.Errorf("%w: --engine %q: want wasm or native", errUsage, engine)
}

// explainModule is the module with the explain export for path
// (artifact.ExplainModule: the module there when it has the export,
// checked without loading it, else model.json compiled with it, once);
// note says when model.json was compiled. predict --explain and serve
// --explain open their module with it.
func explainModule(path string, note io.Writer) ([]byte, error) {
	b, from, err := artifact.ExplainModule(path)
	if err != nil {
		return nil, err
	}
	if from != "" {
		fmt.Fprintf(note, "%s has no explain export: using %s compiled with it in memory (%d bytes; flowsense compile --explain writes such a module)\n", path, from, len(b))
	}
	return b, nil
}
