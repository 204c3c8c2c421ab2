package xgboost_test

import (
	"context"
	"encoding/csv"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/model/xgboost"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// The models in testdata and XGBoost's own predictions for them were made
// by testdata/make_models.py (see testdata/README.md).
var testModels = map[string]struct {
	objective model.Objective
	classes   int
	probs     bool // expected file has probabilities (else the class)
}{
	"multi":   {model.Softmax, 3, true},  // multi:softprob, 60 trees, base_score 0.2, feature names
	"softmax": {model.Softmax, 3, false}, // multi:softmax: XGBoost predicts the class
	"binary":  {model.Logistic, 2, true}, // binary:logistic, base_score 0.3
	"dart":    {model.Softmax, 3, true},  // dart booster: weight_drop scales each tree
	"forest":  {model.Logistic, 2, true}, // num_parallel_tree 4: a boosted random forest
}

// Tolerances. XGBoost sums leaves and computes the link in float32; the
// native predictor in float64. Margins are sums of ~20 float32 leaves of
// magnitude < 10, so they differ by a few float32 ulps of the sum.
const (
	probTol   = 1e-6
	marginTol = 1e-5
)

type golden struct {
	names    []string
	rows     [][]float32
	margins  [][]float64
	probs    [][]float64
	classes  []int
	nOutputs int
}

func readCSV(t testing.TB, path string) ([]string, [][]float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out [][]float64
	for i, rec := range recs[1:] {
		row := make([]float64, len(rec))
		for j, s := range rec {
			v, err := model.ParseNumber(s)
			if err != nil {
				t.Fatalf("%s: row %d column %d: %v", path, i+1, j, err)
			}
			row[j] = float64(v) // every cell is a float32 written exactly
		}
		out = append(out, row)
	}
	return recs[0], out
}

func loadGolden(t testing.TB, name string, outputs int, probs bool) *golden {
	t.Helper()
	g := &golden{nOutputs: outputs}
	var rows, exp [][]float64
	g.names, rows = readCSV(t, filepath.Join("testdata", name+"_rows.csv"))
	_, exp = readCSV(t, filepath.Join("testdata", name+"_expected.csv"))
	if len(rows) != len(exp) || len(rows) == 0 {
		t.Fatalf("%s: %d rows, %d expected", name, len(rows), len(exp))
	}
	for i := range rows {
		r := make([]float32, len(rows[i]))
		for j, v := range rows[i] {
			r[j] = float32(v)
		}
		g.rows = append(g.rows, r)
		g.margins = append(g.margins, exp[i][:outputs])
		if probs {
			g.probs = append(g.probs, exp[i][outputs:])
		} else {
			g.classes = append(g.classes, int(exp[i][outputs]))
		}
	}
	return g
}

func readModel(t testing.TB, name string) *model.Model {
	t.Helper()
	m, err := xgboost.ReadFile(filepath.Join("testdata", name+".json"), xgboost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// TestNativeMatchesXGBoost predicts every saved row with the native
// predictor and compares margins, probabilities and classes with what
// XGBoost 1.7.4 computed for the same rows. The rows include missing
// values (default directions), an all-missing row and values exactly on
// split thresholds (the < rule).
func TestNativeMatchesXGBoost(t *testing.T) {
	for name, tc := range testModels {
		t.Run(name, func(t *testing.T) {
			m := readModel(t, name)
			if m.Ensemble.Objective != tc.objective || len(m.Classes) != tc.classes {
				t.Fatalf("objective %v with %d classes, want %v with %d", m.Ensemble.Objective, len(m.Classes), tc.objective, tc.classes)
			}
			g := loadGolden(t, name, m.Ensemble.Outputs, tc.probs)
			raw := make([]float64, m.Ensemble.Outputs)
			var r model.Result
			var worstM, worstP float64
			for i, row := range g.rows {
				m.Ensemble.Raw(row, raw)
				for j := range raw {
					d := math.Abs(raw[j] - g.margins[i][j])
					worstM = max(worstM, d)
					if d > marginTol {
						t.Errorf("row %d: margin %d = %.9g, xgboost %.9g", i, j, raw[j], g.margins[i][j])
					}
				}
				if err := m.Predict(row, &r); err != nil {
					t.Fatal(err)
				}
				if tc.probs {
					for j, p := range r.Probabilities {
						d := math.Abs(p - g.probs[i][j])
						worstP = max(worstP, d)
						if d > probTol {
							t.Errorf("row %d: P(%d) = %.9g, xgboost %.9g", i, j, p, g.probs[i][j])
						}
					}
					if want := argmax(g.probs[i]); r.Class != want {
						t.Errorf("row %d: class %d, xgboost's most probable %d", i, r.Class, want)
					}
				} else if r.Class != g.classes[i] {
					t.Errorf("row %d: class %d, xgboost predicts %d", i, r.Class, g.classes[i])
				}
			}
			t.Logf("%d rows: largest margin difference %.3g, probability difference %.3g", len(g.rows), worstM, worstP)
		})
	}
}

// TestWasmMatchesXGBoost compiles each imported model and checks the
// module, under both wazero engines, against the native predictor and
// against XGBoost.
func TestWasmMatchesXGBoost(t *testing.T) {
	ctx := context.Background()
	engines := map[string][]host.Option{"compiler": nil, "interpreter": {host.WithInterpreter()}}
	for name, tc := range testModels {
		for engine, opts := range engines {
			t.Run(name+"/"+engine, func(t *testing.T) {
				m := readModel(t, name)
				g := loadGolden(t, name, m.Ensemble.Outputs, tc.probs)
				b, err := compiler.Compile(m)
				if err != nil {
					t.Fatal(err)
				}
				mod, err := host.Load(ctx, b, opts...)
				if err != nil {
					t.Fatal(err)
				}
				defer mod.Close(ctx)
				flat := make([]float32, 0, len(g.rows)*len(g.rows[0]))
				for _, row := range g.rows {
					flat = append(flat, row...)
				}
				out := make([]model.Result, len(g.rows))
				if err := mod.Classify(ctx, flat, out); err != nil {
					t.Fatal(err)
				}
				var r model.Result
				for i, row := range g.rows {
					if err := m.Predict(row, &r); err != nil {
						t.Fatal(err)
					}
					if out[i].Class != r.Class || out[i].Verdict != r.Verdict {
						t.Errorf("row %d: wasm class %d (%v), native %d (%v)", i, out[i].Class, out[i].Verdict, r.Class, r.Verdict)
					}
					for j, p := range out[i].Probabilities {
						if d := math.Abs(p - r.Probabilities[j]); d > probTol {
							t.Errorf("row %d: wasm P(%d) = %.9g, native %.9g", i, j, p, r.Probabilities[j])
						}
						if tc.probs {
							if d := math.Abs(p - g.probs[i][j]); d > probTol {
								t.Errorf("row %d: wasm P(%d) = %.9g, xgboost %.9g", i, j, p, g.probs[i][j])
							}
						}
					}
					if !tc.probs && out[i].Class != g.classes[i] {
						t.Errorf("row %d: wasm class %d, xgboost %d", i, out[i].Class, g.classes[i])
					}
				}
			})
		}
	}
}

// TestRowsExerciseTiesAndMissing shows that the saved rows can tell the
// rules apart: with <= instead of <, or with every default direction
// flipped, some margin changes. Without this the parity tests above could
// pass for a reader that got either rule wrong.
func TestRowsExerciseTiesAndMissing(t *testing.T) {
	for name, tc := range testModels {
		mutations := map[string]func(*model.Tree){
			"less-equal": func(tr *model.Tree) {
				for i := range tr.Op {
					tr.Op[i] = model.LessEqual
				}
			},
			"flipped-defaults": func(tr *model.Tree) {
				for i := range tr.DefaultLeft {
					tr.DefaultLeft[i] = !tr.DefaultLeft[i]
				}
			},
		}
		for mname, mutate := range mutations {
			t.Run(name+"/"+mname, func(t *testing.T) {
				m := readModel(t, name)
				g := loadGolden(t, name, m.Ensemble.Outputs, tc.probs)
				for i := range m.Ensemble.Trees {
					mutate(&m.Ensemble.Trees[i])
				}
				raw := make([]float64, m.Ensemble.Outputs)
				changed := 0
				for i, row := range g.rows {
					m.Ensemble.Raw(row, raw)
					for j := range raw {
						if math.Abs(raw[j]-g.margins[i][j]) > marginTol {
							changed++
							break
						}
					}
				}
				if changed == 0 {
					t.Errorf("no row's margin changes under %s: the rows do not test that rule", mname)
				}
				t.Logf("%d of %d rows change", changed, len(g.rows))
			})
		}
	}
}

// TestMetadata checks what Read records about the source model.
func TestMetadata(t *testing.T) {
	m := readModel(t, "multi")
	if got, want := m.Meta.TrainerVersion, "xgboost 1.7.4"; got != want {
		t.Errorf("trainer_version %q, want %q", got, want)
	}
	for k, want := range map[string]string{"objective": "multi:softprob", "num_class": "3", "base_score": "2E-1"} {
		if got := m.Meta.Params[k]; got != want {
			t.Errorf("params[%q] = %q, want %q", k, got, want)
		}
	}
	if m.Meta.Created.IsZero() {
		t.Error("created not set")
	}
	wantNames := []string{"duration", "src_bytes", "dst_bytes", "count", "srv_count", "rate"}
	for i, f := range m.Schema.Features {
		if f.Name != wantNames[i] || f.Kind != model.Numeric {
			t.Errorf("feature %d: %q %v, want numeric %q", i, f.Name, f.Kind, wantNames[i])
		}
	}
	if m.Outlier != nil || len(m.Reference) != 0 {
		t.Error("an imported model has no detector and no reference histograms")
	}
	// The model survives the model file round trip.
	b, err := m.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := model.Decode(bytesReader(b)); err != nil {
		t.Fatalf("decode of the written model: %v", err)
	}
	// Without saved names the features are XGBoost's f0..fN-1.
	if got := readModel(t, "binary").Schema.Features[5].Name; got != "f5" {
		t.Errorf("binary model feature 5 named %q, want f5", got)
	}
}
