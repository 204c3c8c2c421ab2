package trainer

import (
	"runtime"
	"sync"

	"github.com/flowsense/flowsense/model"
)

// Predictions are the native predictor's answers for a column-major table.
type Predictions struct {
	Class   []int32
	Probs   []float64 // row-major n x classes
	Score   []float64 // outlier scores (0 without a detector)
	Verdict []model.Verdict
}

// PredictColumns runs the native reference predictor over every row of
// cols (feature-major, schema order), on all cores.
func PredictColumns(m *model.Model, cols [][]float32, n int) *Predictions {
	k := len(m.Classes)
	p := &Predictions{
		Class:   make([]int32, n),
		Probs:   make([]float64, n*k),
		Score:   make([]float64, n),
		Verdict: make([]model.Verdict, n),
	}
	workers := runtime.GOMAXPROCS(0)
	chunk := (n + workers - 1) / workers
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min(n, (w+1)*chunk)
		if lo >= hi {
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			row := make([]float32, len(cols))
			var r model.Result
			for i := lo; i < hi; i++ {
				for j, c := range cols {
					row[j] = c[i]
				}
				m.Predict(row, &r) // row width matches by construction
				p.Class[i] = int32(r.Class)
				copy(p.Probs[i*k:], r.Probabilities)
				p.Score[i] = r.OutlierScore
				p.Verdict[i] = r.Verdict
			}
		}()
	}
	wg.Wait()
	return p
}
