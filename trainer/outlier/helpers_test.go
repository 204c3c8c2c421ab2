package outlier

import (
	"math"
	"math/rand/v2"
	"sort"
)

// rocAUC is the area under the ROC curve of scores for the positives pos
// (Mann–Whitney U with midranks for ties).
func rocAUC(scores []float64, pos []bool) float64 {
	idx := make([]int, len(scores))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return scores[idx[a]] < scores[idx[b]] })
	var np, nn, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && scores[idx[j]] == scores[idx[i]] {
			j++
		}
		r := float64(i+j+1) / 2
		for _, t := range idx[i:j] {
			if pos[t] {
				rankSum += r
				np++
			} else {
				nn++
			}
		}
		i = j
	}
	return (rankSum - np*(np+1)/2) / (np * nn)
}

// f1 is the F1 score of pred against the positives truth.
func f1(pred, truth []bool) float64 {
	var tp, fp, fn float64
	for i := range pred {
		switch {
		case pred[i] && truth[i]:
			tp++
		case pred[i]:
			fp++
		case truth[i]:
			fn++
		}
	}
	if tp == 0 {
		return 0
	}
	return 2 * tp / (2*tp + fp + fn)
}

// gaussian draws n rows of a correlated d-dimensional Gaussian with
// per-feature scales spread over many orders of magnitude: x = s ⊙ (A g)
// for g standard normal, A a fixed random lower-triangular mixing matrix.
func gaussian(rng *rand.Rand, n, d int) [][]float64 {
	a := make([]float64, d*d)
	mix := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < d; i++ {
		for j := 0; j <= i; j++ {
			a[i*d+j] = mix.NormFloat64()
		}
		a[i*d+i] = 1 + math.Abs(a[i*d+i])
	}
	rows := make([][]float64, n)
	g := make([]float64, d)
	for r := range rows {
		for j := range g {
			g[j] = rng.NormFloat64()
		}
		x := make([]float64, d)
		for i := 0; i < d; i++ {
			var s float64
			for j := 0; j <= i; j++ {
				s += a[i*d+j] * g[j]
			}
			x[i] = s*math.Pow(10, float64(i%7)-2) + 100*float64(i)
		}
		rows[r] = x
	}
	return rows
}

// columns turns rows into the feature-major float32 columns Fit takes.
func columns(rows [][]float64) [][]float32 {
	d := len(rows[0])
	cols := make([][]float32, d)
	for j := range cols {
		cols[j] = make([]float32, len(rows))
		for i, r := range rows {
			cols[j][i] = float32(r[j])
		}
	}
	return cols
}

// identity returns the feature indices 0..d-1.
func identity(d int) []int32 {
	f := make([]int32, d)
	for i := range f {
		f[i] = int32(i)
	}
	return f
}

// f32 converts a row to the IR's float32 row.
func f32(r []float64) []float32 {
	out := make([]float32, len(r))
	for i, v := range r {
		out[i] = float32(v)
	}
	return out
}
