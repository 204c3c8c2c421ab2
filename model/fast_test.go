package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

func sameResult(a, b *Result) bool {
	same := func(x, y float64) bool {
		return math.Float64bits(x) == math.Float64bits(y) || (math.IsNaN(x) && math.IsNaN(y))
	}
	if a.Class != b.Class || a.Verdict != b.Verdict || !same(a.OutlierScore, b.OutlierScore) || len(a.Probabilities) != len(b.Probabilities) {
		return false
	}
	for i := range a.Probabilities {
		if !same(a.Probabilities[i], b.Probabilities[i]) {
			return false
		}
	}
	return true
}

// TestPredictorDiagonalOverflow: a diagonal inverse covariance is scored
// as a sum of squares only while the projection is finite; when one
// component overflows, the reference's full form gives 0·Inf = NaN, and so
// must the compiled predictor.
func TestPredictorDiagonalOverflow(t *testing.T) {
	m := randomModel(2, 2, 2, 1, true, 3)
	m.Outlier = &Outlier{
		Features: []int32{0, 1}, Mean: []float64{0, 0}, Scale: []float64{1, 1},
		Components: 2, Projection: []float64{1e300, 1, 0, 1}, InvCov: []float64{2, 0, 0, 3}, Threshold: 1,
	}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	p, err := NewPredictor(m)
	if err != nil {
		t.Fatal(err)
	}
	if p.det.diag == nil {
		t.Fatal("the diagonal inverse covariance was not recognised")
	}
	for _, row := range [][]float32{{1e30, 1}, {0, 1}, {-1e30, 0}, {float32(math.NaN()), 2}} {
		var want, got Result
		if err := m.Predict(row, &want); err != nil {
			t.Fatal(err)
		}
		if err := p.Predict(row, &got); err != nil {
			t.Fatal(err)
		}
		if !sameResult(&want, &got) {
			t.Errorf("row %v: predictor score %v, reference %v", row, got.OutlierScore, want.OutlierScore)
		}
	}
}

// TestPredictorRowWidth: a row of the wrong width is an error, not a panic.
func TestPredictorRowWidth(t *testing.T) {
	m := randomModel(3, 2, 2, 2, false, 1)
	p, err := NewPredictor(m)
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := p.Predict(make([]float32, 2), &r); err == nil {
		t.Error("Predict took a short row")
	}
	if err := p.PredictBatch(make([]float32, 7), make([]Result, 2)); err == nil {
		t.Error("PredictBatch took 7 values for 2 rows of 3")
	}
}

// TestPredictorRandom: the compiled predictor gives the reference's bits on
// the benchmark shapes (wasm/host's TestPredictorSameBits covers
// categorical sets, <= nodes, missing values and detectors).
func TestPredictorRandom(t *testing.T) {
	for _, vec := range []bool{true, false} {
		m := randomModel(10, 3, 30, 6, vec, 5)
		p, err := NewPredictor(m)
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(9, 9))
		rows := make([]float32, 100*10)
		for i := range rows {
			rows[i] = float32(rng.NormFloat64())
			if rng.IntN(20) == 0 {
				rows[i] = float32(math.NaN())
			}
		}
		out := make([]Result, 100)
		if err := p.PredictBatch(rows, out); err != nil {
			t.Fatal(err)
		}
		for i := range out {
			var want, got Result
			m.Predict(rows[i*10:(i+1)*10], &want)
			p.Predict(rows[i*10:(i+1)*10], &got)
			if !sameResult(&want, &got) || !sameResult(&want, &out[i]) {
				t.Fatalf("row %d: reference %+v, predictor %+v, batch %+v", i, want, got, out[i])
			}
		}
	}
}

// TestPredictorEmptyTree: a tree without nodes is an error, not a panic.
func TestPredictorEmptyTree(t *testing.T) {
	m := randomModel(3, 2, 2, 2, false, 1)
	m.Ensemble.Trees[1] = Tree{}
	if _, err := NewPredictor(m); err == nil {
		t.Error("NewPredictor took a tree without nodes")
	}
}

// TestPredictorManyComponents: past 128 components the projection lives
// in the Result instead of the stack, and is cleared between rows.
func TestPredictorManyComponents(t *testing.T) {
	const d, k = 140, 130
	rng := rand.New(rand.NewPCG(4, 4))
	for _, full := range []bool{false, true} {
		m := randomModel(d, 3, 5, 3, true, 2)
		o := &Outlier{Components: k, Threshold: 100}
		for j := 0; j < d; j++ {
			o.Features = append(o.Features, int32(j))
			o.Mean = append(o.Mean, rng.NormFloat64())
			o.Scale = append(o.Scale, 1+rng.Float64())
		}
		for j := 0; j < d*k; j++ {
			o.Projection = append(o.Projection, rng.NormFloat64())
		}
		for a := 0; a < k; a++ {
			for b := 0; b < k; b++ {
				v := 0.0
				if a == b {
					v = 1 + rng.Float64()
				} else if full {
					v = rng.NormFloat64() * 0.01
				}
				o.InvCov = append(o.InvCov, v)
			}
		}
		m.Outlier = o
		p, err := NewPredictor(m)
		if err != nil {
			t.Fatal(err)
		}
		var got Result
		for i := 0; i < 5; i++ {
			row := make([]float32, d)
			for j := range row {
				row[j] = float32(rng.NormFloat64() * 3)
			}
			var want Result
			m.Predict(row, &want)
			p.Predict(row, &got)
			if !sameResult(&want, &got) {
				t.Fatalf("full %v, row %d: score %v, reference %v", full, i, got.OutlierScore, want.OutlierScore)
			}
		}
	}
}
