package drift

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// ChiSquare is scipy.stats.chisquare(obs, exp): Pearson's statistic
// sum((o-e)^2/e) and its p-value from the chi-square distribution with
// len(obs)-1 degrees of freedom. An expected count of 0 with an observed
// one gives an infinite statistic and p-value 0, as in scipy.
func ChiSquare(obs, exp []float64) (stat, p float64) {
	if len(obs) != len(exp) || len(obs) < 2 {
		return math.NaN(), math.NaN()
	}
	for i, o := range obs {
		d := o - exp[i]
		stat += d * d / exp[i]
	}
	if math.IsNaN(stat) {
		return stat, math.NaN()
	}
	if math.IsInf(stat, 1) {
		return stat, 0
	}
	return stat, distuv.ChiSquared{K: float64(len(obs) - 1)}.Survival(stat)
}

// ZTest is Evidently's two-proportion z-test: ref1 of n1 and cur1 of n2
// rows are "1"; the statistic is (p1-p2)/sqrt(P(1-P)(1/n1+1/n2)) with the
// pooled proportion P, and the two-sided p-value is 2*(1-Phi(|z|)),
// written as Evidently writes it.
func ZTest(ref1, n1, cur1, n2 int) (z, p float64) {
	p1 := float64(ref1) / float64(n1)
	p2 := float64(cur1) / float64(n2)
	P := (p1*float64(n1) + p2*float64(n2)) / float64(n1+n2)
	z = (p1 - p2) / math.Sqrt(P*(1-P)*(1/float64(n1)+1/float64(n2)))
	return z, 2 * (1 - normCDF(math.Abs(z)))
}

// normCDF is scipy.special.ndtr.
func normCDF(x float64) float64 {
	t := x / math.Sqrt2
	if math.Abs(t) < 1/math.Sqrt2 {
		return 0.5 + 0.5*math.Erf(t)
	}
	if t > 0 {
		return 1 - 0.5*math.Erfc(t)
	}
	return 0.5 * math.Erfc(-t)
}

// Wasserstein is scipy.stats.wasserstein_distance(u, v): the first
// Wasserstein (earth mover's) distance between the empirical distributions
// of two samples, the integral of |F_u - F_v|. u and v must be sorted
// ascending and finite.
func Wasserstein(u, v []float64) float64 {
	nu, nv := len(u), len(v)
	if nu == 0 || nv == 0 {
		return math.NaN()
	}
	// Walk the merged values; between consecutive values x_k < x_{k+1}
	// the CDFs are counts of values <= x_k.
	i, j := 0, 0
	sum := 0.0
	prev := math.Min(u[0], v[0])
	for i < nu || j < nv {
		var x float64
		switch {
		case j >= nv || (i < nu && u[i] <= v[j]):
			x = u[i]
		default:
			x = v[j]
		}
		if x > prev {
			d := float64(i)/float64(nu) - float64(j)/float64(nv)
			sum += math.Abs(d) * (x - prev)
		}
		for i < nu && u[i] <= x {
			i++
		}
		for j < nv && v[j] <= x {
			j++
		}
		prev = x
	}
	return sum
}

// StdDev is numpy.std: the population standard deviation (ddof 0).
func StdDev(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	mean := 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	ss := 0.0
	for _, x := range xs {
		d := x - mean
		ss += d * d
	}
	return math.Sqrt(ss / float64(len(xs)))
}

// JensenShannon is scipy.spatial.distance.jensenshannon(p, q, base=2):
// both vectors are normalised to sum 1; the result is
// sqrt((KL(p||m) + KL(q||m)) / 2 / ln 2) with m = (p+q)/2, between 0 and 1.
func JensenShannon(p, q []float64) float64 {
	if len(p) != len(q) || len(p) == 0 {
		return math.NaN()
	}
	var sp, sq float64
	for i := range p {
		sp += p[i]
		sq += q[i]
	}
	js := 0.0
	for i := range p {
		a, b := p[i]/sp, q[i]/sq
		m := (a + b) / 2
		js += relEntr(a, m) + relEntr(b, m)
	}
	js /= math.Log(2)
	return math.Sqrt(js / 2)
}

// relEntr is scipy.special.rel_entr.
func relEntr(x, y float64) float64 {
	switch {
	case math.IsNaN(x) || math.IsNaN(y):
		return math.NaN()
	case x > 0 && y > 0:
		return x * math.Log(x/y)
	case x == 0 && y >= 0:
		return 0
	}
	return math.Inf(1)
}
