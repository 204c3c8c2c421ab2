package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"

	"github.com/flowsense/flowsense/model"
)

// split is a candidate split of a node.
type split struct {
	gain        float64 // half the score gain, as XGBoost reports it
	feature     int     // -1: none found
	cat         bool
	k           int     // numeric: bins 1..k go left
	defaultLeft bool    // where bin 0 (missing, unseen) goes
	cats        []int32 // categorical: codes that go left
	lcnt        int64
	lq          []int64 // left packed sums, W
}

// node is a tree node while it grows.
type node struct {
	begin, end int // its rows in grower.rows
	depth      int
	cnt        int64
	q          []int64 // packed quantised sums, W
	hist       []int64
	best       split
	// set once split
	feature     int
	goLeft      []bool // per bin of feature
	left, right int
	gh          []float64 // float g/h sums, 2W, for the value
	value       []float32
}

// grower grows one tree on the rows it is given.
type grower struct {
	p       *Params
	b       *binned
	w, s    int // outputs per leaf; histogram stride 1+w
	threads int
	feats   []int // features this tree may split on

	gh       []float32 // float gradients of every row: stride per row, from off
	ghStride int
	ghOff    int
	seed     uint64 // stochastic rounding seed of this tree

	qa     []uint16  // quantised gradients (pack16), w per row id
	gs, hs []float64 // dequantisation scales per output

	rows []int32
	tmp  []int32
	full bool // rows are 0..n-1: the root reads gradients in place

	pool  [][]int64
	fbest []split // per feature scratch
	nodes []node
}

func newGrower(p *Params, b *binned, w, threads int) *grower {
	g := &grower{p: p, b: b, w: w, s: 1 + w, threads: threads}
	g.fbest = make([]split, len(b.nbins))
	for f := range g.fbest {
		g.fbest[f].lq = make([]int64, w)
	}
	g.gs, g.hs = make([]float64, w), make([]float64, w)
	return g
}

func (g *grower) getHist() []int64 {
	if n := len(g.pool); n > 0 {
		h := g.pool[n-1]
		g.pool = g.pool[:n-1]
		return h
	}
	return make([]int64, g.b.total*g.s)
}

func (g *grower) putHist(h []int64) {
	if h != nil {
		g.pool = append(g.pool, h)
	}
}

func (g *grower) featHist(h []int64, f int) []int64 {
	return h[g.b.off[f]*g.s : (g.b.off[f]+g.b.nbins[f])*g.s]
}

// quantise fills g.qa for g.rows and the scales g.gs, g.hs.
func (g *grower) quantise() {
	w := g.w
	if len(g.qa) < g.b.rows*w {
		g.qa = make([]uint16, g.b.rows*w)
	}
	// maxima by blocks in parallel: a maximum does not depend on order
	nb := (len(g.rows) + block - 1) / block
	bmax := make([]float64, nb*2*w)
	parallelFor(g.threads, nb, func(bi int) {
		m := bmax[bi*2*w : bi*2*w+2*w]
		for _, r := range g.rows[bi*block : min((bi+1)*block, len(g.rows))] {
			src := g.gh[int(r)*g.ghStride+g.ghOff : int(r)*g.ghStride+g.ghOff+2*w]
			for j := 0; j < w; j++ {
				m[2*j] = max(m[2*j], math.Abs(float64(src[2*j])))
				m[2*j+1] = max(m[2*j+1], float64(src[2*j+1]))
			}
		}
	})
	gmax, hmax := make([]float64, w), make([]float64, w)
	for bi := 0; bi < nb; bi++ {
		for j := 0; j < w; j++ {
			gmax[j] = max(gmax[j], bmax[bi*2*w+2*j])
			hmax[j] = max(hmax[j], bmax[bi*2*w+2*j+1])
		}
	}
	for j := 0; j < w; j++ {
		g.gs[j], g.hs[j] = gmax[j]/qMax, hmax[j]/qMax
		if g.gs[j] == 0 {
			g.gs[j] = 1
		}
		if g.hs[j] == 0 {
			g.hs[j] = 1
		}
	}
	ig, ih := make([]float64, w), make([]float64, w)
	for j := range ig {
		ig[j], ih[j] = 1/g.gs[j], 1/g.hs[j]
	}
	parallelFor(g.threads, nb, func(bi int) {
		rng := rand.NewPCG(g.seed, uint64(bi))
		for _, r := range g.rows[bi*block : min((bi+1)*block, len(g.rows))] {
			src := g.gh[int(r)*g.ghStride+g.ghOff : int(r)*g.ghStride+g.ghOff+2*w]
			dst := g.qa[int(r)*w : int(r)*w+w]
			for j := range dst {
				u := rng.Uint64() // two uniform 32-bit fractions
				ug := float64(uint32(u)) * (1.0 / (1 << 32))
				uh := float64(u>>32) * (1.0 / (1 << 32))
				qg := floor(float64(src[2*j])*ig[j] + ug)
				qh := floor(float64(src[2*j+1])*ih[j] + uh)
				qg = min(max(qg, -qMax), qMax)
				qh = min(max(qh, 0), qMax)
				dst[j] = pack16(int64(qg), int64(qh))
			}
		}
	})
}

// build fills h for the rows of n.
func (g *grower) build(n *node, h []int64) {
	rows := g.rows[n.begin:n.end]
	w := g.w
	idx := rows
	if g.full && n.begin == 0 && n.end == len(g.rows) {
		idx = nil // rows 0..n-1: read in place
	}
	// Features in groups, rows in blocks: a block's gradients stay in cache
	// while every feature of the group reads them. Integer sums make the
	// order irrelevant.
	// About four groups per thread balance the load; any grouping gives
	// the same sums.
	group := max(1, min(histGroup, (len(g.feats)+4*g.threads-1)/(4*g.threads)))
	ngroups := (len(g.feats) + group - 1) / group
	nrows := len(rows)
	parallelFor(g.threads, ngroups, func(gi int) {
		fs := g.feats[gi*group : min((gi+1)*group, len(g.feats))]
		for _, f := range fs {
			clear(g.featHist(h, f))
		}
		for lo := 0; lo < nrows; lo += histBlock {
			hi := min(lo+histBlock, nrows)
			for _, f := range fs {
				fh := g.featHist(h, f)
				skip := g.b.mfb[f]
				switch {
				case idx == nil && g.b.u8[f] != nil:
					histRows(fh, g.b.u8[f][lo:hi], nil, g.qa[lo*w:hi*w], w, skip)
				case idx == nil:
					histRows(fh, g.b.u16[f][lo:hi], nil, g.qa[lo*w:hi*w], w, skip)
				case g.b.u8[f] != nil:
					histRows(fh, g.b.u8[f], idx[lo:hi], g.qa, w, skip)
				default:
					histRows(fh, g.b.u16[f], idx[lo:hi], g.qa, w, skip)
				}
			}
		}
		for _, f := range fs {
			if skip := g.b.mfb[f]; skip >= 0 {
				fillSkipped(g.featHist(h, f), g.s, skip, n.cnt, n.q)
			}
		}
	})
}

// Histogram blocking: at most histGroup features per task, histBlock rows
// per block.
const (
	histGroup = 4
	histBlock = 2048
)

// subtract turns parent into parent - small for the tree's features.
func (g *grower) subtract(parent, small []int64) {
	parallelFor(g.threads, len(g.feats), func(i int) {
		f := g.feats[i]
		p := g.featHist(parent, f)
		s := g.featHist(small, f)
		for j := range p {
			p[j] -= s[j]
		}
	})
}

// score is sum over outputs of G^2/(H+lambda) for packed sums q, and the
// hessian sum.
func (g *grower) score(q []int64) (float64, float64) {
	var s, hs float64
	lam := g.p.Lambda
	for j, x := range q {
		qg, qh := unpack(x)
		gv, hv := float64(qg)*g.gs[j], float64(qh)*g.hs[j]
		hs += hv
		if d := hv + lam; d > 0 {
			s += gv * gv / d
		}
	}
	return s, hs
}

// findSplit sets n.best to the best split of n over the tree's features.
func (g *grower) findSplit(n *node) {
	n.best.feature = -1
	n.best.gain = 0
	if g.p.MaxDepth > 0 && n.depth >= g.p.MaxDepth || n.cnt < 2*int64(g.p.MinChildSamples) {
		return
	}
	parent, _ := g.score(n.q)
	parallelFor(g.threads, len(g.feats), func(i int) {
		f := g.feats[i]
		best := &g.fbest[f]
		best.feature = -1
		best.gain = 0
		fh := g.featHist(n.hist, f)
		if g.b.cat[f] {
			g.catSplit(n, f, fh, parent, best)
		} else {
			g.numSplit(n, f, fh, parent, best)
		}
	})
	var bf *split
	for _, f := range g.feats {
		s := &g.fbest[f]
		if s.feature >= 0 && (bf == nil || s.gain > bf.gain) {
			bf = s
		}
	}
	if bf == nil || !(bf.gain > g.p.MinSplitGain) {
		return
	}
	lq := n.best.lq
	if lq == nil {
		lq = make([]int64, g.w)
	}
	copy(lq, bf.lq)
	n.best = *bf
	n.best.lq = lq
	n.best.cats = slices.Clone(bf.cats)
}

// eval scores a left side (cnt, packed sums lq) of node n, using rq as
// scratch; ok is false when a child breaks a bound.
func (g *grower) eval(n *node, lcnt int64, lq, rq []int64, parent float64) (float64, bool) {
	rcnt := n.cnt - lcnt
	mcs := int64(g.p.MinChildSamples)
	if lcnt < mcs || rcnt < mcs {
		return 0, false
	}
	for j := range lq {
		rq[j] = n.q[j] - lq[j]
	}
	sl, hl := g.score(lq)
	sr, hr := g.score(rq)
	if hl < g.p.MinChildWeight || hr < g.p.MinChildWeight {
		return 0, false
	}
	return 0.5 * (sl + sr - parent), true
}

func (g *grower) numSplit(n *node, f int, fh []int64, parent float64, best *split) {
	s := g.s
	nb := g.b.nbins[f]
	miss := fh[:s]
	acc := make([]int64, s)   // left without missing
	withM := make([]int64, s) // left with missing
	rq := make([]int64, g.w)
	try := func(k int, l []int64, dl bool) {
		gain, ok := g.eval(n, l[0], l[1:], rq, parent)
		if ok && gain > best.gain {
			best.gain, best.feature, best.cat, best.k = gain, f, false, k
			best.lcnt = l[0]
			copy(best.lq, l[1:])
			if miss[0] == 0 { // no missing value seen: follow the larger child
				dl = l[0] >= n.cnt-l[0]
			}
			best.defaultLeft = dl
			best.cats = best.cats[:0]
		}
	}
	for k := 1; k < nb; k++ {
		b := fh[k*s : k*s+s]
		if b[0] == 0 {
			continue
		}
		for j := range acc {
			acc[j] += b[j]
		}
		if k == nb-1 && (miss[0] == 0 || g.b.posInf[f]) {
			break // everything left, or a split the model cannot express
		}
		try(k, acc, false)
		if miss[0] > 0 && k < nb-1 {
			for j := range acc {
				withM[j] = acc[j] + miss[j]
			}
			try(k, withM, true)
		}
	}
}

func (g *grower) catSplit(n *node, f int, fh []int64, parent float64, best *split) {
	s := g.s
	nb := g.b.nbins[f]
	miss := fh[:s]
	var present []int32
	for k := 1; k < nb; k++ {
		if fh[k*s] > 0 {
			present = append(present, int32(k))
		}
	}
	if len(present) == 0 || len(present) == 1 && miss[0] == 0 {
		return
	}
	acc := make([]int64, s)
	withM := make([]int64, s)
	rq := make([]int64, g.w)
	order := make([]int32, len(present))
	key := make([]float64, nb)
	smooth := g.p.CatSmooth
	for out := 0; out < g.w; out++ {
		for _, k := range present {
			qg, qh := unpack(fh[int(k)*s+1+out])
			key[k] = float64(qg) * g.gs[out] / (float64(qh)*g.hs[out] + smooth)
		}
		copy(order, present)
		slices.SortStableFunc(order, func(a, b int32) int {
			switch {
			case key[a] < key[b]:
				return -1
			case key[a] > key[b]:
				return 1
			}
			return 0
		})
		// Prefixes of one ordering, with missing values on either side,
		// are every split the ordering allows: the prefixes of the reverse
		// ordering are the complements of these, the same partitions
		// mirrored with exactly the same gain (TestSplitSearchOracle).
		clear(acc)
		for i, k := range order {
			b := fh[int(k)*s : int(k)*s+s]
			for j := range acc {
				acc[j] += b[j]
			}
			prefix := i + 1
			try := func(l []int64, dl bool) {
				gain, ok := g.eval(n, l[0], l[1:], rq, parent)
				if !ok || !(gain > best.gain) {
					return
				}
				best.gain, best.feature, best.cat = gain, f, true
				best.lcnt = l[0]
				copy(best.lq, l[1:])
				if miss[0] == 0 {
					dl = l[0] >= n.cnt-l[0]
				}
				best.defaultLeft = dl
				best.cats = best.cats[:0]
				for _, c := range order[:prefix] {
					best.cats = append(best.cats, c-1)
				}
			}
			if prefix < len(order) || miss[0] > 0 {
				try(acc, false)
			}
			if miss[0] > 0 && prefix < len(order) {
				for j := range acc {
					withM[j] = acc[j] + miss[j]
				}
				try(withM, true)
			}
		}
	}
}

// grow grows a tree on g.rows (sorted row ids) with per-row gradients in
// g.gh, and returns its nodes.
func (g *grower) grow(importance []float64) []node {
	g.nodes = g.nodes[:0]
	p := g.p
	g.nodes = append(g.nodes, g.root())
	open := []int{0}
	leaves := 1
	for leaves < p.MaxLeaves {
		pick := -1
		for i, id := range open {
			nd := &g.nodes[id]
			if nd.best.feature < 0 {
				continue
			}
			if pick < 0 {
				pick = i
				continue
			}
			cur := &g.nodes[open[pick]]
			if p.Growth == GrowDepth {
				if nd.depth < cur.depth || nd.depth == cur.depth && id < open[pick] {
					pick = i
				}
			} else if nd.best.gain > cur.best.gain || nd.best.gain == cur.best.gain && id < open[pick] {
				pick = i
			}
		}
		if pick < 0 {
			break
		}
		id := open[pick]
		open = slices.Delete(open, pick, pick+1)
		l, r := g.apply(id, importance)
		leaves++
		// release hists of nodes that can no longer split
		for _, c := range []int{l, r} {
			if g.nodes[c].best.feature >= 0 {
				open = append(open, c)
			}
		}
		if leaves >= p.MaxLeaves {
			break
		}
	}
	for i := range g.nodes {
		g.putHist(g.nodes[i].hist)
		g.nodes[i].hist = nil
	}
	// values from the float gradients: leaves sum their rows, internal
	// nodes their children (which come after them)
	w2 := 2 * g.w
	for i := range g.nodes {
		g.nodes[i].gh = make([]float64, w2)
	}
	// each leaf sums its own rows in row order, so the leaves can go in
	// parallel without changing a bit
	parallelFor(g.threads, len(g.nodes), func(i int) {
		nd := &g.nodes[i]
		if nd.feature >= 0 {
			return
		}
		for _, r := range g.rows[nd.begin:nd.end] {
			src := g.gh[int(r)*g.ghStride+g.ghOff : int(r)*g.ghStride+g.ghOff+w2]
			for j, v := range src {
				nd.gh[j] += float64(v)
			}
		}
	})
	for i := len(g.nodes) - 1; i >= 0; i-- {
		nd := &g.nodes[i]
		if nd.feature >= 0 {
			for j := range nd.gh {
				nd.gh[j] = g.nodes[nd.left].gh[j] + g.nodes[nd.right].gh[j]
			}
		}
	}
	lr := p.LearningRate
	for i := range g.nodes {
		nd := &g.nodes[i]
		nd.value = make([]float32, g.w)
		for j := 0; j < g.w; j++ {
			d := nd.gh[2*j+1] + p.Lambda
			v := 0.0
			if d > 0 {
				v = -lr * nd.gh[2*j] / d
			}
			if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > math.MaxFloat32 {
				v = 0
			}
			nd.value[j] = float32(v)
		}
	}
	return g.nodes
}

// root quantises the gradients of g.rows and returns the root node with
// its histogram and best split.
func (g *grower) root() node {
	g.quantise()
	// integer sums: blocks in parallel, any order gives the same total
	nb := (len(g.rows) + block - 1) / block
	parts := make([]int64, nb*g.w)
	parallelFor(g.threads, nb, func(bi int) {
		part := parts[bi*g.w : bi*g.w+g.w]
		for _, r := range g.rows[bi*block : min((bi+1)*block, len(g.rows))] {
			for j, x := range g.qa[int(r)*g.w : int(r)*g.w+g.w] {
				part[j] += widen(x)
			}
		}
	})
	sum := make([]int64, g.w)
	for i, x := range parts {
		sum[i%g.w] += x
	}
	root := node{begin: 0, end: len(g.rows), cnt: int64(len(g.rows)), q: sum}
	if cap(g.tmp) < len(g.rows) {
		g.tmp = make([]int32, len(g.rows))
	}
	root.hist = g.getHist()
	g.build(&root, root.hist)
	g.findSplit(&root)
	root.feature = -1
	return root
}

// partition moves the rows whose bin in col goes left to the front of
// rows, keeping the order on each side, and returns how many went left;
// tmp is scratch of at least len(rows).
func partition[B uint8 | uint16](rows, tmp []int32, col []B, goLeft []bool) int {
	nl := 0
	tmp = tmp[:0]
	for _, r := range rows {
		if goLeft[col[r]] {
			rows[nl] = r
			nl++
		} else {
			tmp = append(tmp, r)
		}
	}
	copy(rows[nl:], tmp)
	return nl
}

// apply splits node id by its best split and prepares its children.
func (g *grower) apply(id int, importance []float64) (int, int) {
	nd := &g.nodes[id]
	sp := nd.best
	f := sp.feature
	importance[f] += sp.gain
	nb := g.b.nbins[f]
	goLeft := make([]bool, nb)
	goLeft[0] = sp.defaultLeft
	if sp.cat {
		for _, c := range sp.cats {
			goLeft[c+1] = true
		}
	} else {
		for k := 1; k <= sp.k; k++ {
			goLeft[k] = true
		}
	}
	// stable partition
	rows := g.rows[nd.begin:nd.end]
	var nl int
	if g.b.u8[f] != nil {
		nl = partition(rows, g.tmp, g.b.u8[f], goLeft)
	} else {
		nl = partition(rows, g.tmp, g.b.u16[f], goLeft)
	}
	mid := nd.begin + nl
	lq := slices.Clone(sp.lq)
	rq := make([]int64, len(lq))
	for j := range rq {
		rq[j] = nd.q[j] - lq[j]
	}
	left := node{begin: nd.begin, end: mid, depth: nd.depth + 1, cnt: int64(nl), q: lq, feature: -1}
	right := node{begin: mid, end: nd.end, depth: nd.depth + 1, cnt: int64(nd.end - mid), q: rq, feature: -1}
	li, ri := len(g.nodes), len(g.nodes)+1
	nd.feature, nd.goLeft, nd.left, nd.right = f, goLeft, li, ri
	parentHist := nd.hist
	nd.hist = nil
	canSplit := func(c *node) bool {
		return (g.p.MaxDepth == 0 || c.depth < g.p.MaxDepth) && c.cnt >= 2*int64(g.p.MinChildSamples)
	}
	// the leaf count after this split is checked by the caller; children
	// of the last allowed split need no histogram
	room := g.leafCount()+1 < g.p.MaxLeaves
	ls, rs := room && canSplit(&left), room && canSplit(&right)
	if ls || rs {
		small, large := &left, &right
		if right.cnt < left.cnt {
			small, large = &right, &left
		}
		small.hist = g.getHist()
		g.build(small, small.hist)
		g.subtract(parentHist, small.hist)
		large.hist = parentHist
		parentHist = nil
	}
	g.putHist(parentHist)
	for _, c := range []struct {
		n  *node
		ok bool
	}{{&left, ls}, {&right, rs}} {
		if c.ok {
			g.findSplit(c.n)
		} else {
			c.n.best.feature = -1
		}
		if c.n.best.feature < 0 {
			g.putHist(c.n.hist)
			c.n.hist = nil
		}
	}
	g.nodes = append(g.nodes, left, right)
	return li, ri
}

// leafCount is the number of leaves of the tree grown so far.
func (g *grower) leafCount() int {
	return (len(g.nodes) + 1) / 2
}

// leafOf walks the grown tree with row r's bins.
func leafOf(nodes []node, b *binned, r int) int {
	i := 0
	for nodes[i].feature >= 0 {
		nd := &nodes[i]
		if nd.goLeft[b.bin(nd.feature, r)] {
			i = nd.left
		} else {
			i = nd.right
		}
	}
	return i
}

// toModel writes the grown tree in the IR.
func toModel(nodes []node, b *binned, output int32) model.Tree {
	n := len(nodes)
	w := len(nodes[0].value)
	t := model.Tree{
		Output:      output,
		Feature:     make([]int32, n),
		Threshold:   make([]float32, n),
		Op:          make([]model.Op, n),
		DefaultLeft: make([]bool, n),
		Left:        make([]int32, n),
		Right:       make([]int32, n),
		Value:       make([]float32, n*w),
		Cover:       make([]float64, n),
	}
	hasSets := false
	for i := range nodes {
		if nodes[i].feature >= 0 && b.cat[nodes[i].feature] {
			hasSets = true
		}
	}
	if hasSets {
		t.CatBegin = make([]int32, n)
	}
	for i := range nodes {
		nd := &nodes[i]
		copy(t.Value[i*w:i*w+w], nd.value)
		// the node's cover: its rows' hessian sum (over every output of a
		// vector-leaf tree), what TreeSHAP weighs its children by
		for j := 0; j < w; j++ {
			t.Cover[i] += nd.gh[2*j+1]
		}
		if hasSets {
			t.CatBegin[i] = -1
		}
		if nd.feature < 0 {
			t.Feature[i], t.Left[i], t.Right[i] = -1, -1, -1
			continue
		}
		f := nd.feature
		t.Feature[i] = int32(f)
		t.Left[i], t.Right[i] = int32(nd.left), int32(nd.right)
		t.DefaultLeft[i] = nd.goLeft[0]
		if b.cat[f] {
			t.Op[i] = model.InSet
			t.CatBegin[i] = int32(len(t.CatBits))
			nc := b.ncat[f]
			words := make([]uint32, 1+(nc+31)/32)
			words[0] = uint32(nc)
			for c := 0; c < nc; c++ {
				if nd.goLeft[c+1] {
					words[1+c/32] |= 1 << (c % 32)
				}
			}
			t.CatBits = append(t.CatBits, words...)
			continue
		}
		k := 0
		for k+1 < len(nd.goLeft) && nd.goLeft[k+1] {
			k++
		}
		t.Threshold[i], t.Op[i] = b.threshold(f, k)
	}
	return t
}

// floor is math.Floor for |x| < 2^63 as an int64, without a call.
func floor(x float64) int64 {
	q := int64(x)
	if float64(q) > x {
		q--
	}
	return q
}
