package trainer

import (
	"math"
	"slices"

	"github.com/flowsense/flowsense/model"
)

// referenceBins is the number of quantile bins of a numeric feature's
// reference histogram: ten, the usual choice for population stability
// index (PSI) drift checks.
const referenceBins = 10

// referenceHistograms computes the training distribution of every feature:
// for numeric ones, counts in bins cut at the deciles of the finite values
// (fewer bins when there are fewer distinct values); for categorical ones,
// counts per category plus an unknown bin.
func referenceHistograms(schema *model.Schema, cols [][]float32) []model.Histogram {
	out := make([]model.Histogram, len(schema.Features))
	var buf []float32 // one sort buffer for every column: no column-sized garbage
	for j, f := range schema.Features {
		out[j], buf = histogram(f, cols[j], buf)
	}
	return out
}

// histogram is the reference histogram of col; buf is scratch space for
// the sorted values, returned grown for the next call.
func histogram(f model.Feature, col, buf []float32) (model.Histogram, []float32) {
	var h model.Histogram
	if f.Kind == model.Categorical {
		h.Counts = make([]int64, len(f.Categories)+1)
		count(&h, col, true)
		return h, buf
	}
	vals := buf[:0]
	for _, v := range col {
		if v == v {
			vals = append(vals, v)
		}
	}
	slices.Sort(vals)
	if len(vals) > 0 {
		for q := 1; q < referenceBins; q++ {
			e := float64(vals[(len(vals)-1)*q/referenceBins])
			if math.IsInf(e, 0) {
				continue
			}
			if len(h.Edges) == 0 || e > h.Edges[len(h.Edges)-1] {
				h.Edges = append(h.Edges, e)
			}
		}
	}
	h.Counts = make([]int64, len(h.Edges)+1)
	count(&h, col, false)
	return h, vals
}

// count adds the values of col to h's bins (model.Histogram.Bin).
func count(h *model.Histogram, col []float32, categorical bool) {
	for _, v := range col {
		if b := h.Bin(v, categorical); b < 0 {
			h.Missing++
		} else {
			h.Counts[b]++
		}
	}
}
