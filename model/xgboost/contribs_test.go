package xgboost_test

import (
	"context"
	"math"
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// contribTol is the agreement asked of flowsense's TreeSHAP with
// XGBoost's pred_contribs: XGBoost accumulates in float32 (its values are
// rounded to float32 in the file too), flowsense in float64.
const contribTol = 1e-6

// TestContributionsMatchXGBoost compares the native TreeSHAP values of
// every imported test model with XGBoost 1.7.4's own
// Booster.predict(pred_contribs=True) for the same rows
// (testdata/make_contribs.py): binary, multi-class, dart and forest
// models, rows with missing values and values on thresholds.
func TestContributionsMatchXGBoost(t *testing.T) {
	for name := range testModels {
		t.Run(name, func(t *testing.T) {
			m := readModel(t, name)
			x, err := model.NewExplainer(m)
			if err != nil {
				t.Fatal(err)
			}
			g := loadGolden(t, name, m.Ensemble.Outputs, testModels[name].probs)
			hdr, want := readCSV(t, filepath.Join("testdata", name+"_contribs.csv"))
			if len(want) != len(g.rows) || len(hdr) != m.Ensemble.Outputs*x.Stride() {
				t.Fatalf("%s_contribs.csv: %d rows of %d columns, want %d of %d", name, len(want), len(hdr), len(g.rows), m.Ensemble.Outputs*x.Stride())
			}
			b, err := compiler.Compile(m)
			if err != nil {
				t.Fatal(err)
			}
			mod, err := host.Load(context.Background(), b)
			if err != nil {
				t.Fatal(err)
			}
			defer mod.Close(context.Background())
			phi := make([]float64, len(hdr))
			wphi := make([]float64, len(hdr))
			var worst, worstW float64
			for i, row := range g.rows {
				if err := x.Contributions(row, phi); err != nil {
					t.Fatal(err)
				}
				if err := mod.Contributions(context.Background(), row, wphi, nil); err != nil {
					t.Fatal(err)
				}
				for j := range phi {
					d := math.Abs(phi[j] - want[i][j])
					dw := math.Abs(wphi[j] - want[i][j])
					worst, worstW = max(worst, d), max(worstW, dw)
					if d > contribTol {
						t.Errorf("row %d %s: %.9g, xgboost %.9g", i, hdr[j], phi[j], want[i][j])
					}
					if dw > contribTol {
						t.Errorf("row %d %s: module %.9g, xgboost %.9g", i, hdr[j], wphi[j], want[i][j])
					}
				}
			}
			t.Logf("%s: %d rows, largest difference from pred_contribs: native %.3g, module %.3g", name, len(g.rows), worst, worstW)
		})
	}
}
