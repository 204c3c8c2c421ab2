package outlier

import (
	"math"
	"slices"
)

// heavyTailDecades is how many orders of magnitude a column's largest
// magnitude must stand above its median magnitude for Log1pAuto to log it:
// spanDecades(c) >= 3, i.e. (max|x| + 1) >= 1000·(median|x| + 1). Chosen
// by measurement (doc.go): below 2.01 decades it would log KDD Cup 99's
// srv_count, which costs 0.034 of ROC-AUC there, and any cut-off from 2.5
// to 4 gives about the same figures on NSL-KDD and CIC-IDS2017.
const heavyTailDecades = 3

// log1pFlags returns, for each column, whether Fit passes it through the
// signed log1p under rule (Params.Log1p, validated).
func log1pFlags(cols [][]float32, rule string) []bool {
	flags := make([]bool, len(cols))
	for j, c := range cols {
		switch rule {
		case Log1pAll:
			flags[j] = true
		case Log1pAuto:
			flags[j] = heavyTailed(c)
		}
	}
	return flags
}

// irFlags is flags as the IR's model.Outlier.Log1p: nil when none is set.
func irFlags(flags []bool) []bool {
	if slices.Contains(flags, true) {
		return flags
	}
	return nil
}

// heavyTailed reports whether the finite values of c span so many orders
// of magnitude that a Gaussian fits their logarithms better than the
// values: spanDecades(c) >= heavyTailDecades. Bytes, durations, rates and
// inter-arrival times of flows are; rates in [0, 1], flags and small
// counts are not.
func heavyTailed(c []float32) bool {
	return spanDecades(c) >= heavyTailDecades
}

// spanDecades is log10((max|x| + 1) / (median|x| + 1)) over the finite
// values x of c (the upper median), 0 when there are none. The +1 matches
// log1p: values below 1 barely change under it.
func spanDecades(c []float32) float64 {
	abs := make([]float64, 0, len(c))
	for _, v := range c {
		if x := float64(v); !math.IsNaN(x) && !math.IsInf(x, 0) {
			abs = append(abs, math.Abs(x))
		}
	}
	if len(abs) == 0 {
		return 0
	}
	slices.Sort(abs)
	return math.Log10((abs[len(abs)-1] + 1) / (abs[len(abs)/2] + 1))
}
