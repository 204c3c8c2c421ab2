package outlier

import (
	"math"
	"slices"

	"github.com/flowsense/flowsense/model"
)

// Online is alibi-detect's online Mahalanobis detector (class Mahalanobis
// in alibi_detect/od/mahalanobis.py, the same algorithm as Seldon's
// CoreMahalanobis): every batch it scores first updates the running mean
// and covariance, clipping the rows that update them once clipping has
// started. See doc.go for the equations.
//
// Rows are in input units. The detector works on z = (x - offset) / scale
// for a fixed offset and scale given to NewOnlineScaled (zero and one for
// NewOnline), so that Model can export it for raw schema rows.
//
// An Online is not safe for concurrent use.
type Online struct {
	p             Params
	d, k          int
	offset, scale []float64 // input standardisation, fixed
	mean          []float64 // running mean of z (d)
	cov           []float64 // running covariance of z (d×d row-major)
	n             int64     // rows seen
	lo, hi        []float64 // clipping bounds in z units, valid when clipping()
	threshold     float64
	hasThreshold  bool
}

// NewOnline returns an online detector for rows of d inputs, used as they
// come (no standardisation). p.Threshold, when set, is the starting
// threshold; the batch threshold rules are ignored.
func NewOnline(d int, p Params) (*Online, error) {
	if d < 1 {
		return nil, errorf("new", ErrShape, "%d inputs, want >= 1", d)
	}
	offset := make([]float64, d)
	scale := make([]float64, d)
	for j := range scale {
		scale[j] = 1
	}
	return NewOnlineScaled(offset, scale, p)
}

// NewOnlineScaled returns an online detector that standardises each row as
// (x - mean) / scale before anything else, as alibi-detect's KDD Cup
// example does by hand with the benign rows' mean and standard deviation.
// scale must be positive.
func NewOnlineScaled(mean, scale []float64, p Params) (*Online, error) {
	const op = "new"
	if err := p.validate(op); err != nil {
		return nil, err
	}
	d := len(mean)
	if d < 1 || len(scale) != d {
		return nil, errorf(op, ErrShape, "%d means and %d scales", d, len(scale))
	}
	for j := range mean {
		if !finite(mean[j]) {
			return nil, errorf(op, ErrParams, "mean[%d] is %v", j, mean[j])
		}
		if !(scale[j] > 0) || math.IsInf(scale[j], 0) {
			return nil, errorf(op, ErrParams, "scale[%d] is %v, want finite > 0", j, scale[j])
		}
	}
	o := &Online{
		p:      p,
		d:      d,
		k:      p.components(d),
		offset: slices.Clone(mean),
		scale:  slices.Clone(scale),
		mean:   make([]float64, d),
		cov:    make([]float64, d*d),
		lo:     make([]float64, d),
		hi:     make([]float64, d),
	}
	if p.Threshold > 0 {
		o.threshold, o.hasThreshold = p.Threshold, true
	}
	return o, nil
}

// Resume rebuilds an online detector from a model exported by Model, so a
// host can go on updating it. m.Online must be set. Params.MaxN is not in
// the IR and is 0 in the resumed detector.
func Resume(m *model.Outlier) (*Online, error) {
	const op = "resume"
	if m == nil || m.Online == nil {
		return nil, errorf(op, ErrModel, "no online state")
	}
	d := len(m.Features)
	st := m.Online
	switch {
	case d == 0:
		return nil, errorf(op, ErrModel, "no features")
	case len(m.Mean) != d || len(m.Scale) != d:
		return nil, errorf(op, ErrModel, "%d means and %d scales for %d features", len(m.Mean), len(m.Scale), d)
	case len(st.Cov) != d*d:
		return nil, errorf(op, ErrModel, "%d covariance values for %d features", len(st.Cov), d)
	case m.Components < 1 || m.Components > d:
		return nil, errorf(op, ErrModel, "%d components for %d features", m.Components, d)
	case st.Seen < 0:
		return nil, errorf(op, ErrModel, "seen %d", st.Seen)
	case m.Threshold < 0 || !finite(m.Threshold):
		return nil, errorf(op, ErrModel, "threshold %v", m.Threshold)
	}
	for i, v := range st.Cov {
		if !finite(v) {
			return nil, errorf(op, ErrModel, "cov[%d] is %v", i, v)
		}
	}
	p := Params{Components: m.Components, NStdev: st.NStdev, StartClip: st.StartClip}
	o, err := NewOnlineScaled(m.Mean, m.Scale, p)
	if err != nil {
		return nil, errorf(op, ErrModel, "%w", err)
	}
	// The running mean is the offset itself: z is centred on it.
	copy(o.cov, st.Cov)
	o.n = st.Seen
	o.hasThreshold = true
	o.threshold = m.Threshold
	o.setClip()
	return o, nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Seen is the number of rows the detector has updated on.
func (o *Online) Seen() int64 { return o.n }

// Threshold returns the current threshold and whether one is set.
func (o *Online) Threshold() (float64, bool) { return o.threshold, o.hasThreshold }

// SetThreshold sets the threshold Predict compares scores with.
func (o *Online) SetThreshold(t float64) { o.threshold, o.hasThreshold = t, true }

// Clipping reports whether the next batch will be clipped: more than
// StartClip rows have been seen.
func (o *Online) Clipping() bool { return o.n > int64(o.p.StartClip) }

// setClip recomputes the clipping bounds mean ± NStdev·sqrt(diag cov) once
// more than StartClip rows have been seen.
func (o *Online) setClip() {
	if !o.Clipping() {
		return
	}
	for j := 0; j < o.d; j++ {
		s := o.p.NStdev * math.Sqrt(max(o.cov[j*o.d+j], 0))
		o.lo[j], o.hi[j] = o.mean[j]-s, o.mean[j]+s
	}
}

// Score updates the detector with rows, then returns their outlier scores,
// exactly as alibi-detect's Mahalanobis.score does (doc.go gives the
// equations). Rows are in input units, each of the detector's width; NaN
// counts as the running mean and ±Inf as ±math.MaxFloat32, as in the IR.
// An empty batch changes nothing. On error the detector is unchanged.
func (o *Online) Score(rows [][]float64) ([]float64, error) {
	return o.score("score", rows)
}

func (o *Online) score(op string, rows [][]float64) ([]float64, error) {
	d, k := o.d, o.k
	nb := len(rows)
	for i, r := range rows {
		if len(r) != d {
			return nil, errorf(op, ErrShape, "row %d has %d values, want %d", i, len(r), d)
		}
	}
	if nb == 0 {
		return []float64{}, nil
	}
	nf := float64(o.n)
	if o.p.MaxN > 0 && o.n > o.p.MaxN {
		nf = float64(o.p.MaxN)
	}
	clip := o.Clipping()

	// z holds the standardised rows, zc the clipped ones.
	z := make([]float64, nb*d)
	zc := make([]float64, nb*d)
	for i, r := range rows {
		zi, zci := z[i*d:i*d+d], zc[i*d:i*d+d]
		for j, x := range r {
			v := o.mean[j]
			if !math.IsNaN(x) {
				v = (clampFloat32(x) - o.offset[j]) / o.scale[j]
			}
			zi[j] = v
			if clip {
				v = min(max(v, o.lo[j]), o.hi[j])
			}
			zci[j] = v
		}
	}

	// Pass 1: running means m_i (before row i) and the new covariance.
	//   m_{i+1} = m_i + (zc_i - m_i) / (n + i + 1)
	//   B = Σ_i (n+i)/(n+i+1) (zc_i - m_i)(zc_i - m_i)ᵀ
	//   C' = ((n-1) C + B) / (n + max(1, nb-1))
	means := make([]float64, (nb+1)*d) // means[i] is m_i; means[nb] the final mean
	copy(means, o.mean)
	sumB := make([]float64, d*d)
	diff := make([]float64, d)
	for i := 0; i < nb; i++ {
		mi, mnext := means[i*d:i*d+d], means[(i+1)*d:(i+1)*d+d]
		cnt := nf + float64(i)
		w := cnt / (cnt + 1)
		for j := range diff {
			diff[j] = zc[i*d+j] - mi[j]
			mnext[j] = mi[j] + diff[j]/(cnt+1)
		}
		for a, da := range diff {
			if da == 0 {
				continue
			}
			row := sumB[a*d : a*d+d]
			wa := w * da
			for b := a; b < d; b++ {
				row[b] += wa * diff[b]
			}
		}
	}
	den := nf + max(1, float64(nb)-1)
	newCov := make([]float64, d*d)
	for a := 0; a < d; a++ {
		for b := a; b < d; b++ {
			v := (nf-1)/den*o.cov[a*d+b] + sumB[a*d+b]/den
			newCov[a*d+b], newCov[b*d+a] = v, v
		}
	}

	// PCA of the new covariance; projected old covariance.
	_, vecs, ok := topEigen(newCov, d, k)
	if !ok {
		return nil, errorf(op, ErrNumeric, "eigendecomposition of the updated covariance failed")
	}
	projCov := project(o.cov, vecs, d, k)

	// Pass 2: per-row inverse of the projected covariance of the rows
	// before it, by Sherman–Morrison from the first non-singular one.
	scores := make([]float64, nb)
	q := make([]float64, k)    // Vᵀ(z_i - m_i): raw row, scored
	pc := make([]float64, k)   // Vᵀ(zc_i - m_i): clipped row, updates
	prev := make([]float64, k) // pc of the previous row
	wv := make([]float64, k)
	var cinv []float64
	var prevCoef float64
	for i := 0; i < nb; i++ {
		mi := means[i*d : i*d+d]
		for c := range q {
			q[c], pc[c] = 0, 0
		}
		for j := 0; j < d; j++ {
			dz, dc := z[i*d+j]-mi[j], zc[i*d+j]-mi[j]
			vj := vecs[j*k : j*k+k]
			for c := range q {
				q[c] += dz * vj[c]
				pc[c] += dc * vj[c]
			}
		}
		cnt := nf + float64(i)
		coef := 1 / (cnt + 1)
		switch {
		case cinv == nil && math.Abs(det(projCov, k)) > detEpsilon:
			if inv, ok := inverse(projCov, k); ok {
				cinv = inv
				scores[i] = quadForm(q, cinv)
			}
		case cinv == nil:
			if cnt != 0 {
				f := (cnt - 1) / cnt
				for a := 0; a < k; a++ {
					for b := 0; b < k; b++ {
						projCov[a*k+b] = f*projCov[a*k+b] + coef*pc[a]*pc[b]
					}
				}
			}
		default:
			// c = (n+i-1)/(n+i-2) C⁻¹_{i-1}; b = prevCoef·p pᵀ;
			// C⁻¹_i = c - c b c / (1 + tr(b c)).
			f := 1.0
			if cnt-2 > 0 {
				f = (cnt - 1) / (cnt - 2)
			}
			for a := range cinv {
				cinv[a] *= f
			}
			var t float64
			for a := 0; a < k; a++ {
				var s float64
				for b := 0; b < k; b++ {
					s += cinv[a*k+b] * prev[b]
				}
				wv[a] = s
				t += prev[a] * s
			}
			g := prevCoef / (1 + prevCoef*t)
			for a := 0; a < k; a++ {
				for b := 0; b < k; b++ {
					cinv[a*k+b] -= g * wv[a] * wv[b]
				}
			}
			scores[i] = quadForm(q, cinv)
		}
		copy(prev, pc)
		prevCoef = coef
	}
	for i, s := range scores {
		if !finite(s) {
			return nil, errorf(op, ErrNumeric, "score of row %d is %v", i, s)
		}
	}

	copy(o.mean, means[nb*d:])
	o.cov = newCov
	o.n += int64(nb)
	o.setClip()
	return scores, nil
}

// InferThreshold scores rows (updating the detector, as alibi-detect does)
// and sets the threshold to the given percentile, in [0, 100], of their
// scores: the share of rows taken as normal.
func (o *Online) InferThreshold(rows [][]float64, percent float64) error {
	const op = "infer"
	if !(percent >= 0 && percent <= 100) {
		return errorf(op, ErrParams, "percentile %v, want in [0, 100]", percent)
	}
	if len(rows) == 0 {
		return errorf(op, ErrEmpty, "no rows")
	}
	scores, err := o.score(op, rows)
	if err != nil {
		return err
	}
	o.SetThreshold(percentile(scores, percent))
	return nil
}

// Predict scores rows (updating the detector) and flags those whose score
// is above the threshold.
func (o *Online) Predict(rows [][]float64) (outlier []bool, scores []float64, err error) {
	const op = "predict"
	if !o.hasThreshold {
		return nil, nil, errorf(op, ErrNoThreshold, "set one or call InferThreshold")
	}
	scores, err = o.score(op, rows)
	if err != nil {
		return nil, nil, err
	}
	outlier = make([]bool, len(scores))
	for i, s := range scores {
		outlier[i] = s > o.threshold
	}
	return outlier, scores, nil
}

// Model exports the detector's current state as the IR's detector, reading
// schema row positions features (one per input). Its static score is
// alibi-detect's score of a next one-row batch with the principal axes of
// the current covariance: Mean is the running mean in input units, Scale
// the fixed standardisation, Projection the top Components eigenvectors of
// the covariance and InvCov the inverse of the projected covariance. Clip
// is nil: alibi-detect clips the rows that update, never the rows it
// scores; the clipping bounds follow from Online (Mean ± NStdev·Scale·
// sqrt(diag Cov) once Seen > StartClip).
func (o *Online) Model(features []int32) (*model.Outlier, error) {
	const op = "model"
	if len(features) != o.d {
		return nil, errorf(op, ErrShape, "%d features for %d inputs", len(features), o.d)
	}
	if !o.hasThreshold {
		return nil, errorf(op, ErrNoThreshold, "set one or call InferThreshold")
	}
	d, k := o.d, o.k
	vals, vecs, ok := topEigen(o.cov, d, k)
	if !ok {
		return nil, errorf(op, ErrNumeric, "eigendecomposition of the covariance failed")
	}
	prod := 1.0
	for _, v := range vals {
		prod *= v
	}
	if !(prod > detEpsilon) {
		return nil, errorf(op, ErrNotReady, "projected covariance is singular after %d rows", o.n)
	}
	inv := make([]float64, k*k)
	for c, v := range vals {
		inv[c*k+c] = 1 / v
	}
	mean := make([]float64, d)
	for j := range mean {
		mean[j] = o.offset[j] + o.scale[j]*o.mean[j]
	}
	return &model.Outlier{
		Features:   slices.Clone(features),
		Mean:       mean,
		Scale:      slices.Clone(o.scale),
		Components: k,
		Projection: vecs,
		InvCov:     inv,
		Threshold:  o.threshold,
		Online: &model.OnlineState{
			NStdev:    o.p.NStdev,
			StartClip: o.p.StartClip,
			Seen:      o.n,
			Cov:       slices.Clone(o.cov),
		},
	}, nil
}
