package outlier

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/model"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// planted returns benign training rows, and a test set of benign rows with
// planted outliers: benign rows pushed 6 latent standard deviations off
// the data's correlation structure in one random feature.
func planted(seed uint64, d, nTrain, nTest, nOut int) (train, test [][]float64, isOut []bool) {
	rng := rand.New(rand.NewPCG(seed, 1))
	train = gaussian(rng, nTrain, d)
	test = gaussian(rng, nTest+nOut, d)
	isOut = make([]bool, len(test))
	scale := make([]float64, d)
	for j := range scale {
		var col []float64
		for _, r := range train {
			col = append(col, r[j])
		}
		_, scale[j] = stat.PopMeanStdDev(col, nil)
	}
	for i := nTest; i < len(test); i++ {
		j := rng.IntN(d)
		sign := 1.0
		if rng.IntN(2) == 0 {
			sign = -1
		}
		test[i][j] += sign * 6 * scale[j]
		isOut[i] = true
	}
	return train, test, isOut
}

func TestFitRecoversPlantedOutliers(t *testing.T) {
	tests := map[string]struct {
		components int
		minAUC     float64
	}{
		"all components": {components: 0, minAUC: 0.99},
		"half":           {components: 4, minAUC: 0.85},
	}
	train, test, isOut := planted(1, 8, 5000, 2000, 100)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := DefaultParams()
			p.Components = tc.components
			m, err := Fit(columns(train), identity(8), p)
			if err != nil {
				t.Fatal(err)
			}
			scores := make([]float64, len(test))
			for i, r := range test {
				scores[i] = m.Score(f32(r))
			}
			t.Logf("AUC %.4f", rocAUC(scores, isOut))
			if auc := rocAUC(scores, isOut); auc < tc.minAUC {
				t.Errorf("ROC-AUC %.4f, want >= %.2f", auc, tc.minAUC)
			}
		})
	}
}

// oracleScore is the squared Mahalanobis distance computed independently
// of Fit: standardise with gonum's population mean and deviation, take the
// sample covariance with stat.CovarianceMatrix, and keep the top k
// eigenpairs from a separate eigendecomposition (k = d: the full inverse).
func oracle(t *testing.T, train [][]float64, k int) func(r []float64) float64 {
	t.Helper()
	n, d := len(train), len(train[0])
	mean := make([]float64, d)
	std := make([]float64, d)
	x := mat.NewDense(n, d, nil)
	for j := 0; j < d; j++ {
		col := make([]float64, n)
		for i, r := range train {
			col[i] = float64(float32(r[j]))
		}
		mean[j], std[j] = stat.PopMeanStdDev(col, nil)
		for i, v := range col {
			x.Set(i, j, (v-mean[j])/std[j])
		}
	}
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	var es mat.EigenSym
	if !es.Factorize(&cov, true) {
		t.Fatal("oracle eigendecomposition failed")
	}
	vals := es.Values(nil)
	var vecs mat.Dense
	es.VectorsTo(&vecs)
	var full mat.Dense
	if k == d {
		if err := full.Inverse(&cov); err != nil {
			t.Fatal(err)
		}
	}
	return func(r []float64) float64 {
		u := mat.NewVecDense(d, nil)
		for j := range r {
			u.SetVec(j, (float64(float32(r[j]))-mean[j])/std[j])
		}
		if k == d {
			var w mat.VecDense
			w.MulVec(&full, u)
			return mat.Dot(u, &w)
		}
		var s float64
		for c := d - 1; c >= d-k; c-- {
			p := mat.Dot(vecs.ColView(c), u)
			s += p * p / vals[c]
		}
		return s
	}
}

func TestFitScoresMatchOracle(t *testing.T) {
	train, test, _ := planted(2, 6, 3000, 200, 20)
	for _, k := range []int{1, 3, 6} {
		p := DefaultParams()
		p.Components = k
		p.Log1p = Log1pNone // the oracle works on the raw inputs
		m, err := Fit(columns(train), identity(6), p)
		if err != nil {
			t.Fatal(err)
		}
		want := oracle(t, train, k)
		for i, r := range test {
			got, w := m.Score(f32(r)), want(r)
			// The ridge (1e-6 of the mean eigenvalue) is the only intended
			// difference.
			if math.Abs(got-w) > 1e-4*max(1, w) {
				t.Fatalf("k=%d row %d: score %v, oracle %v", k, i, got, w)
			}
		}
	}
}

func TestFitShape(t *testing.T) {
	train, _, _ := planted(3, 5, 500, 0, 0)
	features := []int32{9, 2, 4, 7, 0}
	for _, k := range []int{0, 1, 2, 5, 9} {
		p := DefaultParams()
		p.Components = k
		m, err := Fit(columns(train), features, p)
		if err != nil {
			t.Fatal(err)
		}
		checkShape(t, m, 5)
		if want := min(max(k, 0), 5); k != 0 && m.Components != want {
			t.Errorf("k=%d: %d components, want %d", k, m.Components, want)
		}
		if k == 0 && m.Components != 5 {
			t.Errorf("k=0: %d components, want all 5", m.Components)
		}
		if !slices.Equal(m.Features, features) {
			t.Errorf("features %v, want %v", m.Features, features)
		}
		if m.Clip != nil || m.Online != nil {
			t.Errorf("batch model has clip %v / online %v, want neither", m.Clip, m.Online)
		}
	}
	// The model owns its slices.
	m, err := Fit(columns(train), features, DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	features[0] = 99
	if m.Features[0] != 9 {
		t.Error("model shares the caller's features slice")
	}
}

// checkShape asserts the model's lengths and value ranges.
func checkShape(t *testing.T, m *model.Outlier, d int) {
	t.Helper()
	k := m.Components
	switch {
	case len(m.Features) != d:
		t.Fatalf("%d features, want %d", len(m.Features), d)
	case k < 1 || k > d:
		t.Fatalf("%d components for %d features", k, d)
	case len(m.Mean) != d || len(m.Scale) != d:
		t.Fatalf("%d means, %d scales, want %d", len(m.Mean), len(m.Scale), d)
	case len(m.Projection) != d*k:
		t.Fatalf("projection has %d values, want %d", len(m.Projection), d*k)
	case len(m.InvCov) != k*k:
		t.Fatalf("inv_cov has %d values, want %d", len(m.InvCov), k*k)
	case !finite(m.Threshold):
		t.Fatalf("threshold %v", m.Threshold)
	}
	for _, s := range [][]float64{m.Mean, m.Scale, m.Projection, m.InvCov} {
		for _, v := range s {
			if !finite(v) {
				t.Fatalf("non-finite value %v in model", v)
			}
		}
	}
	for j, s := range m.Scale {
		if !(s > 0) {
			t.Fatalf("scale[%d] = %v", j, s)
		}
	}
	if m.Online != nil && len(m.Online.Cov) != d*d {
		t.Fatalf("online cov has %d values, want %d", len(m.Online.Cov), d*d)
	}
}

func TestFitDegenerateColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	base := gaussian(rng, 1000, 3)
	tests := map[string]func(r []float64) []float64{
		"constant column":    func(r []float64) []float64 { return append(slices.Clone(r), 5) },
		"duplicate column":   func(r []float64) []float64 { return append(slices.Clone(r), r[1]) },
		"linear combination": func(r []float64) []float64 { return append(slices.Clone(r), r[0]+2*r[2]) },
		"missing column":     func(r []float64) []float64 { return append(slices.Clone(r), math.NaN()) },
		"tiny variance":      func(r []float64) []float64 { return append(slices.Clone(r), 1e6+1e-12*r[0]) },
	}
	for name, extend := range tests {
		t.Run(name, func(t *testing.T) {
			rows := make([][]float64, len(base))
			for i, r := range base {
				rows[i] = extend(r)
			}
			m, err := Fit(columns(rows), identity(4), DefaultParams())
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, m, 4)
			probe := rand.New(rand.NewPCG(5, 5))
			for range 200 {
				r := f32(base[probe.IntN(len(base))])
				r = append(r, float32(probe.NormFloat64()*1e3))
				if s := m.Score(r); math.IsNaN(s) || math.IsInf(s, 0) || s < -1e-9 {
					t.Fatalf("score %v for %v", s, r)
				}
			}
		})
	}
}

func TestFitConstantColumnIgnored(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	rows := gaussian(rng, 500, 3)
	for _, r := range rows {
		r[1] = 42
	}
	m, err := Fit(columns(rows), identity(3), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if m.Scale[1] != 1 {
		t.Errorf("constant column scale %v, want 1", m.Scale[1])
	}
	for c := 0; c < m.Components; c++ {
		if v := m.Projection[1*m.Components+c]; v != 0 {
			t.Errorf("constant column projects with weight %v", v)
		}
	}
	row := f32(rows[0])
	before := m.Score(row)
	row[1] = -1e30
	if after := m.Score(row); after != before {
		t.Errorf("constant column changed the score from %v to %v", before, after)
	}
}

func TestFitMissingAndInfinite(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	rows := gaussian(rng, 2000, 4)
	for i := 0; i < len(rows); i += 10 {
		rows[i][i%4] = math.NaN()
	}
	rows[3][2] = math.Inf(1)
	rows[5][0] = math.Inf(-1)
	m, err := Fit(columns(rows), identity(4), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, m, 4)
	for _, r := range rows {
		if s := m.Score(f32(r)); math.IsNaN(s) || math.IsInf(s, 0) {
			t.Fatalf("score %v for %v", s, r)
		}
	}
}

func TestFitThresholdRules(t *testing.T) {
	train, _, _ := planted(9, 5, 4000, 0, 0)
	cols := columns(train)
	trainScores := func(m *model.Outlier) []float64 {
		s := make([]float64, len(train))
		for i, r := range train {
			s[i] = m.Score(f32(r))
		}
		return s
	}
	tests := map[string]struct {
		p     func(p *Params)
		check func(t *testing.T, m *model.Outlier, scores []float64)
	}{
		"quantile": {
			p: func(p *Params) { p.ThresholdQuantile = 0.9 },
			check: func(t *testing.T, m *model.Outlier, scores []float64) {
				above := 0
				for _, s := range scores {
					if s > m.Threshold {
						above++
					}
				}
				if frac := float64(above) / float64(len(scores)); math.Abs(frac-0.1) > 0.001 {
					t.Errorf("%.4f of training rows above the 0.9 quantile", frac)
				}
			},
		},
		"stdev": {
			p: func(p *Params) { p.ThresholdQuantile, p.ThresholdStdev = 0, 2 },
			check: func(t *testing.T, m *model.Outlier, scores []float64) {
				mean, std := stat.PopMeanStdDev(scores, nil)
				if want := mean + 2*std; math.Abs(m.Threshold-want) > 1e-9*want {
					t.Errorf("threshold %v, want mean+2·std = %v", m.Threshold, want)
				}
			},
		},
		"explicit": {
			p: func(p *Params) { p.ThresholdQuantile, p.Threshold = 0, 7.5 },
			check: func(t *testing.T, m *model.Outlier, _ []float64) {
				if m.Threshold != 7.5 {
					t.Errorf("threshold %v, want 7.5", m.Threshold)
				}
			},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := DefaultParams()
			p.ThresholdFolds = 0 // the rules on the training scores themselves
			tc.p(&p)
			m, err := Fit(cols, identity(5), p)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m, trainScores(m))
		})
	}
}

// A threshold set on cross-validated scores flags about its share of
// benign rows the detector never saw; one set on the training scores
// flags more, because the fit is tuned to the rows it scores. With 30
// inputs and 400 rows the difference is large.
func TestFitThresholdFolds(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	const d = 30
	train, fresh := gaussian(rng, 400, d), gaussian(rng, 20000, d)
	falseAlarms := func(folds int) float64 {
		p := DefaultParams()
		p.Log1p, p.ThresholdFolds = Log1pNone, folds
		m, err := Fit(columns(train), identity(d), p)
		if err != nil {
			t.Fatal(err)
		}
		above := 0
		for _, r := range fresh {
			if m.Score(f32(r)) > m.Threshold {
				above++
			}
		}
		return float64(above) / float64(len(fresh))
	}
	inSample, cv := falseAlarms(0), falseAlarms(5)
	t.Logf("unseen benign rows above the 0.99 threshold: %.4f set on training scores, %.4f on 5-fold scores", inSample, cv)
	if !(cv < 0.025 && inSample > 2*cv) {
		t.Errorf("false alarms on unseen rows: %.4f with folds, %.4f without; want the folds near 0.01 and well below", cv, inSample)
	}
}

func TestFitErrors(t *testing.T) {
	good := columns(gaussian(rand.New(rand.NewPCG(1, 2)), 10, 2))
	tests := map[string]struct {
		cols     [][]float32
		features []int32
		p        func(p *Params)
		want     error
	}{
		"no columns":          {cols: nil, features: nil, want: ErrShape},
		"features mismatch":   {cols: good, features: []int32{0}, want: ErrShape},
		"ragged":              {cols: [][]float32{good[0], good[1][:5]}, features: identity(2), want: ErrShape},
		"negative feature":    {cols: good, features: []int32{0, -1}, want: ErrShape},
		"duplicate feature":   {cols: good, features: []int32{3, 3}, want: ErrShape},
		"one row":             {cols: [][]float32{{1}, {2}}, features: identity(2), want: ErrEmpty},
		"all constant":        {cols: [][]float32{{1, 1, 1}, {2, 2, 2}}, features: identity(2), want: ErrConstant},
		"all missing":         {cols: [][]float32{{float32(math.NaN()), float32(math.NaN())}}, features: identity(1), want: ErrConstant},
		"negative components": {cols: good, features: identity(2), p: func(p *Params) { p.Components = -1 }, want: ErrParams},
		"quantile above 1":    {cols: good, features: identity(2), p: func(p *Params) { p.ThresholdQuantile = 1.5 }, want: ErrParams},
		"two rules":           {cols: good, features: identity(2), p: func(p *Params) { p.ThresholdStdev = 3 }, want: ErrParams},
		"no rule":             {cols: good, features: identity(2), p: func(p *Params) { p.ThresholdQuantile = 0 }, want: ErrParams},
		"NaN threshold":       {cols: good, features: identity(2), p: func(p *Params) { p.ThresholdQuantile, p.Threshold = 0, math.NaN() }, want: ErrParams},
		"unknown log1p rule":  {cols: good, features: identity(2), p: func(p *Params) { p.Log1p = "some" }, want: ErrParams},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := DefaultParams()
			if tc.p != nil {
				tc.p(&p)
			}
			m, err := Fit(tc.cols, tc.features, p)
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var e *Error
			if !errors.As(err, &e) || e.Op != "fit" {
				t.Errorf("error %v is not an *Error for op fit", err)
			}
			if m != nil {
				t.Error("model returned with an error")
			}
		})
	}
}
