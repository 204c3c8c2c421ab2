package trainer

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/report"
)

// DefaultExplainRows is how many test rows (evenly spaced) the report's
// TreeSHAP importance is averaged over when Config.ExplainRows is 0, and
// dependenceRows how many of them each dependence plot draws. TreeSHAP
// costs about a millisecond a row on the shared datasets' models (see
// RATIONALE.md), so a thousand rows keep it to seconds; the ranks of the
// top features are stable well before that.
const (
	DefaultExplainRows = 1000
	dependenceRows     = 500
)

// explainChunk is the rows one worker takes at a time; partial sums are
// kept per chunk and added in chunk order, so the figures do not depend
// on the number of workers.
const explainChunk = 64

// explainTest computes the report's TreeSHAP summary of m over up to
// maxRows of the test rows (columns cols, nTest rows, predicted classes
// pred): every feature's mean absolute contribution to each raw score,
// and the dependence data of the report.TopDependence most important
// features.
func explainTest(ctx context.Context, m *model.Model, cols [][]float32, nTest int, pred []int32, maxRows int) (*report.SHAP, error) {
	if nTest == 0 || maxRows <= 0 {
		return nil, nil
	}
	if _, err := model.NewExplainer(m); err != nil {
		return nil, err
	}
	F := len(m.Schema.Features)
	outputs := m.Ensemble.Outputs
	idx := evenly(nTest, maxRows)
	dep := evenly(len(idx), dependenceRows) // positions in idx
	depAt := make(map[int]int, len(dep))
	for k, p := range dep {
		depAt[p] = k
	}
	// per dependence row: the contributions to its predicted class's margin
	depPhi := make([]float64, len(dep)*F)

	chunks := (len(idx) + explainChunk - 1) / explainChunk
	sums := make([][]float64, chunks) // per chunk: outputs*F absolute sums
	workers := min(runtime.GOMAXPROCS(0), chunks)
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x, err := model.NewExplainer(m)
			if err != nil {
				errs <- err
				return
			}
			stride := x.Stride()
			phi := make([]float64, outputs*stride)
			row := make([]float32, F)
			for c := range next {
				s := make([]float64, outputs*F)
				for p := c * explainChunk; p < min(len(idx), (c+1)*explainChunk); p++ {
					r := idx[p]
					for j := range row {
						row[j] = cols[j][r]
					}
					if err := x.Contributions(row, phi); err != nil {
						errs <- err
						return
					}
					for o := 0; o < outputs; o++ {
						for f := 0; f < F; f++ {
							s[o*F+f] += math.Abs(phi[o*stride+f])
						}
					}
					if k, ok := depAt[p]; ok {
						block, sign := marginBlock(m, predicted(m, pred[r]))
						for f := 0; f < F; f++ {
							depPhi[k*F+f] = sign * phi[block*stride+f]
						}
					}
				}
				sums[c] = s
			}
		}()
	}
	var err error
feed:
	for c := range chunks {
		if err = ctx.Err(); err != nil {
			break
		}
		select {
		case next <- c:
		case err = <-errs:
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	if err != nil {
		return nil, fmt.Errorf("explain the test rows: %w", err)
	}

	s := &report.SHAP{Rows: len(idx), Of: nTest}
	if m.Ensemble.Objective == model.Logistic {
		s.Outputs = []string{"the log-odds of " + m.Classes[1]}
	} else {
		s.Outputs = slices.Clone(m.Classes)
	}
	total := make([]float64, outputs*F)
	for _, cs := range sums {
		for i, v := range cs {
			total[i] += v
		}
	}
	for f := 0; f < F; f++ {
		mean := make([]float64, outputs)
		for o := range mean {
			mean[o] = total[o*F+f] / float64(len(idx))
		}
		s.Features = append(s.Features, report.SHAPFeature{Name: m.Schema.Features[f].Name, MeanAbs: mean})
	}
	order := make([]int, F)
	for f := range order {
		order[f] = f
	}
	slices.SortStableFunc(order, func(a, b int) int {
		oa, ob := s.Features[a].Overall(), s.Features[b].Overall()
		switch {
		case oa > ob:
			return -1
		case oa < ob:
			return 1
		}
		return 0
	})
	for _, f := range order[:min(report.TopDependence, F)] {
		if !(s.Features[f].Overall() > 0) {
			break
		}
		feat := &m.Schema.Features[f]
		d := report.Dependence{Feature: feat.Name}
		if feat.Kind == model.Categorical {
			d.Categories = slices.Clone(feat.Categories)
		}
		for k, p := range dep {
			r := idx[p]
			d.Value = append(d.Value, float64(cols[f][r]))
			d.Contribution = append(d.Contribution, depPhi[k*F+f])
			d.Class = append(d.Class, predicted(m, pred[r]))
		}
		s.Dependence = append(s.Dependence, d)
	}
	return s, nil
}

// marginBlock is the output block and sign whose contributions make up
// class c's margin (model.Model.Margin): block c of a softmax model; for
// a logistic one block 0, negated for class 0.
func marginBlock(m *model.Model, c int) (int, float64) {
	if m.Ensemble.Objective == model.Logistic {
		if c == 0 {
			return 0, -1
		}
		return 0, 1
	}
	return c, 1
}

// predicted is a predicted class as an index of m.Classes (0 for one
// out of range, which the predictors do not give).
func predicted(m *model.Model, c int32) int {
	if c < 0 || int(c) >= len(m.Classes) {
		return 0
	}
	return int(c)
}

// evenly picks up to k of n positions, evenly spaced, in order.
func evenly(n, k int) []int {
	if k >= n {
		k = n
	}
	out := make([]int, k)
	for i := range out {
		out[i] = int(int64(i) * int64(n) / int64(k))
	}
	return out
}
