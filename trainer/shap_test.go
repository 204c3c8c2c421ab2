package trainer

import (
	"bytes"
	"context"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/report"
)

// TestReportSHAP: the report's TreeSHAP summary is the mean absolute
// contribution of a row-by-row serial computation over the evenly spaced
// rows, with dependence data of the top features taken from the rows'
// predicted classes; the same with one worker or several; and the report
// shows it (or says it was left out).
func TestReportSHAP(t *testing.T) {
	file := genFile(t, 4000, 6, 0)
	for name, labelMap := range map[string]string{"softmax": "", "logistic": "binary"} {
		t.Run(name, func(t *testing.T) {
			cfg := quickConfig(file)
			cfg.Read.LabelMap = labelMap
			res, err := Train(context.Background(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkReportSHAP(t, res)
		})
	}
	cfg := quickConfig(file)
	cfg.ExplainRows = -1
	off, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var rep bytes.Buffer
	if err := off.writeReport(&rep); err != nil {
		t.Fatal(err)
	}
	if off.SHAP != nil || !strings.Contains(rep.String(), "no TreeSHAP contributions given") {
		t.Errorf("ExplainRows -1: SHAP %v, report without the note", off.SHAP != nil)
	}
}

func checkReportSHAP(t *testing.T, res *Result) {
	m, s := res.Model, res.SHAP
	if s == nil {
		t.Fatal("no TreeSHAP summary")
	}
	nTest := res.Metrics.NTest
	if s.Of != nTest || s.Rows != min(nTest, DefaultExplainRows) {
		t.Fatalf("rows %d of %d, want %d of %d", s.Rows, s.Of, min(nTest, DefaultExplainRows), nTest)
	}
	if len(s.Outputs) != m.Ensemble.Outputs || len(s.Features) != len(m.Schema.Features) {
		t.Fatalf("%d outputs, %d features", len(s.Outputs), len(s.Features))
	}
	if m.Ensemble.Objective == model.Logistic && s.Outputs[0] != "the log-odds of "+m.Classes[1] {
		t.Fatalf("logistic output named %q", s.Outputs[0])
	}

	// the reference: the test rows again, one by one
	ds := testRows(t, res)
	pred, err := artifact.PredictColumns(context.Background(), artifact.NewNative(m), ds, nTest)
	if err != nil {
		t.Fatal(err)
	}
	x, err := model.NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	F, out := len(m.Schema.Features), m.Ensemble.Outputs
	phi := make([]float64, out*x.Stride())
	sum := make([]float64, out*F)
	row := make([]float32, F)
	idx := evenly(nTest, DefaultExplainRows)
	perRow := map[int][]float64{} // test row -> its phi
	for _, r := range idx {
		for j := range row {
			row[j] = ds[j][r]
		}
		if err := x.Contributions(row, phi); err != nil {
			t.Fatal(err)
		}
		for o := 0; o < out; o++ {
			for f := 0; f < F; f++ {
				sum[o*F+f] += math.Abs(phi[o*x.Stride()+f])
			}
		}
		perRow[r] = append([]float64(nil), phi...)
	}
	for f, sf := range s.Features {
		if sf.Name != m.Schema.Features[f].Name {
			t.Fatalf("feature %d is %q, want %q", f, sf.Name, m.Schema.Features[f].Name)
		}
		for o, v := range sf.MeanAbs {
			want := sum[o*F+f] / float64(len(idx))
			if math.Abs(v-want) > 1e-12*(1+want) {
				t.Fatalf("%s, output %d: mean |SHAP| %.17g, serial %.17g", sf.Name, o, v, want)
			}
		}
	}
	if len(s.Dependence) != report.TopDependence {
		t.Fatalf("%d dependence plots, want %d", len(s.Dependence), report.TopDependence)
	}
	dep := evenly(len(idx), dependenceRows)
	for i, d := range s.Dependence {
		if i > 0 && featureOverall(s, d.Feature) > featureOverall(s, s.Dependence[i-1].Feature) {
			t.Errorf("dependence plot %d (%s) is more important than plot %d", i, d.Feature, i-1)
		}
		f := model.NewEncoder(&m.Schema).Index(d.Feature)
		if len(d.Value) != len(dep) {
			t.Fatalf("%s: %d rows, want %d", d.Feature, len(d.Value), len(dep))
		}
		for k, p := range dep {
			r := idx[p]
			c := int(pred.Class[r])
			block, sign := c, 1.0
			if m.Ensemble.Objective == model.Logistic {
				block, sign = 0, map[bool]float64{true: -1, false: 1}[c == 0]
			}
			want := sign * perRow[r][block*x.Stride()+f]
			if d.Class[k] != c || math.Abs(d.Contribution[k]-want) > 1e-12*(1+math.Abs(want)) ||
				!(d.Value[k] == float64(ds[f][r]) || math.IsNaN(d.Value[k]) && math.IsNaN(float64(ds[f][r]))) {
				t.Fatalf("%s, row %d: class %d value %v contribution %v, want %d %v %v", d.Feature, r, d.Class[k], d.Value[k], d.Contribution[k], c, ds[f][r], want)
			}
		}
	}

	// one worker gives the same figures, to the bit
	prev := runtime.GOMAXPROCS(1)
	one, err := explainTest(context.Background(), m, ds, nTest, pred.Class, DefaultExplainRows)
	runtime.GOMAXPROCS(prev)
	if err != nil {
		t.Fatal(err)
	}
	for f := range one.Features {
		for o := range one.Features[f].MeanAbs {
			if one.Features[f].MeanAbs[o] != s.Features[f].MeanAbs[o] {
				t.Fatalf("one worker: feature %d output %d differs", f, o)
			}
		}
	}

	var rep bytes.Buffer
	if err := res.writeReport(&rep); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`id="shap-importance"`, `id="dependence-0"`, `id="importance-compare"`, "Dependence plot of " + s.Dependence[0].Feature} {
		if !strings.Contains(rep.String(), want) {
			t.Errorf("report lacks %s", want)
		}
	}
}

func featureOverall(s *report.SHAP, name string) float64 {
	for _, f := range s.Features {
		if f.Name == name {
			return f.Overall()
		}
	}
	return math.NaN()
}

// testRows rebuilds the hold-out of a run on one file as Train split it.
func testRows(t *testing.T, res *Result) [][]float32 {
	t.Helper()
	_, te := stratifiedSplit(res.Train.Y, len(res.Train.Classes), 0.25, 42)
	return Gather(res.Train.Columns, te)
}
