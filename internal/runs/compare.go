package runs

import (
	"math"
	"sort"
)

// Comparison sets two runs side by side.
type Comparison struct {
	A, B *Run
	// Params are the parameters that differ ("" where a run lacks one),
	// by name.
	Params []ParamDiff
	// Metrics are every figure either run has, by name.
	Metrics []MetricDiff
}

// ParamDiff is one parameter that differs.
type ParamDiff struct {
	Name string
	A, B string
}

// MetricDiff is one figure of both runs; a run that lacks it has NaN, and
// so has Delta (B - A).
type MetricDiff struct {
	Name        string
	A, B, Delta float64
}

// Compare lists the parameters that differ between a and b and every
// metric of either with its delta, b minus a.
func Compare(a, b *Run) Comparison {
	c := Comparison{A: a, B: b}
	for _, k := range union(a.Params, b.Params) {
		va, vb := a.Params[k], b.Params[k]
		if va != vb {
			c.Params = append(c.Params, ParamDiff{Name: k, A: va, B: vb})
		}
	}
	for _, k := range union(a.Metrics, b.Metrics) {
		va, oka := a.Metrics[k]
		vb, okb := b.Metrics[k]
		if !oka {
			va = math.NaN()
		}
		if !okb {
			vb = math.NaN()
		}
		c.Metrics = append(c.Metrics, MetricDiff{Name: k, A: va, B: vb, Delta: vb - va})
	}
	return c
}

func union[V any](a, b map[string]V) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range []map[string]V{a, b} {
		for k := range m {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
