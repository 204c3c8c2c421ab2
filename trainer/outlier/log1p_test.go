package outlier

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestHeavyTailed(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	gen := func(n int, f func(i int) float64) []float32 {
		c := make([]float32, n)
		for i := range c {
			c[i] = float32(f(i))
		}
		return c
	}
	nan, inf := math.NaN(), math.Inf(1)
	tests := map[string]struct {
		col  []float32
		want bool
	}{
		"log-normal bytes":      {gen(5000, func(int) float64 { return math.Exp(5 + 2*rng.NormFloat64()) }), true},
		"negative log-normal":   {gen(5000, func(int) float64 { return -math.Exp(5 + 2*rng.NormFloat64()) }), true},
		"mostly zero, rare 1e6": {gen(1000, func(i int) float64 { return float64(i%100/99) * 1e6 }), true},
		"rates in [0, 1]":       {gen(5000, func(int) float64 { return rng.Float64() }), false},
		"binary flag":           {gen(5000, func(i int) float64 { return float64(i % 2) }), false},
		"narrow around 1e4":     {gen(5000, func(int) float64 { return 1e4 + 100*rng.NormFloat64() }), false},
		"skewed counts to 511":  {gen(5000, func(i int) float64 { return min(511, math.Floor(rng.ExpFloat64()*5)) + float64(i/4999)*511 }), false},
		"constant":              {gen(100, func(int) float64 { return 7 }), false},
		"all missing":           {gen(10, func(int) float64 { return nan }), false},
		"infinities ignored":    {[]float32{1, 1, 1, float32(inf), float32(-inf), float32(nan)}, false},
		"empty":                 {nil, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := heavyTailed(tc.col); got != tc.want {
				d, _ := spanDecades(tc.col, nil)
				t.Errorf("heavyTailed = %v (%.2f decades), want %v", got, d, tc.want)
			}
		})
	}
}

// logNormalRows draws n rows of (bytes, duration, rate): bytes and duration
// log-normal and correlated in log space, rate a light-tailed value in
// [0, 1] tied to them.
func logNormalRows(rng *rand.Rand, n int) [][]float64 {
	rows := make([][]float64, n)
	for i := range rows {
		g, h := rng.NormFloat64(), rng.NormFloat64()
		lb := 8 + 2*g
		ld := 4 + 2.5*g + 0.8*h
		rows[i] = []float64{math.Exp(lb), math.Exp(ld), 0.5 + 0.1*h + 0.02*rng.NormFloat64()}
	}
	return rows
}

// TestFitLog1pRules: each rule flags the inputs it says, and a detector
// fitted with flags scores exactly as one fitted without them on inputs
// already passed through the signed log1p, so Fit and model.Outlier.Score
// apply the transform alike.
func TestFitLog1pRules(t *testing.T) {
	rows := logNormalRows(rand.New(rand.NewPCG(5, 6)), 4000)
	tests := map[string]struct {
		rule string
		want []bool
	}{
		"empty is none": {"", nil},
		"none":          {Log1pNone, nil},
		"all":           {Log1pAll, []bool{true, true, true}},
		"auto":          {Log1pAuto, []bool{true, true, false}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := DefaultParams()
			p.Log1p = tc.rule
			m, err := Fit(columns(rows), identity(3), p)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(m.Log1p, tc.want) {
				t.Fatalf("Log1p %v, want %v", m.Log1p, tc.want)
			}
			if !strings.Contains(p.String(), "log1p=") {
				t.Errorf("String() %q does not record the rule", p.String())
			}
			// The same detector by hand: transform, then fit without one.
			pre := make([][]float64, len(rows))
			for i, r := range rows {
				pre[i] = slices.Clone(r)
				for j := range r {
					if tc.want != nil && tc.want[j] {
						pre[i][j] = signedLog1p(float64(float32(r[j])))
					}
				}
			}
			q := p
			q.Log1p = Log1pNone
			ref, err := Fit(columns(pre), identity(3), q)
			if err != nil {
				t.Fatal(err)
			}
			for i := 0; i < len(rows); i += 97 {
				got, want := m.Score(f32(rows[i])), ref.Score(f32(pre[i]))
				if math.Abs(got-want) > 1e-3*max(1, want) {
					t.Fatalf("row %d: score %v, by hand %v", i, got, want)
				}
			}
			if math.Abs(m.Threshold-ref.Threshold) > 1e-3*max(1, ref.Threshold) {
				t.Errorf("threshold %v, by hand %v", m.Threshold, ref.Threshold)
			}
		})
	}
}

// TestFitLog1pAutoSeparatesHeavyTails: on log-normal benign flows, outliers
// that break the flows' shape in log space (a duration 5 log-deviations
// short for its bytes) are found far better with the default rule than
// without a transform, where the largest flows dominate the covariance.
func TestFitLog1pAutoSeparatesHeavyTails(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	train := logNormalRows(rng, 5000)
	test := logNormalRows(rng, 2000)
	isOut := make([]bool, len(test))
	for i := 0; i < len(test); i += 10 {
		test[i][1] *= math.Exp(-5 * 0.8)
		isOut[i] = true
	}
	auc := map[string]float64{}
	for _, rule := range []string{Log1pNone, Log1pAuto} {
		p := DefaultParams()
		p.Log1p = rule
		m, err := Fit(columns(train), identity(3), p)
		if err != nil {
			t.Fatal(err)
		}
		scores := make([]float64, len(test))
		for i, r := range test {
			scores[i] = m.Score(f32(r))
		}
		auc[rule] = rocAUC(scores, isOut)
	}
	t.Logf("ROC-AUC: none %.4f, auto %.4f", auc[Log1pNone], auc[Log1pAuto])
	if !(auc[Log1pAuto] > 0.95 && auc[Log1pAuto] > auc[Log1pNone]+0.1) {
		t.Errorf("ROC-AUC auto %.4f, none %.4f: want auto > 0.95 and 0.1 above none", auc[Log1pAuto], auc[Log1pNone])
	}
}

func TestNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	tests := map[string][]float64{
		"one":        {5},
		"two":        {2, 1},
		"ties":       {3, 1, 3, 3, 2, 3, 1},
		"sorted":     {0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
		"reversed":   {9, 8, 7, 6, 5, 4, 3, 2, 1, 0},
		"all equal":  {4, 4, 4, 4, 4},
		"random 999": nil,
	}
	for i := 0; i < 999; i++ {
		tests["random 999"] = append(tests["random 999"], math.Floor(rng.Float64()*50))
	}
	for name, x := range tests {
		t.Run(name, func(t *testing.T) {
			want := slices.Clone(x)
			slices.Sort(want)
			for k := range x {
				if got := nth(slices.Clone(x), k); got != want[k] {
					t.Fatalf("nth(%d) = %v, want %v", k, got, want[k])
				}
			}
		})
	}
}
