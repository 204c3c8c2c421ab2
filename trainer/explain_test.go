package trainer

import (
	"context"
	"math"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// checkExplained asserts what TreeSHAP needs of a trained model and what it
// promises on up to n of the dataset's rows: every node has a cover, an
// internal node's cover is its children's sum, each output's contributions
// plus its bias are the raw score to 1e-9 relative (to the base score plus
// the leaves reached, in absolute value), and the outlier shares sum to the
// outlier score. It returns the largest relative additivity error.
func checkExplained(t *testing.T, m *model.Model, ds *flowdata.Dataset, n int) float64 {
	t.Helper()
	for i := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[i]
		if len(tr.Cover) != tr.Len() {
			t.Fatalf("tree %d has %d covers for %d nodes", i, len(tr.Cover), tr.Len())
		}
		for k, f := range tr.Feature {
			if f < 0 {
				continue
			}
			s := tr.Cover[tr.Left[k]] + tr.Cover[tr.Right[k]]
			if math.Abs(s-tr.Cover[k]) > 1e-9*tr.Cover[k] {
				t.Fatalf("tree %d node %d: cover %v, children %v", i, k, tr.Cover[k], s)
			}
		}
	}
	x, err := model.NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	out := m.Ensemble.Outputs
	phi := make([]float64, out*x.Stride())
	raw := make([]float64, out)
	row := make([]float32, len(ds.Columns))
	var oc []float64
	if m.Outlier != nil {
		oc = make([]float64, len(m.Outlier.Features))
	}
	var worst float64
	for r := 0; r < min(n, ds.Rows); r++ {
		for j := range row {
			row[j] = ds.Columns[j][r]
		}
		m.Ensemble.Raw(row, raw)
		if err := x.Contributions(row, phi); err != nil {
			t.Fatal(err)
		}
		scale := make([]float64, out)
		for j := range scale {
			scale[j] = math.Abs(float64(m.Ensemble.BaseScore[j]))
		}
		for i := range m.Ensemble.Trees {
			tr := &m.Ensemble.Trees[i]
			l := tr.Leaf(row)
			if tr.Output >= 0 {
				scale[tr.Output] += math.Abs(float64(tr.Value[l]))
			} else {
				for j := range scale {
					scale[j] += math.Abs(float64(tr.Value[l*out+j]))
				}
			}
		}
		for j := 0; j < out; j++ {
			var s float64
			for _, v := range phi[j*x.Stride() : (j+1)*x.Stride()] {
				s += v
			}
			rel := math.Abs(s-raw[j]) / scale[j]
			worst = max(worst, rel)
			if !(rel <= 1e-9) {
				t.Fatalf("row %d output %d: contributions sum to %.17g, raw score %.17g (relative error %.3g)", r, j, s, raw[j], rel)
			}
		}
		if o := m.Outlier; o != nil {
			score := o.Contributions(row, oc)
			var s float64
			for _, v := range oc {
				s += v
			}
			if want := o.Score(row); math.Abs(s-want) > 1e-9*(1+want) || math.Abs(score-want) > 1e-9*(1+want) {
				t.Fatalf("row %d: outlier shares sum to %v, score %v", r, s, want)
			}
		}
	}
	return worst
}

// TestTrainedModelIsExplained: the trainer records covers, and a trained
// model's explanations add up.
func TestTrainedModelIsExplained(t *testing.T) {
	file := genFile(t, 4000, 3, 0.02)
	res, err := Train(context.Background(), quickConfig(file))
	if err != nil {
		t.Fatal(err)
	}
	worst := checkExplained(t, res.Model, res.Train, 2000)
	t.Logf("%d trees; largest relative additivity error %.3g", len(res.Model.Ensemble.Trees), worst)
}
