package model

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// withCovers gives every node of m's trees a cover: random hessian sums
// at the leaves (some zero), parents the sum of their children, or, when
// loose, independent random covers per node (as a rounded file could
// carry).
func withCovers(m *Model, rng *rand.Rand, loose bool) *Model {
	for t := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[t]
		tr.Cover = make([]float64, tr.Len())
		var fill func(n int32) float64
		fill = func(n int32) float64 {
			if tr.Feature[n] < 0 || loose {
				c := rng.ExpFloat64() * 50
				if rng.IntN(10) == 0 {
					c = 0
				}
				tr.Cover[n] = c
				if tr.Feature[n] < 0 {
					return c
				}
				fill(tr.Left[n])
				fill(tr.Right[n])
				return c
			}
			tr.Cover[n] = fill(tr.Left[n]) + fill(tr.Right[n])
			return tr.Cover[n]
		}
		fill(0)
	}
	return m
}

func randomRow(rng *rand.Rand, features int) []float32 {
	row := make([]float32, features)
	for j := range row {
		switch rng.IntN(8) {
		case 0:
			row[j] = float32(math.NaN())
		default:
			row[j] = float32(rng.NormFloat64())
		}
	}
	return row
}

// checkAdditive asserts that each output's contributions plus its bias are
// the row's raw score to 1e-9 relative to the score's magnitude (the base
// score and the leaves reached, in absolute value).
func checkAdditive(t *testing.T, m *Model, x *Explainer, row []float32) {
	t.Helper()
	raw := make([]float64, m.Ensemble.Outputs)
	m.Ensemble.Raw(row, raw)
	phi := make([]float64, m.Ensemble.Outputs*x.Stride())
	if err := x.Contributions(row, phi); err != nil {
		t.Fatal(err)
	}
	scale := make([]float64, m.Ensemble.Outputs)
	for j := range scale {
		scale[j] = math.Abs(float64(m.Ensemble.BaseScore[j]))
	}
	for i := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[i]
		n := tr.Leaf(row)
		if tr.Output >= 0 {
			scale[tr.Output] += math.Abs(float64(tr.Value[n]))
			continue
		}
		for j := range scale {
			scale[j] += math.Abs(float64(tr.Value[n*len(scale)+j]))
		}
	}
	for j := range raw {
		var s float64
		for _, v := range phi[j*x.Stride() : (j+1)*x.Stride()] {
			s += v
		}
		if d := math.Abs(s - raw[j]); !(d <= 1e-9*max(scale[j], 1e-300)) {
			t.Fatalf("output %d: contributions sum to %.17g, raw score %.17g (|diff| %.3g, scale %.3g)", j, s, raw[j], d, scale[j])
		}
	}
}

func TestContributionsAddUpToRawScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for _, c := range []struct {
		name                            string
		features, classes, trees, depth int
		vector, loose                   bool
	}{
		{"scalar", 10, 3, 30, 5, false, false},
		{"vector", 8, 4, 20, 6, true, false},
		{"repeats", 3, 3, 30, 8, false, false}, // 3 features, depth 8: every path repeats features
		{"loose covers", 6, 2, 20, 5, false, true},
		{"deep", 40, 2, 3, 12, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m := withCovers(randomModel(c.features, c.classes, c.trees, c.depth, c.vector, rng.Uint64()), rng, c.loose)
			if err := Validate(m); err != nil {
				t.Fatal(err)
			}
			x, err := NewExplainer(m)
			if err != nil {
				t.Fatal(err)
			}
			rows := 200
			if c.depth > 10 {
				rows = 20 // 4,096 leaves a tree
			}
			for i := 0; i < rows; i++ {
				checkAdditive(t, m, x, randomRow(rng, c.features))
			}
		})
	}
}

func TestContributionsLogistic(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 1))
	m := withCovers(randomModel(6, 2, 25, 4, false, 9), rng, false)
	m.Ensemble.Objective, m.Ensemble.Outputs, m.Ensemble.BaseScore = Logistic, 1, []float32{0.3}
	for i := range m.Ensemble.Trees {
		m.Ensemble.Trees[i].Output = 0
	}
	if err := Validate(m); err != nil {
		t.Fatal(err)
	}
	x, err := NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	var e Explanation
	raw := make([]float64, 1)
	for i := 0; i < 100; i++ {
		row := randomRow(rng, 6)
		checkAdditive(t, m, x, row)
		if err := x.Explain(row, 0, &e); err != nil {
			t.Fatal(err)
		}
		m.Ensemble.Raw(row, raw)
		want := m.Margin(raw, e.Class)
		s := e.Bias
		for _, f := range e.Features {
			s += f.Contribution
		}
		if math.Abs(s-want) > 1e-9*(1+math.Abs(want)) || math.Abs(e.Margin-want) > 1e-9*(1+math.Abs(want)) {
			t.Fatalf("class %d: explanation sums to %v (margin %v), want %v", e.Class, s, e.Margin, want)
		}
		if want < 0 {
			t.Fatalf("predicted class %d has negative log-odds %v", e.Class, want)
		}
	}
}

// shapleyOracle is the definition: with v(S) the tree's expected value
// when the features in S are known (follow the row) and the others are
// not (average the children by cover), feature i's value is the weighted
// sum over subsets S without i of v(S ∪ {i}) - v(S).
func shapleyOracle(m *Model, row []float32) []float64 {
	F := len(m.Schema.Features)
	out := m.Ensemble.Outputs
	phi := make([]float64, out*(F+1))
	fact := func(n int) float64 {
		r := 1.0
		for i := 2; i <= n; i++ {
			r *= float64(i)
		}
		return r
	}
	for j := 0; j < out; j++ {
		phi[j*(F+1)+F] = float64(m.Ensemble.BaseScore[j])
	}
	for ti := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[ti]
		w := tr.Width(out)
		var v func(n int32, s uint, j int) float64
		v = func(n int32, s uint, j int) float64 {
			if tr.Feature[n] < 0 {
				return float64(tr.Value[int(n)*w+j])
			}
			if s&(1<<tr.Feature[n]) != 0 {
				if tr.goesLeft(n, row[tr.Feature[n]]) {
					return v(tr.Left[n], s, j)
				}
				return v(tr.Right[n], s, j)
			}
			fl, fr := tr.fractions(n)
			return fl*v(tr.Left[n], s, j) + fr*v(tr.Right[n], s, j)
		}
		for j := 0; j < w; j++ {
			o := j
			if tr.Output >= 0 {
				o = int(tr.Output)
			}
			phi[o*(F+1)+F] += v(0, 0, j)
			for i := 0; i < F; i++ {
				for s := uint(0); s < 1<<F; s++ {
					if s&(1<<i) != 0 {
						continue
					}
					k := 0
					for b := s; b != 0; b &= b - 1 {
						k++
					}
					wt := fact(k) * fact(F-k-1) / fact(F)
					phi[o*(F+1)+i] += wt * (v(0, s|1<<i, j) - v(0, s, j))
				}
			}
		}
	}
	return phi
}

func TestContributionsMatchBruteForceShapley(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 5))
	for trial := 0; trial < 60; trial++ {
		F := 2 + rng.IntN(4)
		m := withCovers(randomModel(F, 2+rng.IntN(2), 1+rng.IntN(4), 1+rng.IntN(5), rng.IntN(2) == 0, rng.Uint64()), rng, rng.IntN(3) == 0)
		x, err := NewExplainer(m)
		if err != nil {
			t.Fatal(err)
		}
		phi := make([]float64, m.Ensemble.Outputs*x.Stride())
		for r := 0; r < 20; r++ {
			row := randomRow(rng, F)
			if err := x.Contributions(row, phi); err != nil {
				t.Fatal(err)
			}
			want := shapleyOracle(m, row)
			for i := range want {
				if math.Abs(phi[i]-want[i]) > 1e-12*(1+math.Abs(want[i])) {
					t.Fatalf("trial %d row %v: phi[%d] = %.17g, brute force %.17g\nall %v\nwant %v", trial, row, i, phi[i], want[i], phi, want)
				}
			}
		}
	}
}

func TestExplainerNeedsCovers(t *testing.T) {
	m := randomModel(4, 2, 3, 2, false, 1)
	if _, err := NewExplainer(m); !errors.Is(err, ErrNoCovers) {
		t.Fatalf("NewExplainer without covers: %v, want ErrNoCovers", err)
	}
}

func TestValidateCover(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for name, c := range map[string]struct {
		edit func(tr *Tree)
		want error
	}{
		"short":    {func(tr *Tree) { tr.Cover = tr.Cover[:1] }, ErrShape},
		"negative": {func(tr *Tree) { tr.Cover[1] = -1 }, ErrInvalid},
		"nan":      {func(tr *Tree) { tr.Cover[2] = math.NaN() }, ErrNonFinite},
		"inf":      {func(tr *Tree) { tr.Cover[0] = math.Inf(1) }, ErrNonFinite},
	} {
		t.Run(name, func(t *testing.T) {
			m := withCovers(randomModel(4, 2, 3, 2, false, 1), rng, false)
			c.edit(&m.Ensemble.Trees[1])
			if err := Validate(m); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestOutlierContributionsSumToScore(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := 0; trial < 50; trial++ {
		d := 1 + rng.IntN(8)
		k := 1 + rng.IntN(d)
		o := &Outlier{Components: k, Threshold: 3}
		for j := 0; j < d; j++ {
			o.Features = append(o.Features, int32(j))
			o.Mean = append(o.Mean, rng.NormFloat64())
			o.Scale = append(o.Scale, 0.1+rng.ExpFloat64())
		}
		if trial%2 == 0 {
			o.Log1p = make([]bool, d)
			o.Log1p[0] = true
			o.Clip = &Clip{}
			for j := 0; j < d; j++ {
				o.Clip.Low = append(o.Clip.Low, o.Mean[j]-2)
				o.Clip.High = append(o.Clip.High, o.Mean[j]+2)
			}
		}
		for i := 0; i < d*k; i++ {
			o.Projection = append(o.Projection, rng.NormFloat64())
		}
		// a symmetric positive definite inverse covariance A·Aᵀ + I
		a := make([]float64, k*k)
		for i := range a {
			a[i] = rng.NormFloat64()
		}
		o.InvCov = make([]float64, k*k)
		for i := 0; i < k; i++ {
			for j := 0; j < k; j++ {
				for l := 0; l < k; l++ {
					o.InvCov[i*k+j] += a[i*k+l] * a[j*k+l]
				}
				if i == j {
					o.InvCov[i*k+j]++
				}
			}
		}
		c := make([]float64, d)
		for r := 0; r < 20; r++ {
			row := make([]float32, d)
			for j := range row {
				row[j] = float32(rng.NormFloat64() * 3)
			}
			if r == 0 {
				row[0] = float32(math.NaN()) // missing: at the mean, no share
			}
			got := o.Contributions(row, c)
			want := o.Score(row)
			var s float64
			for _, v := range c {
				s += v
			}
			if math.Abs(got-want) > 1e-12*(1+want) || math.Abs(s-want) > 1e-9*(1+want) {
				t.Fatalf("trial %d: shares sum to %v, Contributions says %v, Score %v", trial, s, got, want)
			}
			if r == 0 && c[0] != 0 {
				t.Fatalf("a missing input has share %v, want 0", c[0])
			}
		}
	}
}

// TestOutlierContributionsAreShapley checks the closed form against the
// definition on a small detector: Shapley values of the score where an
// unknown input sits at its mean.
func TestOutlierContributionsAreShapley(t *testing.T) {
	o := &Outlier{
		Features: []int32{0, 1, 2}, Mean: []float64{1, -2, 0.5}, Scale: []float64{2, 1, 0.5}, Components: 2,
		Projection: []float64{0.6, 0.1, -0.3, 0.9, 0.7, -0.2}, InvCov: []float64{2, 0.5, 0.5, 1}, Threshold: 1,
	}
	row := []float32{4, -1, 2}
	c := make([]float64, 3)
	o.Contributions(row, c)
	v := func(s uint) float64 {
		r := make([]float32, 3)
		for j := range r {
			r[j] = float32(o.Mean[j])
			if s&(1<<j) != 0 {
				r[j] = row[j]
			}
		}
		return o.Score(r)
	}
	w := []float64{1.0 / 3, 1.0 / 6, 1.0 / 3} // |S|!(2-|S|)!/3! for |S| = 0, 1, 2
	for i := 0; i < 3; i++ {
		var phi float64
		for s := uint(0); s < 8; s++ {
			if s&(1<<i) != 0 {
				continue
			}
			k := 0
			for b := s; b != 0; b &= b - 1 {
				k++
			}
			phi += w[k] * (v(s|1<<i) - v(s))
		}
		if math.Abs(phi-c[i]) > 1e-9 {
			t.Fatalf("input %d: share %v, Shapley value %v", i, c[i], phi)
		}
	}
}

func TestExplainTopN(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 9))
	m := withCovers(randomModel(12, 3, 40, 5, false, 4), rng, false)
	x, err := NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	var e Explanation
	row := randomRow(rng, 12)
	if err := x.Explain(row, 3, &e); err != nil {
		t.Fatal(err)
	}
	if len(e.Features) != 3 {
		t.Fatalf("%d features, want 3", len(e.Features))
	}
	for i := 1; i < len(e.Features); i++ {
		if math.Abs(e.Features[i].Contribution) > math.Abs(e.Features[i-1].Contribution) {
			t.Fatalf("not sorted by magnitude: %+v", e.Features)
		}
	}
	var all Explanation
	x.Explain(row, 0, &all)
	for i := range e.Features {
		if e.Features[i].Feature != all.Features[i].Feature || e.Features[i].Contribution != all.Features[i].Contribution {
			t.Fatalf("top 3 %+v is not the head of all %+v", e.Features, all.Features[:3])
		}
	}
	if err := x.Explain(row[:3], 3, &e); !errors.Is(err, ErrRowWidth) {
		t.Fatalf("short row: %v", err)
	}
}
