package outlier

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/stat"
)

// batches splits rows into consecutive batches of the given sizes.
func batches(rows [][]float64, sizes ...int) [][][]float64 {
	var out [][][]float64
	for _, s := range sizes {
		out = append(out, rows[:s])
		rows = rows[s:]
	}
	return out
}

func TestOnlineMatchesBatchStatistics(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(11, 0)), 1000, 5)
	tests := map[string][]int{
		"one batch":      {1000},
		"equal batches":  {250, 250, 250, 250},
		"uneven batches": {2, 3, 500, 95, 400},
	}
	for name, sizes := range tests {
		t.Run(name, func(t *testing.T) {
			p := Params{Components: 2, NStdev: 3, StartClip: 1 << 30} // never clips
			o, err := NewOnline(5, p)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range batches(rows, sizes...) {
				if _, err := o.Score(b); err != nil {
					t.Fatal(err)
				}
			}
			x := mat.NewDense(len(rows), 5, nil)
			for i, r := range rows {
				x.SetRow(i, r)
			}
			var cov mat.SymDense
			stat.CovarianceMatrix(&cov, x, nil) // unbiased, as alibi's
			for j := 0; j < 5; j++ {
				want := stat.Mean(mat.Col(nil, j, x), nil)
				if math.Abs(o.mean[j]-want) > 1e-9*max(1, math.Abs(want)) {
					t.Errorf("mean[%d] = %v, want %v", j, o.mean[j], want)
				}
				for l := 0; l < 5; l++ {
					want := cov.At(j, l)
					if got := o.cov[j*5+l]; math.Abs(got-want) > 1e-9*max(1, math.Abs(want)) {
						t.Errorf("cov[%d,%d] = %v, want %v", j, l, got, want)
					}
				}
			}
			if o.Seen() != 1000 {
				t.Errorf("seen %d, want 1000", o.Seen())
			}
		})
	}
}

// alibiOracle recomputes alibi-detect's scores by brute force: for each row
// the mean and unbiased covariance of every clipped row before it, projected
// on the top principal axes of the covariance after the whole batch, with a
// direct inverse instead of Sherman–Morrison updates. Batches must have at
// least two rows (alibi's covariance is the unbiased one only then).
type alibiOracle struct {
	d, k      int
	nstdev    float64
	startClip int
	history   [][]float64 // clipped rows seen
}

func meanCov(rows [][]float64, d int) ([]float64, []float64) {
	mean := make([]float64, d)
	cov := make([]float64, d*d)
	if len(rows) == 0 {
		return mean, cov
	}
	for _, r := range rows {
		for j, v := range r {
			mean[j] += v / float64(len(rows))
		}
	}
	if len(rows) < 2 {
		return mean, cov
	}
	for _, r := range rows {
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				cov[a*d+b] += (r[a] - mean[a]) * (r[b] - mean[b]) / float64(len(rows)-1)
			}
		}
	}
	return mean, cov
}

func (or *alibiOracle) score(batch [][]float64) []float64 {
	d, k := or.d, or.k
	clipped := make([][]float64, len(batch))
	n := len(or.history)
	m0, c0 := meanCov(or.history, d)
	for i, r := range batch {
		clipped[i] = slices.Clone(r)
		if n > or.startClip {
			for j := range r {
				s := or.nstdev * math.Sqrt(c0[j*d+j])
				clipped[i][j] = min(max(r[j], m0[j]-s), m0[j]+s)
			}
		}
	}
	all := append(slices.Clone(or.history), clipped...)
	_, cAfter := meanCov(all, d)
	_, vecs, _ := topEigen(cAfter, d, k)
	scores := make([]float64, len(batch))
	started := false
	for i, r := range batch {
		m, c := meanCov(all[:n+i], d)
		pc := project(c, vecs, d, k)
		if !started && math.Abs(det(pc, k)) <= detEpsilon {
			continue
		}
		started = true
		inv, _ := inverse(pc, k)
		q := make([]float64, k)
		for j := 0; j < d; j++ {
			for c := 0; c < k; c++ {
				q[c] += (r[j] - m[j]) * vecs[j*k+c]
			}
		}
		scores[i] = quadForm(q, inv)
	}
	or.history = all
	return scores
}

func TestOnlineScoreMatchesBruteForce(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(12, 0)), 700, 4)
	// A few gross outliers, so that clipping bites.
	for _, i := range []int{130, 301, 302, 555} {
		rows[i][i%4] *= 50
	}
	tests := map[string]struct {
		p     Params
		sizes []int
	}{
		"alibi kdd settings":  {Params{Components: 2, NStdev: 3, StartClip: 20}, []int{100, 200, 400}},
		"clip from the start": {Params{Components: 3, NStdev: 2, StartClip: 0}, []int{10, 90, 600}},
		"never clip":          {Params{Components: 1, NStdev: 3, StartClip: 10000}, []int{50, 650}},
		"all components":      {Params{Components: 0, NStdev: 1.5, StartClip: 5}, []int{3, 97, 300, 300}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := NewOnline(4, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			or := &alibiOracle{d: 4, k: tc.p.components(4), nstdev: tc.p.NStdev, startClip: tc.p.StartClip}
			for bi, b := range batches(rows, tc.sizes...) {
				got, err := o.Score(b)
				if err != nil {
					t.Fatal(err)
				}
				want := or.score(b)
				for i := range got {
					if math.Abs(got[i]-want[i]) > 1e-6*max(1, math.Abs(want[i])) {
						t.Fatalf("batch %d row %d: score %v, brute force %v", bi, i, got[i], want[i])
					}
				}
			}
		})
	}
}

func TestOnlineClippingStartsAfterStartClip(t *testing.T) {
	const startClip = 6
	p := Params{Components: 1, NStdev: 2, StartClip: startClip}
	o, err := NewOnline(1, p)
	if err != nil {
		t.Fatal(err)
	}
	// Rows one at a time; clipping applies to a row when more than
	// startClip rows came before it.
	for i := 0; i <= startClip; i++ {
		if o.Clipping() {
			t.Fatalf("clipping after %d rows, want only after more than %d", o.Seen(), startClip)
		}
		if _, err := o.Score([][]float64{{float64(i % 3)}}); err != nil {
			t.Fatal(err)
		}
	}
	if !o.Clipping() {
		t.Fatalf("no clipping after %d rows", o.Seen())
	}
	n := float64(o.Seen())
	mean, sd := o.mean[0], math.Sqrt(o.cov[0])
	if _, err := o.Score([][]float64{{1e6}}); err != nil {
		t.Fatal(err)
	}
	// The huge row entered the mean as mean + NStdev·sd, not as 1e6.
	want := mean + (mean+2*sd-mean)/(n+1)
	if math.Abs(o.mean[0]-want) > 1e-12 {
		t.Errorf("mean after a clipped row %v, want %v", o.mean[0], want)
	}

	// Without enough history, the same row is not clipped.
	o2, _ := NewOnline(1, p)
	for i := 0; i < startClip; i++ {
		o2.Score([][]float64{{float64(i % 3)}})
	}
	before := o2.mean[0]
	o2.Score([][]float64{{1e6}})
	if want := before + (1e6-before)/float64(startClip+1); math.Abs(o2.mean[0]-want) > 1e-6 {
		t.Errorf("unclipped mean %v, want %v", o2.mean[0], want)
	}
}

func TestOnlineScoresRawRowsButUpdatesWithClipped(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(13, 0)), 300, 3)
	o, _ := NewOnline(3, Params{Components: 3, NStdev: 3, StartClip: 0})
	o.Score(rows[:299])
	far := []float64{rows[0][0] * 1e3, rows[0][1], rows[0][2]}
	near := slices.Clone(far)
	lo, hi := o.lo[0], o.hi[0]
	near[0] = min(max(far[0], lo), hi)
	a := *o
	a.mean, a.cov = slices.Clone(o.mean), slices.Clone(o.cov)
	a.lo, a.hi = slices.Clone(o.lo), slices.Clone(o.hi)
	sFar, _ := o.Score([][]float64{far})
	sNear, _ := a.Score([][]float64{near})
	if !(sFar[0] > sNear[0]) {
		t.Errorf("raw far row scored %v, its clipped twin %v: want the raw row scored", sFar[0], sNear[0])
	}
	for j := range o.mean {
		if math.Abs(o.mean[j]-a.mean[j]) > 1e-12 {
			t.Errorf("mean[%d]: %v updating with the far row, %v with its clipped twin", j, o.mean[j], a.mean[j])
		}
	}
}

func TestOnlineInferThresholdAndPredict(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(14, 0)), 2000, 3)
	p := Params{Components: 2, NStdev: 3, StartClip: 20}
	a, _ := NewOnline(3, p)
	b, _ := NewOnline(3, p)
	if _, _, err := a.Predict(rows[:10]); !errors.Is(err, ErrNoThreshold) {
		t.Fatalf("predict without threshold: %v, want ErrNoThreshold", err)
	}
	if err := a.InferThreshold(rows[:1000], 90); err != nil {
		t.Fatal(err)
	}
	scores, _ := b.Score(rows[:1000])
	thr, ok := a.Threshold()
	if want := percentile(slices.Clone(scores), 90); !ok || thr != want {
		t.Fatalf("threshold %v (set %v), want the 90th percentile %v", thr, ok, want)
	}
	if a.Seen() != 1000 {
		t.Errorf("InferThreshold did not update: seen %d", a.Seen())
	}
	flags, got, err := a.Predict(rows[1000:])
	if err != nil {
		t.Fatal(err)
	}
	b.SetThreshold(thr)
	want, _ := b.Score(rows[1000:])
	for i := range flags {
		if got[i] != want[i] || flags[i] != (got[i] > thr) {
			t.Fatalf("row %d: score %v flag %v, want %v > %v", i, got[i], flags[i], want[i], thr)
		}
	}
}

func TestOnlineResume(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(15, 0)), 1500, 4)
	mean := []float64{1, 100, 200, 300}
	scale := []float64{0.5, 2, 10, 1000}
	p := Params{Components: 2, NStdev: 3, StartClip: 50}
	a, err := NewOnlineScaled(mean, scale, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.InferThreshold(rows[:500], 95); err != nil {
		t.Fatal(err)
	}
	a.Score(rows[500:1000])
	m, err := a.Model([]int32{3, 0, 1, 2})
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, m, 4)
	if m.Online == nil || m.Online.Seen != 1000 || m.Online.StartClip != 50 || m.Online.NStdev != 3 {
		t.Fatalf("online state %+v", m.Online)
	}
	b, err := Resume(m)
	if err != nil {
		t.Fatal(err)
	}
	if b.Clipping() != a.Clipping() || b.Seen() != a.Seen() {
		t.Fatalf("resumed clipping %v seen %d, want %v %d", b.Clipping(), b.Seen(), a.Clipping(), a.Seen())
	}
	fa, sa, err := a.Predict(rows[1000:])
	if err != nil {
		t.Fatal(err)
	}
	fb, sb, err := b.Predict(rows[1000:])
	if err != nil {
		t.Fatal(err)
	}
	for i := range sa {
		if math.Abs(sa[i]-sb[i]) > 1e-8*max(1, sa[i]) || fa[i] != fb[i] {
			t.Fatalf("row %d: resumed score %v flag %v, original %v %v", i, sb[i], fb[i], sa[i], fa[i])
		}
	}
}

func TestOnlineModelScoresMatchOracle(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(16, 0)), 1200, 4)
	mean := []float64{0, 100, 200, 300}
	scale := []float64{1, 0.1, 10, 100}
	o, _ := NewOnlineScaled(mean, scale, Params{Components: 0, NStdev: 3, StartClip: 1 << 30})
	o.SetThreshold(10)
	o.Score(rows[:1000])
	m, err := o.Model(identity(4))
	if err != nil {
		t.Fatal(err)
	}
	// Oracle: full Mahalanobis distance of the raw row from the raw rows'
	// mean under their unbiased covariance (no clipping happened).
	x := mat.NewDense(1000, 4, nil)
	for i, r := range rows[:1000] {
		x.SetRow(i, r)
	}
	var cov mat.SymDense
	stat.CovarianceMatrix(&cov, x, nil)
	var inv mat.Dense
	if err := inv.Inverse(&cov); err != nil {
		t.Fatal(err)
	}
	mu := make([]float64, 4)
	for j := range mu {
		mu[j] = stat.Mean(mat.Col(nil, j, x), nil)
	}
	rng := rand.New(rand.NewPCG(17, 0))
	for _, r := range rows[1000:] {
		r = slices.Clone(r)
		r[rng.IntN(4)] *= 1 + rng.Float64()
		u := mat.NewVecDense(4, nil)
		for j := range r {
			u.SetVec(j, float64(float32(r[j]))-mu[j])
		}
		var w mat.VecDense
		w.MulVec(&inv, u)
		want := mat.Dot(u, &w)
		if got := m.Score(f32(r)); math.Abs(got-want) > 1e-6*max(1, want) {
			t.Fatalf("model score %v, oracle %v", got, want)
		}
	}
}

func TestOnlineBadInput(t *testing.T) {
	p := Params{Components: 2, NStdev: 3, StartClip: 5}
	o, _ := NewOnline(3, p)
	o.SetThreshold(5)
	rows := gaussian(rand.New(rand.NewPCG(18, 0)), 50, 3)
	rows[7][1] = math.NaN()
	rows[8][0] = math.Inf(1)
	rows[30][2] = math.Inf(-1)
	rows[31] = []float64{math.NaN(), math.NaN(), math.NaN()}
	for _, b := range batches(rows, 10, 40) {
		scores, err := o.Score(b)
		if err != nil {
			t.Fatal(err)
		}
		for i, s := range scores {
			if !finite(s) {
				t.Fatalf("row %d scored %v", i, s)
			}
		}
	}
	seen := o.Seen()
	if _, err := o.Score([][]float64{{1, 2, 3}, {1, 2}}); !errors.Is(err, ErrShape) {
		t.Errorf("ragged batch: %v, want ErrShape", err)
	}
	if o.Seen() != seen {
		t.Error("a rejected batch changed the detector")
	}
	if err := o.InferThreshold(nil, 95); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty threshold batch: %v, want ErrEmpty", err)
	}
	if err := o.InferThreshold(rows, 101); !errors.Is(err, ErrParams) {
		t.Errorf("percentile 101: %v, want ErrParams", err)
	}
	if s, err := o.Score(nil); err != nil || len(s) != 0 {
		t.Errorf("empty batch: %v %v", s, err)
	}
}

func TestOnlineConstructorErrors(t *testing.T) {
	good := Params{Components: 2, NStdev: 3, StartClip: 20}
	tests := map[string]struct {
		new  func() (*Online, error)
		want error
	}{
		"zero width":       {func() (*Online, error) { return NewOnline(0, good) }, ErrShape},
		"negative n_stdev": {func() (*Online, error) { return NewOnline(2, Params{NStdev: -1}) }, ErrParams},
		"negative start":   {func() (*Online, error) { return NewOnline(2, Params{StartClip: -1}) }, ErrParams},
		"scale mismatch":   {func() (*Online, error) { return NewOnlineScaled([]float64{0, 0}, []float64{1}, good) }, ErrShape},
		"zero scale":       {func() (*Online, error) { return NewOnlineScaled([]float64{0}, []float64{0}, good) }, ErrParams},
		"NaN mean":         {func() (*Online, error) { return NewOnlineScaled([]float64{math.NaN()}, []float64{1}, good) }, ErrParams},
		"resume nil":       {func() (*Online, error) { return Resume(nil) }, ErrModel},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			o, err := tc.new()
			if !errors.Is(err, tc.want) || o != nil {
				t.Fatalf("got %v, %v; want error %v", o, err, tc.want)
			}
		})
	}
}

func TestOnlineModelErrors(t *testing.T) {
	o, _ := NewOnline(2, Params{Components: 1, NStdev: 3, StartClip: 5})
	if _, err := o.Model(identity(2)); !errors.Is(err, ErrNoThreshold) {
		t.Errorf("no threshold: %v, want ErrNoThreshold", err)
	}
	o.SetThreshold(1)
	if _, err := o.Model(identity(2)); !errors.Is(err, ErrNotReady) {
		t.Errorf("nothing seen: %v, want ErrNotReady", err)
	}
	if _, err := o.Model(identity(3)); !errors.Is(err, ErrShape) {
		t.Errorf("3 features for 2 inputs: %v, want ErrShape", err)
	}
}

func TestOnlineMaxN(t *testing.T) {
	const maxN = 10
	o, _ := NewOnline(1, Params{Components: 1, NStdev: 3, StartClip: 1 << 30, MaxN: maxN})
	zeros := make([][]float64, 100)
	for i := range zeros {
		zeros[i] = []float64{float64(i%2) - 0.5}
	}
	if _, err := o.Score(zeros); err != nil {
		t.Fatal(err)
	}
	m0 := o.mean[0]
	if _, err := o.Score([][]float64{{10}, {10}}); err != nil {
		t.Fatal(err)
	}
	// With 100 rows seen the batch weighs as if only maxN had been.
	m1 := m0 + (10-m0)/(maxN+1)
	want := m1 + (10-m1)/(maxN+2)
	if math.Abs(o.mean[0]-want) > 1e-12 {
		t.Errorf("mean %v, want %v (history weighed as %d rows)", o.mean[0], want, maxN)
	}
	if o.Seen() != 102 {
		t.Errorf("seen %d, want 102", o.Seen())
	}
}

// With every component kept the principal axes do not matter, so the
// exported model's static score of a row is exactly alibi's score of that
// row as the next one-row batch.
func TestOnlineModelScoreIsNextRowScore(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(19, 0)), 600, 3)
	for i := range rows {
		rows[i] = []float64{float64(float32(rows[i][0])), float64(float32(rows[i][1])), float64(float32(rows[i][2]))}
	}
	o, _ := NewOnlineScaled([]float64{1, 2, 3}, []float64{2, 3, 4}, Params{Components: 0, NStdev: 3, StartClip: 20})
	if err := o.InferThreshold(rows[:500], 95); err != nil {
		t.Fatal(err)
	}
	m, err := o.Model(identity(3))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows[500:] {
		fresh, err := Resume(m)
		if err != nil {
			t.Fatal(err)
		}
		want, err := fresh.Score([][]float64{r})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.Score(f32(r)); math.Abs(got-want[0]) > 1e-9*max(1, want[0]) {
			t.Fatalf("model score %v, next-row online score %v", got, want[0])
		}
	}
}
