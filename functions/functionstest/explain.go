package functionstest

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// ExplainModel is the test model (Model) with node covers, so that it can
// explain its predictions: the model file predates covers, and retraining
// it would change every golden answer of the behaviour suite. Each node's
// cover is the number of the 3,000 training flows (synth seed 7, the
// model's own training data) that reach it, plus one so that no node is
// empty; TreeSHAP takes counts as well as hessian sums (scikit-learn and
// LightGBM use counts). The predictions are Model's.
func ExplainModel() (*model.Model, error) {
	m, err := Model()
	if err != nil {
		return nil, fmt.Errorf("test model: %w", err)
	}
	dir, err := os.MkdirTemp("", "flowsense-explain-model")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var buf bytes.Buffer
	if err := synth.Write(&buf, synth.Options{Rows: 3000, Seed: 7}); err != nil {
		return nil, err
	}
	p := filepath.Join(dir, "flows.csv")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	ds, err := flowdata.Read([]string{p}, flowdata.Options{Schema: &m.Schema})
	if err != nil {
		return nil, fmt.Errorf("test model: its training flows: %w", err)
	}
	row := make([]float32, len(m.Schema.Features))
	for t := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[t]
		tr.Cover = make([]float64, tr.Len())
		for i := range tr.Cover {
			tr.Cover[i] = 1
		}
	}
	for r := 0; r < ds.Rows; r++ {
		for j := range row {
			row[j] = ds.Columns[j][r]
		}
		for t := range m.Ensemble.Trees {
			tr := &m.Ensemble.Trees[t]
			n := int32(0)
			for {
				tr.Cover[n]++
				if tr.Feature[n] < 0 {
					break
				}
				if goesLeft(tr, n, row[tr.Feature[n]]) {
					n = tr.Left[n]
				} else {
					n = tr.Right[n]
				}
			}
		}
	}
	if err := model.Validate(m); err != nil {
		return nil, err
	}
	return m, nil
}

// goesLeft is the numeric split rule of the test model's trees (it has no
// categorical features).
func goesLeft(t *model.Tree, n int32, x float32) bool {
	if x != x {
		return t.DefaultLeft[n]
	}
	if t.Op[n] == model.LessEqual {
		return x <= t.Threshold[n]
	}
	return x < t.Threshold[n]
}

// ExplainModelWasm compiles ExplainModel: a module with the explain export.
func ExplainModelWasm() ([]byte, error) {
	m, err := ExplainModel()
	if err != nil {
		return nil, err
	}
	return compiler.Compile(m)
}
