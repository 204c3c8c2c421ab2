package model

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// ErrNoCovers is returned by NewExplainer for a model some of whose trees
// carry no node covers (Tree.Cover): without them the expected value of a
// subtree, which TreeSHAP weighs unknown features by, is not defined.
// Models trained by flowsense record covers, and so do imported XGBoost
// models (sum_hessian); an older model file has to be retrained.
var ErrNoCovers = errors.New("model has no node covers (retrain it to explain its predictions)")

// ErrTooDeep is returned by NewExplainer for a tree deeper than
// MaxExplainDepth: TreeSHAP's scratch grows with the square of the depth.
var ErrTooDeep = errors.New("tree too deep to explain")

// MaxExplainDepth is the deepest tree an Explainer takes (a root-to-leaf
// path of this many splits). Trained trees are far shallower (depth 6 to
// 30); the bound keeps a hostile model from costing memory without end.
const MaxExplainDepth = 512

// Explainer computes per-flow explanations of a model's predictions: the
// exact path-dependent TreeSHAP values of the tree ensemble (Lundberg et
// al., "Consistent individualized feature attribution for tree
// ensembles", Algorithm 2, as XGBoost's pred_contribs computes them) and
// the outlier detector's per-feature decomposition of its score. It holds
// scratch space: one Explainer per goroutine.
type Explainer struct {
	m      *Model
	pred   *Predictor // the prediction Explain explains
	bias   []float64  // per output: base score + each tree's expected value
	path   []pathElem
	phi    []float64
	raw    []float64
	res    Result
	oc     []float64
	stride int
}

// pathElem is one feature on the unique path of TreeSHAP: the fraction
// of the rows that follow the path when the feature is unknown (zero) or
// known (one, 1 or 0), and the weight of the path's subsets of each size.
type pathElem struct {
	feature   int32
	zero, one float64
	w         float64
}

// NewExplainer prepares m (a valid model) for explanations. It fails with
// ErrNoCovers when a tree has no covers and ErrTooDeep for a tree deeper
// than MaxExplainDepth.
func NewExplainer(m *Model) (*Explainer, error) {
	e := &m.Ensemble
	x := &Explainer{m: m, stride: len(m.Schema.Features) + 1}
	x.bias = make([]float64, e.Outputs)
	for j, b := range e.BaseScore {
		x.bias[j] = float64(b)
	}
	maxDepth := 0
	for t := range e.Trees {
		tr := &e.Trees[t]
		if len(tr.Cover) != tr.Len() {
			return nil, fmt.Errorf("%w: ensemble.trees[%d]", ErrNoCovers, t)
		}
		d := tr.depth()
		if d > MaxExplainDepth {
			return nil, fmt.Errorf("%w: ensemble.trees[%d] has depth %d, limit %d", ErrTooDeep, t, d, MaxExplainDepth)
		}
		maxDepth = max(maxDepth, d)
		w := tr.Width(e.Outputs)
		mean := tr.expected(e.Outputs)
		if tr.Output >= 0 {
			x.bias[tr.Output] += mean[0]
		} else {
			for j := 0; j < w; j++ {
				x.bias[j] += mean[j]
			}
		}
	}
	x.path = make([]pathElem, (maxDepth+2)*(maxDepth+3)/2)
	x.phi = make([]float64, e.Outputs*x.stride)
	x.raw = make([]float64, e.Outputs)
	if m.Outlier != nil {
		x.oc = make([]float64, len(m.Outlier.Features))
	}
	p, err := NewPredictor(m)
	if err != nil {
		return nil, err
	}
	x.pred = p
	return x, nil
}

// depth is the number of splits on the tree's longest root-to-leaf path.
func (t *Tree) depth() int {
	type item struct{ n, d int32 }
	stack := []item{{0, 0}}
	best := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t.Feature[it.n] < 0 {
			best = max(best, int(it.d))
			continue
		}
		if it.d > MaxExplainDepth {
			return int(it.d)
		}
		stack = append(stack, item{t.Left[it.n], it.d + 1}, item{t.Right[it.n], it.d + 1})
	}
	return best
}

// fractions are the shares of a node's children in its cover. They are
// normalised by the children's sum, not the node's own cover, so that
// they add up to 1 even when the recorded covers were rounded (XGBoost
// writes float32 sums): that keeps the contributions exactly additive.
// Children with no cover at all share equally.
func (t *Tree) fractions(n int32) (float64, float64) {
	cl, cr := t.Cover[t.Left[n]], t.Cover[t.Right[n]]
	s := cl + cr
	if !(s > 0) {
		return 0.5, 0.5
	}
	return cl / s, cr / s
}

// expected is the tree's expected value per leaf slot: the leaves'
// values weighted by the share of the training rows (by cover) that
// reach them.
func (t *Tree) expected(outputs int) []float64 {
	w := t.Width(outputs)
	n := t.Len()
	mean := make([]float64, n*w)
	// children come after their parents in no fixed order: fill by a
	// post-order walk
	order := make([]int32, 0, n)
	stack := []int32{0}
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		order = append(order, i)
		if t.Feature[i] >= 0 {
			stack = append(stack, t.Left[i], t.Right[i])
		}
	}
	for k := len(order) - 1; k >= 0; k-- {
		i := order[k]
		if t.Feature[i] < 0 {
			for j := 0; j < w; j++ {
				mean[int(i)*w+j] = float64(t.Value[int(i)*w+j])
			}
			continue
		}
		fl, fr := t.fractions(i)
		l, r := int(t.Left[i]), int(t.Right[i])
		for j := 0; j < w; j++ {
			mean[int(i)*w+j] = fl*mean[l*w+j] + fr*mean[r*w+j]
		}
	}
	return mean[:w]
}

// Stride is the length of one output's block in Contributions' phi: one
// value per feature, then the bias.
func (x *Explainer) Stride() int { return x.stride }

// Bias is output j's expected raw score: the base score plus every tree's
// cover-weighted mean leaf value. It is the last value of each block that
// Contributions writes.
func (x *Explainer) Bias(j int) float64 { return x.bias[j] }

// Contributions writes the TreeSHAP values of row into phi, which has
// Outputs blocks of Stride() values: phi[j*Stride()+f] is feature f's
// contribution to raw score j and phi[j*Stride()+F] is output j's bias
// (XGBoost's pred_contribs layout). Each block sums to the row's raw score
// j up to rounding.
func (x *Explainer) Contributions(row []float32, phi []float64) error {
	m := x.m
	if len(row) != len(m.Schema.Features) {
		return fmt.Errorf("%w: got %d values, want %d", ErrRowWidth, len(row), len(m.Schema.Features))
	}
	if len(phi) != m.Ensemble.Outputs*x.stride {
		return fmt.Errorf("model: contributions: phi has %d values, want %d", len(phi), m.Ensemble.Outputs*x.stride)
	}
	clear(phi)
	F := x.stride - 1
	for j := range x.bias {
		phi[j*x.stride+F] = x.bias[j]
	}
	outputs := m.Ensemble.Outputs
	for t := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[t]
		out := phi
		if tr.Output >= 0 {
			out = phi[int(tr.Output)*x.stride : int(tr.Output+1)*x.stride]
		}
		x.tree(tr, tr.Width(outputs), row, out, 0, 0, 0, 1, 1, -1)
	}
	return nil
}

// tree is TreeSHAP's recursion at node n: the path of the parent starts at
// x.path[start] and has d elements; the edge into n had fractions pz (rows
// when the parent's feature is unknown) and po (1 when the row goes this
// way). out holds the w outputs' blocks this tree adds to.
func (x *Explainer) tree(t *Tree, w int, row []float32, out []float64, n int32, start, d int, pz, po float64, pf int32) {
	p := x.path[start : start+d+1]
	if start > 0 {
		// the parent's path sits just before this one
		copy(p[:d], x.path[start-d:start])
	}
	extend(p, d, pz, po, pf)
	if t.Feature[n] < 0 {
		vals := t.Value[int(n)*w : int(n)*w+w]
		for i := 1; i <= d; i++ {
			s := unwoundSum(p, d, i) * (p[i].one - p[i].zero)
			f := int(p[i].feature)
			for j, v := range vals {
				out[j*x.stride+f] += s * float64(v)
			}
		}
		return
	}
	f := t.Feature[n]
	hot, cold := t.Right[n], t.Left[n]
	fl, fr := t.fractions(n)
	hz, cz := fr, fl
	if t.goesLeft(n, row[f]) {
		hot, cold, hz, cz = t.Left[n], t.Right[n], fl, fr
	}
	iz, io := 1.0, 1.0
	k := 1
	for ; k <= d; k++ {
		if p[k].feature == f {
			break
		}
	}
	if k <= d {
		// the feature was split on above: undo that split, and let this
		// one carry both fractions
		iz, io = p[k].zero, p[k].one
		unwind(p, d, k)
		d--
	}
	next := start + d + 1
	if hz*iz != 0 || io != 0 {
		x.tree(t, w, row, out, hot, next, d+1, hz*iz, io, f)
	}
	if cz*iz != 0 {
		x.tree(t, w, row, out, cold, next, d+1, cz*iz, 0, f)
	}
}

// extend adds a feature with fractions zero and one as element d of p and
// updates the subset weights.
func extend(p []pathElem, d int, zero, one float64, f int32) {
	p[d] = pathElem{feature: f, zero: zero, one: one}
	if d == 0 {
		p[0].w = 1
	}
	dd := float64(d + 1)
	for i := d - 1; i >= 0; i-- {
		p[i+1].w += one * p[i].w * float64(i+1) / dd
		p[i].w = zero * p[i].w * float64(d-i) / dd
	}
}

// unwind removes element k from the path of d+1 elements, undoing its
// extend.
func unwind(p []pathElem, d, k int) {
	one, zero := p[k].one, p[k].zero
	next := p[d].w
	dd := float64(d + 1)
	for i := d - 1; i >= 0; i-- {
		if one != 0 {
			tmp := p[i].w
			p[i].w = next * dd / (float64(i+1) * one)
			next = tmp - p[i].w*zero*float64(d-i)/dd
		} else {
			p[i].w = p[i].w * dd / (zero * float64(d-i))
		}
	}
	for i := k; i < d; i++ {
		p[i].feature, p[i].zero, p[i].one = p[i+1].feature, p[i+1].zero, p[i+1].one
	}
}

// unwoundSum is the total weight of the path without element k: what
// unwind would leave, summed, without changing p.
func unwoundSum(p []pathElem, d, k int) float64 {
	one, zero := p[k].one, p[k].zero
	next := p[d].w
	dd := float64(d + 1)
	var total float64
	for i := d - 1; i >= 0; i-- {
		if one != 0 {
			tmp := next * dd / (float64(i+1) * one)
			total += tmp
			next = p[i].w - tmp*zero*float64(d-i)/dd
		} else {
			total += p[i].w / zero * dd / float64(d-i)
		}
	}
	return total
}

// Margin is the raw score that class c's explanation adds up to: raw score
// c for a softmax model; for a logistic one the log-odds of c, s for class
// 1 and -s for class 0.
func (m *Model) Margin(raw []float64, c int) float64 {
	if m.Ensemble.Objective == Logistic {
		if c == 0 {
			return -raw[0]
		}
		return raw[0]
	}
	return raw[c]
}

// OutlierContribution is one detector input's share of a row's outlier
// score.
type OutlierContribution struct {
	// Feature is the schema index of the input.
	Feature int
	// Value is the row's value as it came in; Mean is the benign mean in
	// the same units (for a log1p input, the mean of the logarithms
	// mapped back: a geometric mean).
	Value float32
	Mean  float64
	// Z is the standardised deviation (v - mean)/scale the detector
	// scored, after log1p and clipping.
	Z float64
	// Contribution is the input's share of the score; the shares sum to
	// the score. A share can be negative: a deviation that the benign
	// covariance expects alongside the others lowers the distance.
	Contribution float64
}

// Contributions writes each detector input's share of row's outlier score
// into c (len(o.Features)) and returns the score. With z the
// standardised row and M = Projection·InvCov·Projectionᵀ the score is
// zᵀMz; input j's share is z_j·(Mz)_j. These are the Shapley values of
// the score with the benign mean as the baseline (a quadratic form's
// cross terms z_i·M_ij·z_j split evenly between i and j), they sum to the
// score, and an input at its mean contributes nothing.
func (o *Outlier) Contributions(row []float32, c []float64) float64 {
	d, k := len(o.Features), o.Components
	z := c
	p := make([]float64, k)
	for j := 0; j < d; j++ {
		_, u := o.standardise(row, j)
		z[j] = u
		if u == 0 {
			continue
		}
		proj := o.Projection[j*k : j*k+k]
		for a := range p {
			p[a] += u * proj[a]
		}
	}
	q := make([]float64, k)
	var score float64
	for a := 0; a < k; a++ {
		var s float64
		inv := o.InvCov[a*k : a*k+k]
		for b := 0; b < k; b++ {
			s += inv[b] * p[b]
		}
		q[a] = s
		score += p[a] * s
	}
	for j := 0; j < d; j++ {
		if z[j] == 0 {
			continue
		}
		var s float64
		proj := o.Projection[j*k : j*k+k]
		for a := range q {
			s += proj[a] * q[a]
		}
		c[j] = z[j] * s
	}
	return score
}

// standardise is input j of row as Score sees it: the transformed value v
// and its standardised deviation u.
func (o *Outlier) standardise(row []float32, j int) (float64, float64) {
	v := float64(row[o.Features[j]])
	if o.Log1p != nil && o.Log1p[j] {
		v = signedLog1p(v)
	}
	if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
		v = o.Mean[j]
	}
	if o.Clip != nil {
		v = min(max(v, o.Clip.Low[j]), o.Clip.High[j])
	}
	return v, (v - o.Mean[j]) / o.Scale[j]
}

// InputMean is detector input j's benign mean in the input's own units.
func (o *Outlier) InputMean(j int) float64 {
	m := o.Mean[j]
	if o.Log1p != nil && o.Log1p[j] {
		if m < 0 {
			return -math.Expm1(-m)
		}
		return math.Expm1(m)
	}
	return m
}

// FeatureContribution is one feature's TreeSHAP value for a class.
type FeatureContribution struct {
	Feature      int
	Value        float32 // the row's value
	Contribution float64
}

// Explanation says why a row got its prediction.
type Explanation struct {
	Result
	// Margin is the predicted class's raw score (see Model.Margin) and
	// Bias its expected value over the training data: Bias plus every
	// feature's contribution is Margin.
	Margin, Bias float64
	// Features are the largest contributions (by magnitude) to the
	// predicted class's margin, largest first.
	Features []FeatureContribution
	// Outlier are the largest shares of the outlier score, largest
	// first; empty without a detector.
	Outlier []OutlierContribution
}

// Explain predicts row and explains the prediction with the top features
// (n of them; n <= 0 for all) of the predicted class and of the outlier
// score. e's slices are reused.
func (x *Explainer) Explain(row []float32, top int, e *Explanation) error {
	m := x.m
	if err := x.pred.Predict(row, &x.res); err != nil {
		return err
	}
	if err := x.Contributions(row, x.phi); err != nil {
		return err
	}
	var shares []float64
	if o := m.Outlier; o != nil {
		o.Contributions(row, x.oc)
		shares = make([]float64, 3*len(x.oc))
		for j, v := range x.oc {
			_, z := o.standardise(row, j)
			shares[3*j], shares[3*j+1], shares[3*j+2] = v, z, o.InputMean(j)
		}
	}
	return m.Summarise(&x.res, row, x.phi, shares, top, e)
}

// Summarise builds the explanation of the prediction r of row from its
// contributions: phi in Contributions' layout, and per detector input
// {share, z, mean} (the explain export's layout, wasm/ABI.md; nil without
// a detector). It keeps the top contributions by magnitude (all when top
// <= 0). Every host's explanation goes through it, so that they agree.
func (m *Model) Summarise(r *Result, row []float32, phi, shares []float64, top int, e *Explanation) error {
	F := len(m.Schema.Features)
	if len(row) != F {
		return fmt.Errorf("%w: got %d values, want %d", ErrRowWidth, len(row), F)
	}
	if len(phi) != m.Ensemble.Outputs*(F+1) {
		return fmt.Errorf("model: summarise: %d contributions, want %d", len(phi), m.Ensemble.Outputs*(F+1))
	}
	d := 0
	if m.Outlier != nil {
		d = len(m.Outlier.Features)
	}
	if len(shares) != 3*d {
		return fmt.Errorf("model: summarise: %d outlier values, want %d", len(shares), 3*d)
	}
	e.Result.Class, e.Result.OutlierScore, e.Result.Verdict = r.Class, r.OutlierScore, r.Verdict
	e.Result.Probabilities = append(e.Result.Probabilities[:0], r.Probabilities...)
	c := r.Class
	sign := 1.0
	block := c
	if m.Ensemble.Objective == Logistic {
		block = 0
		if c == 0 {
			sign = -1
		}
	}
	b := phi[block*(F+1) : (block+1)*(F+1)]
	e.Bias = sign * b[F]
	e.Margin = e.Bias
	e.Features = e.Features[:0]
	for f := 0; f < F; f++ {
		e.Margin += sign * b[f]
		if b[f] != 0 {
			e.Features = append(e.Features, FeatureContribution{Feature: f, Value: row[f], Contribution: sign * b[f]})
		}
	}
	sort.SliceStable(e.Features, func(i, j int) bool {
		return math.Abs(e.Features[i].Contribution) > math.Abs(e.Features[j].Contribution)
	})
	if top > 0 && len(e.Features) > top {
		e.Features = e.Features[:top]
	}
	e.Outlier = e.Outlier[:0]
	for j := 0; j < d; j++ {
		f := int(m.Outlier.Features[j])
		e.Outlier = append(e.Outlier, OutlierContribution{
			Feature: f, Value: row[f], Contribution: shares[3*j], Z: shares[3*j+1], Mean: shares[3*j+2],
		})
	}
	sort.SliceStable(e.Outlier, func(i, j int) bool {
		return math.Abs(e.Outlier[i].Contribution) > math.Abs(e.Outlier[j].Contribution)
	})
	if top > 0 && len(e.Outlier) > top {
		e.Outlier = e.Outlier[:top]
	}
	return nil
}
