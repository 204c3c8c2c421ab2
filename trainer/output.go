package trainer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm"
)

// Output file names in a model directory.
const (
	ModelFile   = "model.json"
	WasmFile    = "model.wasm"
	MetricsFile = "metrics.json"
	ReportFile  = "report.html"
)

// WriteDir writes model.json, model.wasm, metrics.json and report.html into dir
// (created if needed). Every file is rendered in memory first and each is
// written atomically, so a failure leaves no partial file behind; files
// already written by this call are removed again if a later one fails.
func (r *Result) WriteDir(dir string) error {
	modelBytes, err := r.Model.MarshalIndent()
	if err != nil {
		return err
	}
	r.Metrics.ModelBytes = int64(len(modelBytes))
	module, err := wasm.Compile(r.Model, wasm.WithModelFile(modelBytes))
	if err != nil {
		return fmt.Errorf("compile model.wasm: %w", err)
	}
	r.Metrics.WasmBytes = int64(len(module))
	metrics, err := json.MarshalIndent(r.Metrics, "", "  ")
	if err != nil {
		return fmt.Errorf("encode metrics: %w", err)
	}
	var rep bytes.Buffer
	if err := r.writeReport(&rep); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name string
		b    []byte
	}{
		{ModelFile, modelBytes},
		{WasmFile, module},
		{MetricsFile, append(metrics, '\n')},
		{ReportFile, rep.Bytes()},
	}
	for i, f := range files {
		if err := model.WriteFileAtomic(filepath.Join(dir, f.name), f.b); err != nil {
			for _, g := range files[:i] {
				os.Remove(filepath.Join(dir, g.name))
			}
			return err
		}
	}
	return nil
}
