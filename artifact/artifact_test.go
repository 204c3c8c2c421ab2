package artifact_test

import (
	"context"
	"errors"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

var _ artifact.Predictor = (*host.Module)(nil)

func testModel(t *testing.T) (*model.Model, []byte, []byte) {
	t.Helper()
	m, err := functionstest.Model()
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	w, err := compiler.Compile(m, compiler.WithModelFile(b))
	if err != nil {
		t.Fatal(err)
	}
	return m, b, w
}

func TestWriteAndLocate(t *testing.T) {
	_, b, w := testModel(t)
	dir := filepath.Join(t.TempDir(), "model")
	if err := artifact.Write(dir, artifact.Files{Model: b, Wasm: w, Metrics: []byte("{}\n")}); err != nil {
		t.Fatal(err)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 3 {
		t.Fatalf("wrote %d files, want 3 (no report, no temporaries): %v", len(ents), ents)
	}
	jsonOnly := t.TempDir()
	if err := artifact.Write(jsonOnly, artifact.Files{Model: b}); err != nil {
		t.Fatal(err)
	}
	// A module under any name is told by its bytes.
	renamed := filepath.Join(t.TempDir(), "model.bin")
	if err := os.WriteFile(renamed, w, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		path string
		want artifact.Location
	}{
		"directory":       {dir, artifact.Location{Model: filepath.Join(dir, artifact.ModelFile), Wasm: filepath.Join(dir, artifact.WasmFile)}},
		"model.json only": {jsonOnly, artifact.Location{Model: filepath.Join(jsonOnly, artifact.ModelFile)}},
		"model file":      {filepath.Join(dir, artifact.ModelFile), artifact.Location{Model: filepath.Join(dir, artifact.ModelFile)}},
		"module":          {filepath.Join(dir, artifact.WasmFile), artifact.Location{Wasm: filepath.Join(dir, artifact.WasmFile)}},
		"renamed module":  {renamed, artifact.Location{Wasm: renamed}},
	} {
		got, err := artifact.Locate(c.path)
		if err != nil || got != c.want {
			t.Errorf("%s: Locate = %+v, %v; want %+v", name, got, err, c.want)
		}
	}
	for name, p := range map[string]string{"missing": filepath.Join(dir, "nope"), "empty directory": t.TempDir()} {
		if _, err := artifact.Locate(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: err %v, want fs.ErrNotExist", name, err)
		}
	}
}

func TestWriteFailureRemovesWhatItWrote(t *testing.T) {
	_, b, w := testModel(t)
	dir := t.TempDir()
	// A directory where the report should go makes the last file fail.
	if err := os.Mkdir(filepath.Join(dir, artifact.ReportFile), 0o755); err != nil {
		t.Fatal(err)
	}
	err := artifact.Write(dir, artifact.Files{Model: b, Wasm: w, Metrics: []byte("{}"), Report: []byte("<html>")})
	if err == nil {
		t.Fatal("write over a directory succeeded")
	}
	for _, f := range []string{artifact.ModelFile, artifact.WasmFile, artifact.MetricsFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s left behind after a failed write (%v)", f, err)
		}
	}
}

func TestReadModelAndModule(t *testing.T) {
	m, b, w := testModel(t)
	dir := t.TempDir()
	if err := artifact.Write(dir, artifact.Files{Model: b}); err != nil {
		t.Fatal(err)
	}
	got, raw, err := artifact.ReadModel(dir)
	if err != nil || string(raw) != string(b) || got.Meta.Name != m.Meta.Name {
		t.Fatalf("ReadModel: %v (name %q)", err, got.Meta.Name)
	}
	// Without model.wasm the module is model.json compiled, with the file's hash.
	mod, err := artifact.ReadModule(dir)
	if err != nil || string(mod) != string(w) {
		t.Fatalf("ReadModule of a model.json directory: %v; the bytes differ from the compiler's: %v", err, string(mod) != string(w))
	}
	wasmOnly := filepath.Join(t.TempDir(), "m.wasm")
	os.WriteFile(wasmOnly, w, 0o644)
	if _, _, err := artifact.ReadModel(wasmOnly); !errors.Is(err, artifact.ErrNoModel) {
		t.Errorf("ReadModel of a module: %v, want ErrNoModel", err)
	}
	bad := filepath.Join(t.TempDir(), "model.json")
	os.WriteFile(bad, []byte(`{"format": 1,`), 0o644)
	if _, err := artifact.ReadModule(bad); err == nil || !contains(err.Error(), bad) {
		t.Errorf("a truncated model.json: %v, want an error naming the file", err)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// The engines agree through PredictColumns, whatever the number of rows
// per worker, and a failing predictor's error comes back.
func TestPredictColumnsEnginesAgree(t *testing.T) {
	m, _, w := testModel(t)
	ctx := context.Background()
	mod, err := host.Load(ctx, w)
	if err != nil {
		t.Fatal(err)
	}
	defer mod.Close(ctx)
	nf := len(m.Schema.Features)
	const n = 10_000 // more than two chunks
	cols := make([][]float32, nf)
	for j := range cols {
		cols[j] = make([]float32, n)
		for i := range cols[j] {
			cols[j][i] = float32((i*7919+j*104729)%1000) / 10
			if m.Schema.Features[j].Kind == model.Categorical {
				cols[j][i] = float32(i % len(m.Schema.Features[j].Categories))
			}
		}
	}
	native, err := artifact.PredictColumns(ctx, artifact.NewNative(m), cols, n)
	if err != nil {
		t.Fatal(err)
	}
	module, err := artifact.PredictColumns(ctx, mod, cols, n)
	if err != nil {
		t.Fatal(err)
	}
	row := make([]float32, nf)
	var r model.Result
	for i := range n {
		for j := range cols {
			row[j] = cols[j][i]
		}
		m.Predict(row, &r)
		if native.Class[i] != int32(r.Class) || native.Score[i] != r.OutlierScore || native.Verdict[i] != r.Verdict {
			t.Fatalf("row %d: native PredictColumns differs from Predict", i)
		}
		if module.Class[i] != native.Class[i] || module.Verdict[i] != native.Verdict[i] ||
			math.Abs(module.Score[i]-native.Score[i]) > 1e-5*math.Max(1, math.Abs(native.Score[i])) {
			t.Fatalf("row %d: module %d/%v/%v, native %d/%v/%v", i, module.Class[i], module.Verdict[i], module.Score[i], native.Class[i], native.Verdict[i], native.Score[i])
		}
	}
	if md := artifact.NewNative(m).Metadata(); md.Name != m.Meta.Name || len(md.Classes) != len(m.Classes) || md.ABI != abi.Version {
		t.Errorf("native metadata %+v", md)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := artifact.PredictColumns(cctx, artifact.NewNative(m), cols, n); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}
