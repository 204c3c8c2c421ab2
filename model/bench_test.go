package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// randomModel builds a valid model of the given shape: trees of full depth
// with random splits over numeric features, vector leaves when vector is
// set, one tree per class per round otherwise.
func randomModel(features, classes, trees, depth int, vector bool, seed uint64) *Model {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := &Model{Format: FormatVersion, Benign: []int{0}}
	for i := 0; i < features; i++ {
		m.Schema.Features = append(m.Schema.Features, Feature{Name: fmt.Sprintf("f%d", i)})
	}
	for c := 0; c < classes; c++ {
		m.Classes = append(m.Classes, fmt.Sprintf("c%d", c))
	}
	m.Ensemble = Ensemble{Objective: Softmax, Outputs: classes, BaseScore: make([]float32, classes)}
	for t := 0; t < trees; t++ {
		tr := Tree{Output: int32(t % classes)}
		w := 1
		if vector {
			tr.Output, w = -1, classes
		}
		var build func(d int) int32
		build = func(d int) int32 {
			i := int32(len(tr.Feature))
			tr.Feature = append(tr.Feature, -1)
			tr.Threshold = append(tr.Threshold, 0)
			tr.Op = append(tr.Op, Less)
			tr.DefaultLeft = append(tr.DefaultLeft, rng.IntN(2) == 0)
			tr.Left = append(tr.Left, -1)
			tr.Right = append(tr.Right, -1)
			for k := 0; k < w; k++ {
				tr.Value = append(tr.Value, float32(rng.NormFloat64()*0.1))
			}
			if d < depth {
				tr.Feature[i] = int32(rng.IntN(features))
				tr.Threshold[i] = float32(rng.NormFloat64())
				l := build(d + 1)
				r := build(d + 1)
				tr.Left[i], tr.Right[i] = l, r
			}
			return i
		}
		build(0)
		m.Ensemble.Trees = append(m.Ensemble.Trees, tr)
	}
	return m
}

func TestRandomModelIsValid(t *testing.T) {
	for _, vec := range []bool{true, false} {
		if err := Validate(randomModel(10, 3, 12, 4, vec, 1)); err != nil {
			t.Fatal(err)
		}
	}
}

func benchmarkPredict(b *testing.B, features, classes, trees, depth int, vector bool) {
	m := randomModel(features, classes, trees, depth, vector, 1)
	rng := rand.New(rand.NewPCG(2, 2))
	rows := make([][]float32, 256)
	for i := range rows {
		rows[i] = make([]float32, features)
		for j := range rows[i] {
			rows[i][j] = float32(rng.NormFloat64())
		}
	}
	var r Result
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Predict(rows[i&255], &r)
	}
}

// Shapes: features x classes x trees x depth.
func BenchmarkPredict_41f_5c_100vec_d6(b *testing.B)   { benchmarkPredict(b, 41, 5, 100, 6, true) }
func BenchmarkPredict_41f_5c_500trees_d6(b *testing.B) { benchmarkPredict(b, 41, 5, 500, 6, false) }
func BenchmarkPredict_80f_16c_100vec_d6(b *testing.B)  { benchmarkPredict(b, 80, 16, 100, 6, true) }
func BenchmarkPredict_20f_2c_2000trees_d8(b *testing.B) {
	benchmarkPredict(b, 20, 2, 2000, 8, false)
}

// benchmarkRatio runs the reference (*Model).Predict and the compiled
// Predictor, one row per call and in batches of 256, on the same rows in
// one process, and reports each and the ratios.
func benchmarkRatio(b *testing.B, features, classes, trees, depth int, vector bool) {
	m := randomModel(features, classes, trees, depth, vector, 1)
	p, err := NewPredictor(m)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 2))
	const n = 256
	rows := make([]float32, n*features)
	for i := range rows {
		rows[i] = float32(rng.NormFloat64())
	}
	var r Result
	out := make([]Result, n)
	var ref, one, batch time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for j := 0; j < n; j++ {
			m.Predict(rows[j*features:(j+1)*features], &r)
		}
		ref += time.Since(start)
		start = time.Now()
		for j := 0; j < n; j++ {
			p.Predict(rows[j*features:(j+1)*features], &r)
		}
		one += time.Since(start)
		start = time.Now()
		p.PredictBatch(rows, out)
		batch += time.Since(start)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*n) }
	b.ReportMetric(per(ref), "reference-ns/row")
	b.ReportMetric(per(one), "predictor-ns/row")
	b.ReportMetric(per(batch), "batch256-ns/row")
	b.ReportMetric(float64(ref)/float64(one), "reference/predictor")
	b.ReportMetric(float64(ref)/float64(batch), "reference/batch")
}

func BenchmarkPredictorRatio_41f_5c_100vec_d6(b *testing.B) { benchmarkRatio(b, 41, 5, 100, 6, true) }
func BenchmarkPredictorRatio_41f_5c_500trees_d6(b *testing.B) {
	benchmarkRatio(b, 41, 5, 500, 6, false)
}
func BenchmarkPredictorRatio_80f_16c_100vec_d6(b *testing.B) { benchmarkRatio(b, 80, 16, 100, 6, true) }
func BenchmarkPredictorRatio_20f_2c_2000trees_d8(b *testing.B) {
	benchmarkRatio(b, 20, 2, 2000, 8, false)
}
