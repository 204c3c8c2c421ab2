package runs

import (
	"fmt"
	"github.com/flowsense/flowsense/artifact"
	"os"
	"path/filepath"
)

// AddModelDir records a model directory in r: Out, the sha256 and size of
// its model.json and model.wasm, and the figures of its metrics.json
// (added to r.Metrics; figures already there are kept).
func (r *Run) AddModelDir(dir string) error {
	r.Out = dir
	r.Model = r.Model[:0]
	for _, name := range []string{artifact.ModelFile, artifact.WasmFile} {
		f, err := HashFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("record run: %w", err)
		}
		r.Model = append(r.Model, f)
	}
	b, err := os.ReadFile(filepath.Join(dir, artifact.MetricsFile))
	if err != nil {
		return fmt.Errorf("record run: %w", err)
	}
	m, err := FlattenMetrics(b)
	if err != nil {
		return fmt.Errorf("record run: %s: %w", filepath.Join(dir, artifact.MetricsFile), err)
	}
	if r.Metrics == nil {
		r.Metrics = map[string]float64{}
	}
	for k, v := range m {
		if _, ok := r.Metrics[k]; !ok {
			r.Metrics[k] = v
		}
	}
	return nil
}

// HashFiles hashes every path.
func HashFiles(paths []string) ([]File, error) {
	out := make([]File, 0, len(paths))
	for _, p := range paths {
		f, err := HashFile(p)
		if err != nil {
			return nil, fmt.Errorf("record run: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}
