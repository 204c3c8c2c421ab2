package model

import (
	"fmt"
	"math"
)

// Predictor is the compiled form of the native predictor: the same answers
// as (*Model).Predict, bit for bit, from a layout built for speed (see
// RATIONALE.md, "The native predictor's layout"):
//
//   - every tree's nodes in one array of 16-byte records (threshold,
//     feature with the missing-value direction, both children), renumbered
//     in preorder; `<=` nodes become `<` nodes on the next float32 up, so a
//     numeric node is one comparison and a conditional move;
//   - a leaf is its own child on both sides, so trees without categorical
//     nodes are walked a fixed number of levels (their depth) with no leaf
//     test, and a batch walks four rows through a tree at once;
//   - a diagonal inverse covariance (what the trainer's PCA writes) is
//     scored as Σ p_a·(inv_aa·p_a), which rounds the same as the full
//     quadratic form whenever p is finite.
//
// A Predictor does not follow later edits of its Model; build a new one.
// It is safe for concurrent use.
type Predictor struct {
	m       *Model
	nf      int
	outputs int
	base    []float64
	nodes   []fnode
	dl      []bool  // per node: a missing value goes left
	catOff  []int32 // per node: an InSet node's set in cats, else -1
	trees   []ftree
	vals    []float64 // vector leaves' values, W per leaf
	cats    []uint32
	det     *fdetector
}

// fnode is one node. A leaf has child {self, self}; an internal node's
// left child is the next node. An InSet node's threshold is NaN, so that
// the one comparison that finds a missing value finds it too.
type fnode struct {
	thr   float32 // the `<` threshold; NaN for InSet; a leaf's value or values' offset
	feat  uint32  // the feature tested (0 for a leaf)
	child [2]int32
}

type ftree struct {
	root   int32 // index of node 0 in nodes
	depth  int32 // levels from the root to the deepest leaf
	output int32 // -1 for vector leaves
	deep   bool  // deeper than maxSteps: walked with leaf tests
}

type fdetector struct {
	d, k     int
	feat     []int32
	log1p    []bool // nil when no input is transformed
	mean     []float64
	scale    []float64
	low, hi  []float64 // nil without clip
	proj     []float64
	invCov   []float64
	diag     []float64 // the inverse covariance's diagonal when it is diagonal
	thr      float64
	hasClip  bool
	hasLog1p bool
}

// NewPredictor compiles a valid model (as Decode returns it); it reads the
// model without Validate's checks, but rejects a tree without nodes.
func NewPredictor(m *Model) (*Predictor, error) {
	nf := len(m.Schema.Features)
	e := &m.Ensemble
	p := &Predictor{m: m, nf: nf, outputs: e.Outputs, base: make([]float64, e.Outputs)}
	for j := range p.base {
		p.base[j] = float64(e.BaseScore[j])
	}
	total := 0
	for t := range e.Trees {
		if e.Trees[t].Len() == 0 {
			return nil, fmt.Errorf("model: ensemble.trees[%d] has no nodes", t)
		}
		total += e.Trees[t].Len()
	}
	if total > math.MaxInt32 {
		return nil, fmt.Errorf("model: %d nodes, the compiled predictor takes at most %d", total, math.MaxInt32)
	}
	p.nodes = make([]fnode, 0, total)
	p.dl = make([]bool, 0, total)
	p.catOff = make([]int32, 0, total)
	for t := range e.Trees {
		tr := &e.Trees[t]
		w := tr.Width(e.Outputs)
		ft := ftree{root: int32(len(p.nodes)), output: tr.Output}
		// preorder renumbering, iterative (trees may be deep)
		type item struct{ old, depth int32 }
		newIdx := make([]int32, tr.Len())
		order := make([]int32, 0, tr.Len())
		stack := []item{{0, 0}}
		for len(stack) > 0 {
			it := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			newIdx[it.old] = int32(len(order))
			order = append(order, it.old)
			ft.depth = max(ft.depth, it.depth)
			if tr.Feature[it.old] >= 0 {
				stack = append(stack, item{tr.Right[it.old], it.depth + 1}, item{tr.Left[it.old], it.depth + 1})
			}
		}
		for i, old := range order {
			self := ft.root + int32(i)
			var nd fnode
			off := int32(-1)
			if f := tr.Feature[old]; f < 0 {
				// a leaf's threshold is free (both children are the
				// leaf): it holds the value, or the offset of the values
				nd = fnode{child: [2]int32{self, self}}
				if tr.Output >= 0 {
					nd.thr = tr.Value[old]
				} else {
					nd.thr = math.Float32frombits(uint32(len(p.vals)))
					for _, v := range tr.Value[int(old)*w : int(old)*w+w] {
						p.vals = append(p.vals, float64(v))
					}
				}
			} else {
				nd.feat = uint32(f)
				nd.child = [2]int32{ft.root + newIdx[tr.Left[old]], ft.root + newIdx[tr.Right[old]]}
				switch tr.Op[old] {
				case Less:
					nd.thr = tr.Threshold[old]
				case LessEqual:
					// x <= t exactly when x < the next float32 above t
					nd.thr = math.Nextafter32(tr.Threshold[old], float32(math.Inf(1)))
				default: // InSet
					nd.thr = float32(math.NaN())
					off = int32(len(p.cats))
					b := tr.CatBegin[old]
					n := tr.CatBits[b]
					p.cats = append(p.cats, tr.CatBits[b:b+1+int32(n+31)/32]...)
				}
			}
			p.nodes = append(p.nodes, nd)
			p.dl = append(p.dl, tr.DefaultLeft[old])
			p.catOff = append(p.catOff, off)
		}
		ft.deep = ft.depth > maxSteps
		p.trees = append(p.trees, ft)
	}
	if o := m.Outlier; o != nil {
		p.det = newDetector(o)
	}
	return p, nil
}

func newDetector(o *Outlier) *fdetector {
	d := &fdetector{d: len(o.Features), k: o.Components, feat: o.Features, mean: o.Mean, scale: o.Scale,
		proj: o.Projection, invCov: o.InvCov, thr: o.Threshold}
	for _, l := range o.Log1p {
		if l {
			d.log1p, d.hasLog1p = o.Log1p, true
			break
		}
	}
	if o.Clip != nil {
		d.low, d.hi, d.hasClip = o.Clip.Low, o.Clip.High, true
	}
	k := d.k
	diag := make([]float64, k)
	for a := 0; a < k && diag != nil; a++ {
		for b := 0; b < k; b++ {
			v := o.InvCov[a*k+b]
			if a == b {
				diag[a] = v
			} else if v != 0 {
				diag = nil
				break
			}
		}
	}
	d.diag = diag
	return d
}

// Model is the model the predictor was compiled from.
func (p *Predictor) Model() *Model { return p.m }

// Predict is (*Model).Predict.
func (p *Predictor) Predict(row []float32, r *Result) error {
	if len(row) != p.nf {
		return fmt.Errorf("%w: got %d values, want %d", ErrRowWidth, len(row), p.nf)
	}
	r.raw = grow(r.raw, p.outputs)
	raw := r.raw
	copy(raw, p.base)
	for t := range p.trees {
		ft := &p.trees[t]
		var n int32
		if ft.deep {
			n = p.leafDeep(ft, row)
		} else {
			n = p.leaf(ft, row)
		}
		p.add(ft, n, raw)
	}
	p.finish(row, r)
	return nil
}

// finish turns r.raw into the rest of r.
func (p *Predictor) finish(row []float32, r *Result) {
	r.Probabilities = grow(r.Probabilities, len(p.m.Classes))
	p.m.Ensemble.Probabilities(r.raw, r.Probabilities)
	r.Class = argmax(r.Probabilities)
	r.OutlierScore = 0
	if p.det != nil {
		r.OutlierScore = p.det.score(row, r)
	}
	r.Verdict = p.m.verdict(r.Class, r.OutlierScore)
}

// add adds leaf n's values to raw.
func (p *Predictor) add(ft *ftree, n int32, raw []float64) {
	thr := p.nodes[n].thr
	if ft.output >= 0 {
		raw[ft.output] += float64(thr)
		return
	}
	off := int(math.Float32bits(thr))
	v := p.vals[off : off+len(raw)]
	raw = raw[:len(v)]
	for j := range v {
		raw[j] += v[j]
	}
}

// leaf walks a tree of at most maxSteps levels: depth steps, no leaf test
// (a leaf is its own child). A numeric node with a value present is one
// comparison and a conditional move; InSet nodes and missing values take
// stepSlow.
func (p *Predictor) leaf(ft *ftree, row []float32) int32 {
	nodes := p.nodes
	n := ft.root
	for d := ft.depth; d > 0; d-- {
		nd := &nodes[n]
		x := row[nd.feat]
		ge := x >= nd.thr
		if ge == (x < nd.thr) { // neither: unordered, missing or an InSet node
			n = p.stepSlow(n, x)
			continue
		}
		n = nd.child[b2i(ge)]
	}
	return n
}

// maxSteps is the depth up to which a tree is walked its depth's number of
// steps; a deeper tree (LightGBM grows leaf-wise, with long thin branches)
// tests for a leaf at every node instead.
const maxSteps = 16

// leafDeep walks any tree, testing for leaves.
func (p *Predictor) leafDeep(ft *ftree, row []float32) int32 {
	nodes := p.nodes
	n := ft.root
	for {
		nd := &nodes[n]
		if nd.child[0] == n {
			return n
		}
		x := row[nd.feat]
		switch {
		case x < nd.thr:
			n = nd.child[0]
		case x >= nd.thr:
			n = nd.child[1]
		default:
			n = p.stepSlow(n, x)
		}
	}
}

// batchRows is how many rows PredictBatch takes through a tree at once.
const batchRows = 64

// PredictBatch predicts len(out) rows given row-major in rows: out[i] is
// what Predict gives for row i. Trees are walked for a block of rows at a
// time, so that a tree's nodes stay in cache.
func (p *Predictor) PredictBatch(rows []float32, out []Result) error {
	nf := p.nf
	if len(rows) != len(out)*nf {
		return fmt.Errorf("%w: %d values for %d rows of %d", ErrRowWidth, len(rows), len(out), nf)
	}
	for lo := 0; lo < len(out); lo += batchRows {
		hi := min(lo+batchRows, len(out))
		blk := out[lo:hi]
		for i := range blk {
			blk[i].raw = grow(blk[i].raw, p.outputs)
			copy(blk[i].raw, p.base)
		}
		for t := range p.trees {
			ft := &p.trees[t]
			i := 0
			if !ft.deep {
				for ; i+4 <= len(blk); i += 4 {
					r0 := rows[(lo+i)*nf : (lo+i+1)*nf]
					r1 := rows[(lo+i+1)*nf : (lo+i+2)*nf]
					r2 := rows[(lo+i+2)*nf : (lo+i+3)*nf]
					r3 := rows[(lo+i+3)*nf : (lo+i+4)*nf]
					n0, n1, n2, n3 := p.leaf4(ft, r0, r1, r2, r3)
					p.add(ft, n0, blk[i].raw)
					p.add(ft, n1, blk[i+1].raw)
					p.add(ft, n2, blk[i+2].raw)
					p.add(ft, n3, blk[i+3].raw)
				}
			}
			for ; i < len(blk); i++ {
				row := rows[(lo+i)*nf : (lo+i+1)*nf]
				var n int32
				if ft.deep {
					n = p.leafDeep(ft, row)
				} else {
					n = p.leaf(ft, row)
				}
				p.add(ft, n, blk[i].raw)
			}
		}
		for i := range blk {
			p.finish(rows[(lo+i)*nf:(lo+i+1)*nf], &blk[i])
		}
	}
	return nil
}

// leaf4 is leaf for four rows at once: four independent chains of loads
// that the processor overlaps.
func (p *Predictor) leaf4(ft *ftree, r0, r1, r2, r3 []float32) (int32, int32, int32, int32) {
	nodes := p.nodes
	rows := [4][]float32{r0, r1, r2, r3}
	ns := [4]int32{ft.root, ft.root, ft.root, ft.root}
	for d := ft.depth; d > 0; d-- {
		for q := range ns {
			nd := &nodes[ns[q]]
			x := rows[q][nd.feat]
			ge := x >= nd.thr
			if ge == (x < nd.thr) {
				ns[q] = p.stepSlow(ns[q], x)
				continue
			}
			ns[q] = nd.child[b2i(ge)]
		}
	}
	return ns[0], ns[1], ns[2], ns[3]
}

// b2i is 1 for true (a SETcc, no branch).
func b2i(b bool) int {
	i := 0
	if b {
		i = 1
	}
	return i
}

// stepSlow moves down from node n for a missing value, or from an InSet
// node for any value.
func (p *Predictor) stepSlow(n int32, x float32) int32 {
	nd := &p.nodes[n]
	dl := nd.child[1]
	if p.dl[n] {
		dl = nd.child[0]
	}
	b := p.catOff[n]
	if x != x || b < 0 { // missing (a leaf's children are both itself)
		return dl
	}
	if !(x >= 0) || x >= float32(p.cats[b]) { // out of the set's range
		return dl
	}
	c := uint32(x)
	if p.cats[b+1+int32(c>>5)]&(1<<(c&31)) != 0 {
		return nd.child[0]
	}
	return nd.child[1]
}

// score is (*Outlier).Score, in the same order of operations.
func (d *fdetector) score(row []float32, r *Result) float64 {
	k := d.k
	var pbuf [128]float64
	var p []float64
	if k <= len(pbuf) {
		p = pbuf[:k]
	} else {
		r.scratch = grow(r.scratch, k)
		p = r.scratch
		clear(p)
	}
	mean, scale := d.mean[:d.d], d.scale[:d.d]
	feat := d.feat[:d.d]
	// the inputs whose u is not 0, four at a time: p[c] += u0·a0[c], then
	// u1·a1[c], ... is the reference's order for every c, with one load
	// and store of p[c] per four inputs
	var us [4]float64
	var js [4]int
	np := 0
	for j := range feat {
		v := float64(row[feat[j]])
		if d.hasLog1p && d.log1p[j] {
			v = signedLog1p(v)
		}
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			v = mean[j]
		}
		if d.hasClip {
			v = min(max(v, d.low[j]), d.hi[j])
		}
		u := (v - mean[j]) / scale[j]
		if u == 0 {
			continue
		}
		us[np], js[np] = u, j
		np++
		if np < 4 {
			continue
		}
		np = 0
		a0 := d.proj[js[0]*k : js[0]*k+k][:len(p)]
		a1 := d.proj[js[1]*k : js[1]*k+k][:len(p)]
		a2 := d.proj[js[2]*k : js[2]*k+k][:len(p)]
		a3 := d.proj[js[3]*k : js[3]*k+k][:len(p)]
		u0, u1, u2, u3 := us[0], us[1], us[2], us[3]
		for c := range p {
			p[c] = p[c] + u0*a0[c] + u1*a1[c] + u2*a2[c] + u3*a3[c]
		}
	}
	for q := 0; q < np; q++ {
		a, u := d.proj[js[q]*k : js[q]*k+k][:len(p)], us[q]
		for c := range p {
			p[c] += u * a[c]
		}
	}
	if d.diag != nil {
		finite := true
		var s float64
		diag := d.diag[:len(p)]
		for a, v := range p {
			finite = finite && v-v == 0
			s += v * (diag[a] * v)
		}
		if finite {
			return s
		}
	}
	var s float64
	for a := 0; a < k; a++ {
		var t float64
		inv := d.invCov[a*k : a*k+k]
		inv = inv[:len(p)]
		for b := range p {
			t += inv[b] * p[b]
		}
		s += p[a] * t
	}
	return s
}
