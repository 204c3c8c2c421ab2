package trainer

import (
	"context"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
)

// TestReleaseDataSameModel: Config.ReleaseData drops the raw matrix early
// but changes nothing in the model, the metrics or the outlier scores, with
// a hold-out split and with a test file.
func TestReleaseDataSameModel(t *testing.T) {
	train, test := genFile(t, 4000, 3, 0.02), genFile(t, 1500, 4, 0.02)
	for name, files := range map[string][]string{"hold-out": nil, "test file": {test}} {
		t.Run(name, func(t *testing.T) {
			run := func(release bool) (*Result, []byte) {
				cfg := quickConfig(train)
				cfg.Test = files
				cfg.ReleaseData = release
				res, err := Train(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				m := *res.Model
				m.Meta.Created = time.Time{}
				b, err := json.Marshal(&m)
				if err != nil {
					t.Fatal(err)
				}
				return res, b
			}
			keep, a := run(false)
			rel, b := run(true)
			if string(a) != string(b) {
				t.Error("ReleaseData changes the model")
			}
			if keep.Metrics.Accuracy != rel.Metrics.Accuracy || keep.Metrics.MacroF1 != rel.Metrics.MacroF1 {
				t.Errorf("metrics %v / %v, want %v / %v", rel.Metrics.Accuracy, rel.Metrics.MacroF1, keep.Metrics.Accuracy, keep.Metrics.MacroF1)
			}
			if len(keep.TestScores) != len(rel.TestScores) || len(rel.TestScores) == 0 {
				t.Fatalf("%d and %d outlier scores", len(keep.TestScores), len(rel.TestScores))
			}
			for i, s := range keep.TestScores {
				if s != rel.TestScores[i] && !(math.IsNaN(s) && math.IsNaN(rel.TestScores[i])) {
					t.Fatalf("outlier score %d: %v, want %v", i, rel.TestScores[i], s)
				}
			}
			if rel.Train.Columns != nil {
				t.Error("Result.Train keeps its Columns under ReleaseData")
			}
			if len(keep.Train.Columns) == 0 || len(keep.Train.Columns[0]) != keep.Train.Rows {
				t.Error("Result.Train lost its Columns without ReleaseData")
			}
		})
	}
}

// TestReferenceBufferReuse: one sort buffer for every column gives each
// column the histogram a fresh buffer gives it.
func TestReferenceBufferReuse(t *testing.T) {
	nan := float32(math.NaN())
	cols := [][]float32{{5, 1, 4, 2, 3, nan, 9, 7}, {0.5, 0.25}, {8, 8, 8, 1, 2, 3, 4, 5, 6, 7, 100, -3}}
	var buf []float32
	for j, c := range cols {
		var got, want []byte
		h, nb := histogram(model.Feature{Name: "x"}, c, buf)
		buf = nb
		f, _ := histogram(model.Feature{Name: "x"}, c, nil)
		got, _ = json.Marshal(h)
		want, _ = json.Marshal(f)
		if string(got) != string(want) {
			t.Errorf("column %d: %s with a reused buffer, %s with a fresh one", j, got, want)
		}
	}
}
