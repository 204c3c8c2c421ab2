package outlier

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// detEpsilon is alibi-detect's EPSILON: a projected covariance whose
// determinant is not above it in absolute value counts as singular.
const detEpsilon = 1e-8

// topEigen returns the k largest eigenvalues of the d×d symmetric matrix c
// (row-major), in descending order, and their orthonormal eigenvectors as
// the columns of a d×k row-major matrix. c must be finite.
func topEigen(c []float64, d, k int) (vals, vecs []float64, ok bool) {
	for _, v := range c {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, nil, false
		}
	}
	var es mat.EigenSym
	if !es.Factorize(mat.NewSymDense(d, slices.Clone(c)), true) {
		return nil, nil, false
	}
	all := es.Values(nil) // ascending
	var q mat.Dense
	es.VectorsTo(&q)
	vals = make([]float64, k)
	vecs = make([]float64, d*k)
	for j := 0; j < k; j++ {
		col := d - 1 - j
		vals[j] = all[col]
		for i := 0; i < d; i++ {
			vecs[i*k+j] = q.At(i, col)
		}
	}
	return vals, vecs, true
}

// project computes VᵀA V for the d×d matrix a and the d×k matrix v, both
// row-major, into a new k×k matrix.
func project(a, v []float64, d, k int) []float64 {
	av := make([]float64, d*k) // A V
	for i := 0; i < d; i++ {
		ai := a[i*d : i*d+d]
		row := av[i*k : i*k+k]
		for l, x := range ai {
			if x == 0 {
				continue
			}
			vl := v[l*k : l*k+k]
			for c := range row {
				row[c] += x * vl[c]
			}
		}
	}
	out := make([]float64, k*k)
	for i := 0; i < d; i++ {
		vi := v[i*k : i*k+k]
		avi := av[i*k : i*k+k]
		for a := 0; a < k; a++ {
			if vi[a] == 0 {
				continue
			}
			o := out[a*k : a*k+k]
			for b := range o {
				o[b] += vi[a] * avi[b]
			}
		}
	}
	return out
}

// det is the determinant of the k×k row-major matrix a.
func det(a []float64, k int) float64 {
	return mat.Det(mat.NewDense(k, k, slices.Clone(a)))
}

// inverse returns the inverse of the k×k row-major matrix a, or false when
// it is singular or the result is not finite.
func inverse(a []float64, k int) ([]float64, bool) {
	var inv mat.Dense
	if err := inv.Inverse(mat.NewDense(k, k, slices.Clone(a))); err != nil {
		// gonum reports a badly conditioned matrix as a Condition error but
		// still computes its inverse, as numpy would: accept it when finite.
		// An exactly singular one is Condition(+Inf) and has no inverse.
		c, ok := err.(mat.Condition)
		if !ok || math.IsInf(float64(c), 1) {
			return nil, false
		}
	}
	out := make([]float64, k*k)
	for i := 0; i < k; i++ {
		for j := 0; j < k; j++ {
			out[i*k+j] = inv.At(i, j)
		}
	}
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, false
		}
	}
	return out, true
}

// quadForm returns qᵀ A q for the k×k row-major A.
func quadForm(q, a []float64) float64 {
	k := len(q)
	var s float64
	for i := 0; i < k; i++ {
		var t float64
		ai := a[i*k : i*k+k]
		for j, x := range ai {
			t += x * q[j]
		}
		s += q[i] * t
	}
	return s
}

// percentile is numpy.percentile's default (linear interpolation between
// closest ranks) of x at p in [0, 100]. x is sorted in place.
func percentile(x []float64, p float64) float64 {
	slices.Sort(x)
	h := p / 100 * float64(len(x)-1)
	lo := int(math.Floor(h))
	if lo >= len(x)-1 {
		return x[len(x)-1]
	}
	if lo < 0 {
		return x[0]
	}
	return x[lo] + (h-float64(lo))*(x[lo+1]-x[lo])
}

// clampFloat32 bounds v to float32's finite range, the range of the IR's
// rows: ±Inf become ±math.MaxFloat32. NaN is returned unchanged.
func clampFloat32(v float64) float64 {
	switch {
	case v > math.MaxFloat32:
		return math.MaxFloat32
	case v < -math.MaxFloat32:
		return -math.MaxFloat32
	}
	return v
}
