package main

import (
	"context"
	"fmt"

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
// (model.json compiled in memory when there is none), the native engine
// the native predictor (model.Predictor, the reference's answers) on
// model.json.
func openPredictor(ctx context.Context, path, engine string) (artifact.Predictor, error) {
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
		b, err := artifact.ReadModule(path)
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
