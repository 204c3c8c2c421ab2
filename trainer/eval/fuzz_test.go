package eval

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"slices"
	"testing"
)

// FuzzEvaluate feeds arbitrary class counts, labels and scores (scores
// from few distinct values, so ties are common) and checks that Evaluate
// never panics, that every figure is a finite value in [0,1] (so
// metrics.json can always be written), and that the counts add up.
func FuzzEvaluate(f *testing.F) {
	f.Add(uint8(2), []byte{0, 1, 1, 0, 1, 1, 3, 5, 7, 0xff, 0, 2})
	f.Add(uint8(5), []byte{0xff, 0xff, 3, 4, 1, 2, 9, 9, 9, 9})
	f.Add(uint8(1), []byte{0})
	f.Fuzz(func(t *testing.T, k uint8, data []byte) {
		K := int(k%8) + 1
		classes := make([]string, K)
		for c := range classes {
			classes[c] = string(rune('a' + c))
		}
		// Each row takes 2+K bytes: truth, prediction, K scores.
		n := len(data) / (2 + K)
		y := make([]int32, n)
		pred := make([]int32, n)
		probs := make([]float64, n*K)
		for r := range n {
			row := data[r*(2+K):]
			y[r] = int32(row[0]%uint8(K+1)) - 1
			pred[r] = int32(row[1] % uint8(K))
			for c := range K {
				probs[r*K+c] = float64(row[2+c]%5) / 4
			}
		}
		m, cv, err := Evaluate(classes, y, pred, probs)
		if n == 0 {
			if err == nil {
				t.Fatal("no error for no rows")
			}
			return
		}
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		unit := func(what string, v float64) {
			if math.IsNaN(v) || v < 0 || v > 1 {
				t.Fatalf("%s = %v, want in [0,1]", what, v)
			}
		}
		unit("accuracy", m.Accuracy)
		unit("macro_f1", m.MacroF1)
		unit("weighted_f1", m.WeightedF1)
		unit("roc_auc", m.ROCAUC)
		unit("pr_auc", m.PRAUC)
		total, support := 0, 0
		for _, row := range m.Confusion {
			for _, v := range row {
				total += v
			}
		}
		for name, pc := range m.PerClass {
			unit(name+" precision", pc.Precision)
			unit(name+" recall", pc.Recall)
			unit(name+" f1", pc.F1)
			support += pc.Support
		}
		if total != n || support != n {
			t.Fatalf("confusion holds %d rows and supports add to %d, want %d", total, support, n)
		}
		for c := range cv.ROC {
			for _, cur := range []Curve{cv.ROC[c], cv.PR[c]} {
				unit(cur.Class+" area", cur.Area)
				if len(cur.Points) > MaxCurvePoints {
					t.Fatalf("curve of %d points", len(cur.Points))
				}
				for _, p := range cur.Points {
					unit("curve x", p.X)
					unit("curve y", p.Y)
				}
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("metrics do not marshal: %v", err)
		}
	})
}

// FuzzEvaluateOutlier feeds raw float64 bit patterns as scores: NaN must
// be an error, anything else must give figures in [0,1] that marshal.
func FuzzEvaluateOutlier(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8}, []byte{1, 0}, 0.5)
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0, 0}, []byte{0, 1}, 0.0)
	f.Fuzz(func(t *testing.T, raw, truthBytes []byte, threshold float64) {
		var scores []float64
		var truth []bool
		for i := 0; i+8 <= len(raw) && i/8 < len(truthBytes); i += 8 {
			scores = append(scores, math.Float64frombits(binary.LittleEndian.Uint64(raw[i:])))
			truth = append(truth, truthBytes[i/8]&1 == 1)
		}
		m, c, err := EvaluateOutlier(truth, scores, threshold)
		bad := len(scores) == 0 || math.IsNaN(threshold) || math.IsInf(threshold, 0) || slices.ContainsFunc(scores, math.IsNaN)
		if bad != (err != nil) {
			t.Fatalf("error = %v for scores %v threshold %v", err, scores, threshold)
		}
		if err != nil {
			return
		}
		for _, v := range []float64{m.Precision, m.Recall, m.F1, m.ROCAUC, c.PR.Area} {
			if !(v >= 0 && v <= 1) {
				t.Fatalf("figure %v out of [0,1]: %+v", v, m)
			}
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("metrics do not marshal: %v", err)
		}
	})
}
