package gbdt

import (
	"math"
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
	lcnt        float64
	lgh         []float64 // left g/h sums, 2W, interleaved
}

// node is a tree node while it grows.
type node struct {
	begin, end int // its rows in grower.rows
	depth      int
	cnt        float64
	gh         []float64 // g/h sums, 2W interleaved
	hist       []float64
	best       split
	// set once split
	feature     int
	goLeft      []bool // per bin of feature
	left, right int
	value       []float32
}

// grower grows one tree on the rows it is given.
type grower struct {
	p       *Params
	b       *binned
	w, s    int // outputs per leaf; histogram stride 1+2w
	threads int
	feats   []int // features this tree may split on

	gh       []float32 // gradients of every row: stride per row, from off
	ghStride int
	ghOff    int

	rows []int32
	tmp  []int32
	og   []float32
	full bool // rows are 0..n-1: the root reads gradients in place

	pool  [][]float64
	fbest []split // per feature scratch
	nodes []node
}

func newGrower(p *Params, b *binned, w, threads int) *grower {
	g := &grower{p: p, b: b, w: w, s: 1 + 2*w, threads: threads}
	g.fbest = make([]split, len(b.nbins))
	for f := range g.fbest {
		g.fbest[f].lgh = make([]float64, 2*w)
	}
	return g
}

func (g *grower) getHist() []float64 {
	if n := len(g.pool); n > 0 {
		h := g.pool[n-1]
		g.pool = g.pool[:n-1]
		return h
	}
	return make([]float64, g.b.total*g.s)
}

func (g *grower) putHist(h []float64) {
	if h != nil {
		g.pool = append(g.pool, h)
	}
}

func (g *grower) featHist(h []float64, f int) []float64 {
	return h[g.b.off[f]*g.s : (g.b.off[f]+g.b.nbins[f])*g.s]
}

// build fills h for the rows of n.
func (g *grower) build(n *node, h []float64) {
	rows := g.rows[n.begin:n.end]
	w2 := 2 * g.w
	var og []float32
	var idx []int32
	if g.full && n.begin == 0 && n.end == len(g.rows) && g.ghStride == w2 {
		og = g.gh[:len(rows)*w2]
	} else {
		og = g.og[:len(rows)*w2]
		for i, r := range rows {
			src := g.gh[int(r)*g.ghStride+g.ghOff : int(r)*g.ghStride+g.ghOff+w2]
			copy(og[i*w2:i*w2+w2], src)
		}
		idx = rows
		if g.full && n.begin == 0 && n.end == len(g.rows) {
			idx = nil
		}
	}
	parallelFor(g.threads, len(g.feats), func(i int) {
		f := g.feats[i]
		fh := g.featHist(h, f)
		skip := g.b.mfb[f]
		if g.b.u8 != nil {
			histRows(fh, g.b.u8[f], idx, og, g.w, skip)
		} else {
			histRows(fh, g.b.u16[f], idx, og, g.w, skip)
		}
		if skip >= 0 {
			fillSkipped(fh, g.s, skip, n.cnt, n.gh)
		}
	})
}

// subtract turns parent into parent - small for the tree's features.
func (g *grower) subtract(parent, small []float64) {
	parallelFor(g.threads, len(g.feats), func(i int) {
		f := g.feats[i]
		p := g.featHist(parent, f)
		s := g.featHist(small, f)
		for j := range p {
			p[j] -= s[j]
		}
	})
}

// score is sum over outputs of G^2/(H+lambda).
func (g *grower) score(gh []float64) float64 {
	var s float64
	lam := g.p.Lambda
	for j := 0; j < len(gh); j += 2 {
		d := gh[j+1] + lam
		if d > 0 {
			s += gh[j] * gh[j] / d
		}
	}
	return s
}

func hsum(gh []float64) float64 {
	var s float64
	for j := 1; j < len(gh); j += 2 {
		s += gh[j]
	}
	return s
}

// findSplit sets n.best to the best split of n over the tree's features.
func (g *grower) findSplit(n *node) {
	n.best.feature = -1
	n.best.gain = 0
	if g.p.MaxDepth > 0 && n.depth >= g.p.MaxDepth || n.cnt < 2*float64(g.p.MinChildSamples) {
		return
	}
	parent := g.score(n.gh)
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
	lgh := n.best.lgh
	if lgh == nil {
		lgh = make([]float64, 2*g.w)
	}
	copy(lgh, bf.lgh)
	n.best = *bf
	n.best.lgh = lgh
	n.best.cats = slices.Clone(bf.cats)
}

// eval scores a left side (cnt, gh) of node n; ok is false when a child
// breaks a bound.
func (g *grower) eval(n *node, lcnt float64, lgh, rgh []float64, parent float64) (float64, bool) {
	rcnt := n.cnt - lcnt
	mcs := float64(g.p.MinChildSamples)
	if lcnt < mcs || rcnt < mcs {
		return 0, false
	}
	for j := range lgh {
		rgh[j] = n.gh[j] - lgh[j]
	}
	if hsum(lgh) < g.p.MinChildWeight || hsum(rgh) < g.p.MinChildWeight {
		return 0, false
	}
	return 0.5 * (g.score(lgh) + g.score(rgh) - parent), true
}

func (g *grower) numSplit(n *node, f int, fh []float64, parent float64, best *split) {
	s, w2 := g.s, 2*g.w
	nb := g.b.nbins[f]
	miss := fh[:s]
	acc := make([]float64, s)   // left without missing
	withM := make([]float64, s) // left with missing
	rgh := make([]float64, w2)
	try := func(k int, l []float64, dl bool) {
		gain, ok := g.eval(n, l[0], l[1:], rgh, parent)
		if ok && gain > best.gain {
			best.gain, best.feature, best.cat, best.k = gain, f, false, k
			best.lcnt = l[0]
			copy(best.lgh, l[1:])
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
		if k == nb-1 && miss[0] == 0 {
			break // everything left
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

func (g *grower) catSplit(n *node, f int, fh []float64, parent float64, best *split) {
	s, w2 := g.s, 2*g.w
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
	acc := make([]float64, s)
	withM := make([]float64, s)
	rgh := make([]float64, w2)
	order := make([]int32, len(present))
	key := make([]float64, nb)
	smooth := g.p.CatSmooth
	for out := 0; out < g.w; out++ {
		for _, k := range present {
			b := fh[int(k)*s : int(k)*s+s]
			key[k] = b[1+2*out] / (b[2+2*out] + smooth)
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
		for dir := 0; dir < 2; dir++ {
			clear(acc)
			for i := range order {
				k := order[i]
				if dir == 1 {
					k = order[len(order)-1-i]
				}
				b := fh[int(k)*s : int(k)*s+s]
				for j := range acc {
					acc[j] += b[j]
				}
				prefix := i + 1
				try := func(l []float64, dl bool) {
					gain, ok := g.eval(n, l[0], l[1:], rgh, parent)
					if !ok || !(gain > best.gain) {
						return
					}
					best.gain, best.feature, best.cat = gain, f, true
					best.lcnt = l[0]
					copy(best.lgh, l[1:])
					if miss[0] == 0 {
						dl = l[0] >= n.cnt-l[0]
					}
					best.defaultLeft = dl
					best.cats = best.cats[:0]
					for t := 0; t < prefix; t++ {
						c := order[t]
						if dir == 1 {
							c = order[len(order)-1-t]
						}
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
}

// grow grows a tree on g.rows (sorted row ids) with per-row gradients in
// g.gh, and returns its nodes.
func (g *grower) grow(sum []float64, importance []float64) []node {
	g.nodes = g.nodes[:0]
	p := g.p
	root := node{begin: 0, end: len(g.rows), cnt: float64(len(g.rows)), gh: sum}
	if cap(g.og) < len(g.rows)*2*g.w {
		g.og = make([]float32, len(g.rows)*2*g.w)
	}
	if cap(g.tmp) < len(g.rows) {
		g.tmp = make([]int32, len(g.rows))
	}
	root.hist = g.getHist()
	g.build(&root, root.hist)
	g.findSplit(&root)
	root.feature = -1
	g.nodes = append(g.nodes, root)
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
	nl := 0
	tmp := g.tmp[:0]
	if g.b.u8 != nil {
		col := g.b.u8[f]
		for _, r := range rows {
			if goLeft[col[r]] {
				rows[nl] = r
				nl++
			} else {
				tmp = append(tmp, r)
			}
		}
	} else {
		col := g.b.u16[f]
		for _, r := range rows {
			if goLeft[col[r]] {
				rows[nl] = r
				nl++
			} else {
				tmp = append(tmp, r)
			}
		}
	}
	copy(rows[nl:], tmp)
	mid := nd.begin + nl
	lgh := slices.Clone(sp.lgh)
	rgh := make([]float64, len(lgh))
	for j := range rgh {
		rgh[j] = nd.gh[j] - lgh[j]
	}
	left := node{begin: nd.begin, end: mid, depth: nd.depth + 1, cnt: float64(nl), gh: lgh, feature: -1}
	right := node{begin: mid, end: nd.end, depth: nd.depth + 1, cnt: float64(nd.end - mid), gh: rgh, feature: -1}
	li, ri := len(g.nodes), len(g.nodes)+1
	nd.feature, nd.goLeft, nd.left, nd.right = f, goLeft, li, ri
	parentHist := nd.hist
	nd.hist = nil
	canSplit := func(c *node) bool {
		return (g.p.MaxDepth == 0 || c.depth < g.p.MaxDepth) && c.cnt >= 2*float64(g.p.MinChildSamples)
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
