package model

import (
	"errors"
	"fmt"
	"math"
)

// Verdict is the one-word answer for a flow. Frozen, written by name.
type Verdict uint8

// Verdicts.
const (
	// Benign: a benign class, and not an outlier.
	Benign Verdict = iota
	// Malicious: an attack class.
	Malicious
	// Anomalous: a benign class whose outlier score exceeds the
	// detector's threshold: traffic unlike the benign traffic the model
	// was trained on, which no attack label covers.
	Anomalous
)

var verdictNames = [...]string{Benign: "benign", Malicious: "malicious", Anomalous: "anomalous"}

func (v Verdict) String() string {
	if int(v) < len(verdictNames) {
		return verdictNames[v]
	}
	return fmt.Sprintf("Verdict(%d)", v)
}

// MarshalText encodes the verdict by name.
func (v Verdict) MarshalText() ([]byte, error) {
	if int(v) >= len(verdictNames) {
		return nil, fmt.Errorf("model: invalid verdict %d", v)
	}
	return []byte(verdictNames[v]), nil
}

// ErrRowWidth is returned when a row does not have one value per feature.
var ErrRowWidth = errors.New("row width does not match the schema")

// Result is a prediction for one row. Probabilities is reused across calls
// when it has room, so a caller that keeps one Result predicts without
// allocating.
type Result struct {
	Class         int
	Probabilities []float64
	OutlierScore  float64
	Verdict       Verdict
	raw           []float64
	scratch       []float64 // Predictor's detector, for more than 128 components
}

// Probability is the probability of the predicted class.
func (r *Result) Probability() float64 { return r.Probabilities[r.Class] }

// Predict is the reference prediction for one row of len(m.Schema.Features)
// values in schema order: class probabilities, the predicted class (the
// first of the most probable), the outlier score (0 without a detector) and
// the verdict. The model must be valid (as Decode returns it).
func (m *Model) Predict(row []float32, r *Result) error {
	if len(row) != len(m.Schema.Features) {
		return fmt.Errorf("%w: got %d values, want %d", ErrRowWidth, len(row), len(m.Schema.Features))
	}
	r.raw = grow(r.raw, m.Ensemble.Outputs)
	r.Probabilities = grow(r.Probabilities, len(m.Classes))
	m.Ensemble.Raw(row, r.raw)
	m.Ensemble.Probabilities(r.raw, r.Probabilities)
	r.Class = argmax(r.Probabilities)
	r.OutlierScore = 0
	if m.Outlier != nil {
		r.OutlierScore = m.Outlier.Score(row)
	}
	r.Verdict = m.verdict(r.Class, r.OutlierScore)
	return nil
}

func (m *Model) verdict(class int, score float64) Verdict {
	for _, b := range m.Benign {
		if b == class {
			if m.Outlier != nil && score > m.Outlier.Threshold {
				return Anomalous
			}
			return Benign
		}
	}
	return Malicious
}

// IsBenign reports whether class index c is a benign class.
func (m *Model) IsBenign(c int) bool {
	for _, b := range m.Benign {
		if b == c {
			return true
		}
	}
	return false
}

func grow(s []float64, n int) []float64 {
	if cap(s) < n {
		return make([]float64, n)
	}
	return s[:n]
}

func argmax(p []float64) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// Raw writes the ensemble's raw scores for row into raw (len Outputs):
// BaseScore plus the leaves reached, accumulated in float64 in tree order.
func (e *Ensemble) Raw(row []float32, raw []float64) {
	for j := range raw {
		raw[j] = float64(e.BaseScore[j])
	}
	for t := range e.Trees {
		tr := &e.Trees[t]
		n := tr.Leaf(row)
		if tr.Output >= 0 {
			raw[tr.Output] += float64(tr.Value[n])
			continue
		}
		w := len(raw)
		for j, v := range tr.Value[n*w : n*w+w] {
			raw[j] += float64(v)
		}
	}
}

// Leaf returns the index of the leaf row reaches.
func (t *Tree) Leaf(row []float32) int {
	n := int32(0)
	for {
		f := t.Feature[n]
		if f < 0 {
			return int(n)
		}
		if t.goesLeft(n, row[f]) {
			n = t.Left[n]
		} else {
			n = t.Right[n]
		}
	}
}

func (t *Tree) goesLeft(n int32, x float32) bool {
	if x != x { // NaN: missing
		return t.DefaultLeft[n]
	}
	switch t.Op[n] {
	case Less:
		return x < t.Threshold[n]
	case LessEqual:
		return x <= t.Threshold[n]
	default: // InSet; Validate admits no other op
		c, ok := t.category(n, x)
		if !ok {
			return t.DefaultLeft[n]
		}
		return t.CatBits[t.CatBegin[n]+1+int32(c>>5)]&(1<<(c&31)) != 0
	}
}

// category returns x as a category code when it lies in [0, N) for the N
// categories node n's set covers; a code is x truncated.
func (t *Tree) category(n int32, x float32) (uint32, bool) {
	if !(x >= 0) || x >= float32(t.CatBits[t.CatBegin[n]]) {
		return 0, false
	}
	return uint32(x), true
}

// Probabilities turns raw scores into class probabilities (len classes).
func (e *Ensemble) Probabilities(raw []float64, probs []float64) {
	switch e.Objective {
	case Logistic:
		p := sigmoid(raw[0])
		probs[0], probs[1] = 1-p, p
	default:
		softmax(raw, probs)
	}
}

func sigmoid(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	z := math.Exp(x)
	return z / (1 + z)
}

// softmax computes exp(x_i - max) / sum, in float64.
func softmax(x, out []float64) {
	mx := math.Inf(-1)
	for _, v := range x {
		if v > mx {
			mx = v
		}
	}
	var sum float64
	for i, v := range x {
		out[i] = math.Exp(v - mx)
		sum += out[i]
	}
	for i := range out {
		out[i] /= sum
	}
}

// Score is the detector's outlier score for a full schema row (see Outlier).
func (o *Outlier) Score(row []float32) float64 {
	d := len(o.Features)
	k := o.Components
	var pbuf [128]float64
	var p []float64
	if k <= len(pbuf) {
		p = pbuf[:k]
	} else {
		p = make([]float64, k)
	}
	for j := 0; j < d; j++ {
		v := float64(row[o.Features[j]])
		if o.Log1p != nil && o.Log1p[j] {
			v = signedLog1p(v)
		}
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			v = o.Mean[j] // missing or infinite: undefined, scored as typical
		}
		if o.Clip != nil {
			v = min(max(v, o.Clip.Low[j]), o.Clip.High[j])
		}
		u := (v - o.Mean[j]) / o.Scale[j]
		if u == 0 {
			continue
		}
		proj := o.Projection[j*k : j*k+k]
		for c := range p {
			p[c] += u * proj[c]
		}
	}
	var s float64
	for a := 0; a < k; a++ {
		var t float64
		inv := o.InvCov[a*k : a*k+k]
		for b := 0; b < k; b++ {
			t += inv[b] * p[b]
		}
		s += p[a] * t
	}
	return s
}

// signedLog1p is sign(v)·ln(1+|v|): odd, monotonic, the identity near 0.
func signedLog1p(v float64) float64 {
	if v < 0 {
		return -math.Log1p(-v)
	}
	return math.Log1p(v)
}
