package outlier

import (
	"math"
	"math/rand/v2"

	"github.com/flowsense/flowsense/model"
)

// ridgeFraction regularises the batch covariance: every kept eigenvalue is
// raised by ridgeFraction times the mean eigenvalue, so a (near-)singular
// covariance still has a finite, bounded inverse.
const ridgeFraction = 1e-6

// minScale is the smallest standard deviation, relative to the column's
// magnitude, that counts as variation; below it a column is constant.
const minScale = 1e-9

// Fit fits the batch Mahalanobis detector on benign rows.
//
// cols holds the detector's inputs feature-major: cols[j][i] is input j of
// row i, and every column has the same length (at least 2 rows). features
// gives the schema index of each column, written to the model as Features.
// p.Components and one threshold rule are used; the online fields are
// ignored.
//
// Missing values (NaN) and infinities take no part in the mean and the
// scale and count as the mean in the covariance. A constant column gets
// Scale 1 and a zero row in Projection: it never changes a score. See
// doc.go for the formulas.
func Fit(cols [][]float32, features []int32, p Params) (*model.Outlier, error) {
	return fitSet(rowSet{cols: cols}, features, p)
}

// rowSet is a feature-major matrix seen through a row index: row i of the
// set is row idx[i] of cols, or row i when idx is nil. FitBenign fits the
// benign rows through one instead of copying them (at 10 million rows of
// CIC-IDS2017 width the copy was 2 GB), with the same values in the same
// order, so the same detector.
type rowSet struct {
	cols [][]float32
	idx  []int
}

func (s rowSet) rows() int {
	if s.idx == nil {
		return len(s.cols[0])
	}
	return len(s.idx)
}

// row is the index into cols of the set's row i.
func (s rowSet) row(i int) int {
	if s.idx == nil {
		return i
	}
	return s.idx[i]
}

// column returns column j of the set: cols[j] itself, or its rows gathered
// into buf (grown as needed) when the set is indexed.
func (s rowSet) column(j int, buf []float32) []float32 {
	if s.idx == nil {
		return s.cols[j]
	}
	buf = buf[:0]
	c := s.cols[j]
	for _, r := range s.idx {
		buf = append(buf, c[r])
	}
	return buf
}

// subset is the set's rows rows, in that order.
func (s rowSet) subset(rows []int) rowSet {
	idx := make([]int, len(rows))
	for k, i := range rows {
		idx[k] = s.row(i)
	}
	return rowSet{cols: s.cols, idx: idx}
}

// fitSet is Fit on a row set.
func fitSet(set rowSet, features []int32, p Params) (*model.Outlier, error) {
	const op = "fit"
	cols := set.cols
	if err := p.validate(op); err != nil {
		return nil, err
	}
	d := len(cols)
	if d == 0 {
		return nil, errorf(op, ErrShape, "no columns")
	}
	if len(features) != d {
		return nil, errorf(op, ErrShape, "%d features for %d columns", len(features), d)
	}
	seen := make(map[int32]bool, d)
	for j, f := range features {
		if f < 0 {
			return nil, errorf(op, ErrShape, "feature %d has negative index %d", j, f)
		}
		if seen[f] {
			return nil, errorf(op, ErrShape, "feature index %d appears twice", f)
		}
		seen[f] = true
	}
	for j, c := range cols {
		if len(c) != len(cols[0]) {
			return nil, errorf(op, ErrShape, "column %d has %d rows, column 0 has %d", j, len(c), len(cols[0]))
		}
	}
	if n := set.rows(); n < 2 {
		return nil, errorf(op, ErrEmpty, "%d rows, want at least 2", n)
	}

	return fit(set, features, p, log1pFlags(set, p.Log1p))
}

// fit is Fit with the log1p flags decided (the cross-validation folds
// keep the whole fit's).
func fit(set rowSet, features []int32, p Params, logs []bool) (*model.Outlier, error) {
	const op = "fit"
	cols := set.cols
	d, n := len(cols), set.rows()
	mean := make([]float64, d)
	scale := make([]float64, d)
	var live []int // non-constant columns
	var buf []float32
	for j := range cols {
		c := set.column(j, buf)
		buf = c
		mean[j], scale[j] = meanStd(c, logs[j])
		if scale[j] > 0 {
			live = append(live, j)
		} else {
			scale[j] = 1
		}
	}
	dl := len(live)
	if dl == 0 {
		return nil, errorf(op, ErrConstant, "%d columns", d)
	}

	// Covariance of the standardised live columns (a correlation matrix
	// when nothing is missing), accumulated row by row.
	cov := make([]float64, dl*dl)
	u := make([]float64, dl)
	for i := 0; i < n; i++ {
		r := set.row(i)
		for a, j := range live {
			u[a] = standardised(cols[j][r], logs[j], mean[j], scale[j])
		}
		for a, ua := range u {
			if ua == 0 {
				continue
			}
			row := cov[a*dl : a*dl+dl]
			for b := a; b < dl; b++ {
				row[b] += ua * u[b]
			}
		}
	}
	for a := 0; a < dl; a++ {
		for b := a; b < dl; b++ {
			v := cov[a*dl+b] / float64(n-1)
			cov[a*dl+b], cov[b*dl+a] = v, v
		}
	}

	k := p.components(dl)
	vals, vecs, ok := topEigen(cov, dl, k)
	if !ok {
		return nil, errorf(op, ErrNumeric, "eigendecomposition of the %d×%d covariance failed", dl, dl)
	}
	var trace float64
	for a := 0; a < dl; a++ {
		trace += cov[a*dl+a]
	}
	ridge := ridgeFraction * trace / float64(dl)
	inv := make([]float64, k*k)
	for c, v := range vals {
		inv[c*k+c] = 1 / (max(v, 0) + ridge)
	}
	proj := make([]float64, d*k)
	for a, j := range live {
		copy(proj[j*k:j*k+k], vecs[a*k:a*k+k])
	}

	o := &model.Outlier{
		Features:   append([]int32(nil), features...),
		Log1p:      irFlags(logs),
		Mean:       mean,
		Scale:      scale,
		Components: k,
		Projection: proj,
		InvCov:     inv,
	}
	o.Threshold = fitThreshold(o, set, p, logs)
	if math.IsNaN(o.Threshold) || math.IsInf(o.Threshold, 0) {
		return nil, errorf(op, ErrNumeric, "threshold %v", o.Threshold)
	}
	return o, nil
}

// input is the IR's view of a training value: float64, through the signed
// log1p when logp (model.Outlier.Score does the same).
func input(v float32, logp bool) float64 {
	x := float64(v)
	if logp {
		x = signedLog1p(x)
	}
	return x
}

// signedLog1p is sign(x)·ln(1+|x|), as model.Outlier.Score computes it.
func signedLog1p(x float64) float64 {
	if x < 0 {
		return -math.Log1p(-x)
	}
	return math.Log1p(x)
}

// meanStd returns the mean and population standard deviation of the finite
// values of c (through the signed log1p when logp), or a zero scale when c
// has fewer than two finite values or does not vary beyond rounding.
func meanStd(c []float32, logp bool) (mean, std float64) {
	var n int
	var sum float64
	for _, v := range c {
		if x := input(v, logp); !math.IsNaN(x) && !math.IsInf(x, 0) {
			n++
			sum += x
		}
	}
	if n == 0 {
		return 0, 0
	}
	mean = sum / float64(n)
	var ss float64
	for _, v := range c {
		if x := input(v, logp); !math.IsNaN(x) && !math.IsInf(x, 0) {
			ss += (x - mean) * (x - mean)
		}
	}
	std = math.Sqrt(ss / float64(n))
	if n < 2 || std <= minScale*max(1, math.Abs(mean)) {
		return mean, 0
	}
	return mean, std
}

// standardised is (v - mean) / scale, v through the signed log1p when
// logp, with non-finite v taken as the mean.
func standardised(v float32, logp bool, mean, scale float64) float64 {
	x := input(v, logp)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return (x - mean) / scale
}

// fitThreshold applies p's threshold rule to the training scores, which
// are computed by the reference scorer, model.Outlier.Score.
func fitThreshold(o *model.Outlier, set rowSet, p Params, logs []bool) float64 {
	if p.Threshold > 0 {
		return p.Threshold
	}
	scores := trainingScores(o, set)
	if cv := crossScores(set, o.Features, p, logs); cv != nil {
		scores = cv
	}
	if p.ThresholdStdev > 0 {
		var sum float64
		for _, s := range scores {
			sum += s
		}
		m := sum / float64(len(scores))
		var ss float64
		for _, s := range scores {
			ss += (s - m) * (s - m)
		}
		return m + p.ThresholdStdev*math.Sqrt(ss/float64(len(scores)))
	}
	return percentile(scores, 100*p.ThresholdQuantile)
}

// trainingScores scores every row of cols with o.Score, laying each row out
// in a scratch schema row at o.Features.
func trainingScores(o *model.Outlier, set rowSet) []float64 {
	width := 0
	for _, f := range o.Features {
		width = max(width, int(f)+1)
	}
	row := make([]float32, width)
	scores := make([]float64, set.rows())
	for i := range scores {
		r := set.row(i)
		for j, f := range o.Features {
			row[f] = set.cols[j][r]
		}
		scores[i] = o.Score(row)
	}
	return scores
}

// minFoldRows is the fewest rows a fold may hold for cross-validated
// threshold scores.
const minFoldRows = 20

// crossScores scores every row of cols with a detector fitted on the other
// folds (p.ThresholdFolds of them, rows dealt at random with a fixed seed),
// or returns nil when p asks for none or the rows are too few.
func crossScores(set rowSet, features []int32, p Params, logs []bool) []float64 {
	k := p.ThresholdFolds
	n := set.rows()
	if k < 2 || n < k*minFoldRows {
		return nil
	}
	fold := make([]int, n)
	for i := range fold {
		fold[i] = i % k
	}
	rng := rand.New(rand.NewPCG(0x6f75746c, 0x69657273))
	rng.Shuffle(n, func(i, j int) { fold[i], fold[j] = fold[j], fold[i] })
	q := p
	q.ThresholdFolds, q.ThresholdQuantile, q.ThresholdStdev, q.Threshold = 0, 0, 0, 1 // no threshold search inside
	scores := make([]float64, n)
	for f := range k {
		var train, held []int
		for i, g := range fold {
			if g == f {
				held = append(held, i)
			} else {
				train = append(train, i)
			}
		}
		o, err := fit(set.subset(train), features, q, logs)
		if err != nil { // a fold without variation: fall back to the training scores
			return nil
		}
		for r, s := range trainingScores(o, set.subset(held)) {
			scores[held[r]] = s
		}
	}
	return scores
}
