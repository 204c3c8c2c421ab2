package trainer

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// WriteDir writes the model's artifact into dir (created if needed):
// model.json, model.wasm, metrics.json and report.html. Every file is
// rendered in memory first and written by artifact.Write, so a failure
// leaves no partial artifact behind.
func (r *Result) WriteDir(dir string) error {
	modelBytes, err := r.Model.MarshalIndent()
	if err != nil {
		return err
	}
	r.Metrics.ModelBytes = int64(len(modelBytes))
	module, err := compiler.Compile(r.Model, compiler.WithModelFile(modelBytes), compiler.WithoutExplain())
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
	return artifact.Write(dir, artifact.Files{
		Model: modelBytes, Wasm: module, Metrics: append(metrics, '\n'), Report: rep.Bytes(),
	})
}
