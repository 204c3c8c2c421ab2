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
func log1pFlags(set rowSet, rule string) []bool {
	flags := make([]bool, len(set.cols))
	var buf []float64
	var col []float32
	for j := range set.cols {
		switch rule {
		case Log1pAll:
			flags[j] = true
		case Log1pAuto:
			var d float64
			col = set.column(j, col)
			d, buf = spanDecades(col, buf)
			flags[j] = d >= heavyTailDecades
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
	d, _ := spanDecades(c, nil)
	return d >= heavyTailDecades
}

// spanDecades is log10((max|x| + 1) / (median|x| + 1)) over the finite
// values x of c (the upper median), 0 when there are none. The +1 matches
// log1p: values below 1 barely change under it. buf is scratch space,
// returned grown for the next call.
func spanDecades(c []float32, buf []float64) (float64, []float64) {
	if cap(buf) < len(c) {
		buf = make([]float64, 0, len(c))
	}
	abs := buf[:0]
	var top float64
	for _, v := range c {
		if x := float64(v); !math.IsNaN(x) && !math.IsInf(x, 0) {
			a := math.Abs(x)
			abs = append(abs, a)
			top = max(top, a)
		}
	}
	if len(abs) == 0 {
		return 0, abs
	}
	return math.Log10((top + 1) / (nth(abs, len(abs)/2) + 1)), abs
}

// nth returns the value of rank k (0-based, ascending) of x, reordering x:
// quickselect with a median-of-three pivot, in linear time on average; a
// range that keeps splitting badly is sorted instead.
func nth(x []float64, k int) float64 {
	lo, hi := 0, len(x)-1
	for budget := 64; lo < hi; budget-- {
		if budget == 0 {
			slices.Sort(x[lo : hi+1])
			break
		}
		mid := lo + (hi-lo)/2
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[hi] < x[mid] {
			x[hi], x[mid] = x[mid], x[hi]
		}
		pivot := x[mid]
		i, j := lo, hi
		for i <= j {
			for x[i] < pivot {
				i++
			}
			for x[j] > pivot {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return x[k]
		}
	}
	return x[k]
}
