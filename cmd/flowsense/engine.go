package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/wasm"
)

// Engines for eval and predict.
const (
	engineWasm   = "wasm"
	engineNative = "native"
)

// predictor is a loaded model behind either engine: the compiled module run
// by wazero, or the native reference predictor.
type predictor struct {
	schema    *model.Schema
	classes   []string
	benign    []int
	threshold *float64 // nil without an outlier detector
	predict   func(ctx context.Context, cols [][]float32, n int) (*trainer.Predictions, error)
	close     func()
}

func (p *predictor) isBenign(c int) bool {
	for _, b := range p.benign {
		if b == c {
			return true
		}
	}
	return false
}

// loadPredictor opens path (a model directory, a model.json or a
// model.wasm) with the named engine. The wasm engine runs DIR/model.wasm,
// compiling model.json in memory when a directory has no module; the
// native engine needs model.json.
func loadPredictor(ctx context.Context, path, engine string) (*predictor, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: --model is required", errUsage)
	}
	if engine != engineWasm && engine != engineNative {
		return nil, fmt.Errorf("%w: --engine %q: want wasm or native", errUsage, engine)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	jsonPath, wasmPath := path, ""
	if st.IsDir() {
		jsonPath = filepath.Join(path, trainer.ModelFile)
		if w := filepath.Join(path, trainer.WasmFile); fileExists(w) {
			wasmPath = w
		}
	} else if isWasmFile(path) {
		jsonPath, wasmPath = "", path
	}
	if engine == engineNative {
		if jsonPath == "" {
			return nil, fmt.Errorf("%s: the native engine needs model.json; a .wasm module runs with --engine wasm", path)
		}
		m, err := model.ReadFile(jsonPath)
		if err != nil {
			return nil, err
		}
		return nativePredictor(m), nil
	}
	var wasmBytes []byte
	if wasmPath != "" {
		if wasmBytes, err = os.ReadFile(wasmPath); err != nil {
			return nil, err
		}
	} else {
		m, err := model.ReadFile(jsonPath)
		if err != nil {
			return nil, err
		}
		if wasmBytes, err = wasm.Compile(m); err != nil {
			return nil, fmt.Errorf("%s: %w", jsonPath, err)
		}
		wasmPath = jsonPath
	}
	mod, err := wasm.Load(ctx, wasmBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", wasmPath, err)
	}
	return wasmPredictor(mod), nil
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// isWasmFile tells a module from a model file by its magic bytes.
func isWasmFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return strings.HasSuffix(path, ".wasm")
	}
	defer f.Close()
	var b [4]byte
	n, _ := f.Read(b[:])
	return n == 4 && string(b[:]) == "\x00asm"
}

func nativePredictor(m *model.Model) *predictor {
	p := &predictor{schema: &m.Schema, classes: m.Classes, benign: m.Benign, close: func() {}}
	if m.Outlier != nil {
		p.threshold = &m.Outlier.Threshold
	}
	p.predict = func(_ context.Context, cols [][]float32, n int) (*trainer.Predictions, error) {
		return trainer.PredictColumns(m, cols, n), nil
	}
	return p
}

func wasmPredictor(mod *wasm.Module) *predictor {
	md := mod.Metadata()
	p := &predictor{schema: &md.Schema, classes: md.Classes, benign: md.Benign}
	if md.Outlier != nil {
		t := md.Outlier.Threshold
		p.threshold = &t
	}
	p.close = func() { mod.Close(context.Background()) }
	p.predict = func(ctx context.Context, cols [][]float32, n int) (*trainer.Predictions, error) {
		k, f := len(md.Classes), len(cols)
		out := &trainer.Predictions{
			Class: make([]int32, n), Probs: make([]float64, n*k), Score: make([]float64, n), Verdict: make([]model.Verdict, n),
		}
		const chunk = 4096
		rows := make([]float32, chunk*f)
		res := make([]wasm.Result, chunk)
		for lo := 0; lo < n; lo += chunk {
			hi := min(n, lo+chunk)
			for i := lo; i < hi; i++ {
				r := rows[(i-lo)*f : (i-lo+1)*f]
				for j, c := range cols {
					r[j] = c[i]
				}
			}
			if err := mod.Classify(ctx, rows[:(hi-lo)*f], res[:hi-lo]); err != nil {
				return nil, err
			}
			for i := lo; i < hi; i++ {
				r := &res[i-lo]
				out.Class[i] = int32(r.Class)
				copy(out.Probs[i*k:], r.Probabilities)
				out.Score[i] = r.OutlierScore
				out.Verdict[i] = r.Verdict
			}
		}
		return out, nil
	}
	return p
}

var errNoLabels = errors.New("no labels")
