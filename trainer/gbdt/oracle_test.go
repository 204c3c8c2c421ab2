package gbdt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// oracleCase is a tiny random training problem: a few numeric and
// categorical features with missing values, and random gradients.
type oracleCase struct {
	d  *Data
	gh []float32 // g, h per output per row
	w  int
}

func randomOracleCase(rng *rand.Rand, w int, cats bool) oracleCase {
	n := 8 + rng.IntN(40)
	nf := 1 + rng.IntN(3)
	d := &Data{Y: make([]int32, n), Classes: 2}
	for f := 0; f < nf; f++ {
		col := make([]float32, n)
		kind := model.Numeric
		ncat := 0
		if cats && rng.IntN(2) == 0 {
			kind = model.Categorical
			ncat = 2 + rng.IntN(5)
		}
		pMiss := []float64{0, 0, 0.15, 0.4}[rng.IntN(4)]
		distinct := 2 + rng.IntN(8)
		for r := range col {
			switch {
			case rng.Float64() < pMiss:
				col[r] = float32(math.NaN())
			case kind == model.Categorical:
				col[r] = float32(rng.IntN(ncat))
			default:
				col[r] = float32(rng.IntN(distinct))
				if rng.IntN(30) == 0 {
					col[r] = float32(math.Inf(1))
				}
			}
		}
		d.Columns = append(d.Columns, col)
		d.Kinds = append(d.Kinds, kind)
		d.Categories = append(d.Categories, ncat)
	}
	gh := make([]float32, n*2*w)
	for i := 0; i < n*w; i++ {
		gh[2*i] = float32(rng.NormFloat64())
		gh[2*i+1] = float32(0.25 + rng.Float64())
	}
	return oracleCase{d: d, gh: gh, w: w}
}

// grower returns a grower over every row and feature of c.
func (c oracleCase) grower(p *Params) *grower {
	b := binData(c.d, 255, 1, 1)
	g := newGrower(p, b, c.w, 1)
	g.rows = make([]int32, len(c.d.Y))
	for i := range g.rows {
		g.rows[i] = int32(i)
	}
	g.full = true
	g.gh, g.ghStride = c.gh, 2*c.w
	g.seed = 7
	for f := range b.nbins {
		g.feats = append(g.feats, f)
	}
	return g
}

// bruteSplit is the best gain over every split the model can express:
// numeric thresholds between any two bins, any subset of the categories
// present, and missing values on either side. Each partition is scored by
// the grower's own eval (the quantised sums and the child bounds), so the
// oracle checks the search, not the arithmetic.
func bruteSplit(g *grower, n *node) (gain float64, feature int) {
	feature = -1
	rq := make([]int64, g.w)
	s := g.s
	parent, _ := g.score(n.q)
	for _, f := range g.feats {
		fh := g.featHist(n.hist, f)
		nb := g.b.nbins[f]
		try := func(left []bool) {
			l := make([]int64, s)
			for k, in := range left {
				if in {
					for j := range l {
						l[j] += fh[k*s+j]
					}
				}
			}
			if v, ok := g.eval(n, l[0], l[1:], rq, parent); ok && v > gain {
				gain, feature = v, f
			}
		}
		for _, dl := range []bool{false, true} {
			if g.b.cat[f] {
				for mask := 0; mask < 1<<(nb-1); mask++ {
					left := make([]bool, nb)
					left[0] = dl
					for k := 1; k < nb; k++ {
						left[k] = mask&(1<<(k-1)) != 0
					}
					try(left)
				}
				continue
			}
			for k := 1; k < nb; k++ {
				if k == nb-1 && g.b.posInf[f] {
					continue // +Inf cannot go left with every finite value
				}
				left := make([]bool, nb)
				left[0] = dl
				for i := 1; i <= k; i++ {
					left[i] = true
				}
				try(left)
			}
		}
	}
	return gain, feature
}

// TestSplitSearchOracle checks the split search against brute force on
// tiny random problems: the trainer's best gain equals the best over
// every expressible split, and with no missing value in the node the
// default direction follows the larger child. Categorical sets are
// searched by ordering categories by gradient over hessian, which is exact
// for one output with no L2 penalty and no smoothing (Fisher 1958), so the
// categorical cases run there; numeric cases run with several outputs and
// random penalties and child bounds.
func TestSplitSearchOracle(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for trial := 0; trial < 3000; trial++ {
		cats := trial%2 == 0
		w := 1
		p := DefaultParams()
		p.MaxDepth = 0
		p.MinSplitGain = 0
		p.MinChildWeight = 0
		if cats {
			p.Lambda, p.CatSmooth, p.MinChildSamples = 0, 0, 1
		} else {
			w = 1 + rng.IntN(3)
			p.Lambda = []float64{0, 0.5, 3}[rng.IntN(3)]
			p.MinChildSamples = 1 + rng.IntN(4)
			p.MinChildWeight = []float64{0, 1}[rng.IntN(2)]
		}
		c := randomOracleCase(rng, w, cats)
		g := c.grower(&p)
		root := g.root()
		name := fmt.Sprintf("trial %d (%d rows, %d features, w=%d, lambda %v, min child %d)",
			trial, len(c.d.Y), len(c.d.Columns), w, p.Lambda, p.MinChildSamples)
		want, wantF := bruteSplit(g, &root)
		got := root.best
		if wantF < 0 || !(want > 0) {
			if got.feature >= 0 {
				t.Fatalf("%s: trainer split feature %d gain %v; brute force finds no split with positive gain", name, got.feature, got.gain)
			}
			continue
		}
		if got.feature < 0 {
			t.Fatalf("%s: trainer finds no split; brute force gains %v on feature %d", name, want, wantF)
		}
		if d := math.Abs(got.gain - want); d > 1e-9*math.Max(1, want) {
			t.Fatalf("%s: trainer's best gain %v (feature %d), brute force %v (feature %d)", name, got.gain, got.feature, want, wantF)
		}
		fh := g.featHist(root.hist, got.feature)
		if fh[0] == 0 {
			if larger := got.lcnt >= root.cnt-got.lcnt; got.defaultLeft != larger {
				t.Fatalf("%s: no missing value in the node, left child %d of %d rows, default left %v: want the larger child",
					name, got.lcnt, root.cnt, got.defaultLeft)
			}
		}
	}
}

// TestTreesReachMaxLeaves checks that a tree grows exactly MaxLeaves
// leaves when every node can still split, under both growth policies.
func TestTreesReachMaxLeaves(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const n = 2000
	d := &Data{Y: make([]int32, n), Classes: 2}
	for f := 0; f < 4; f++ {
		col := make([]float32, n)
		for r := range col {
			col[r] = float32(rng.IntN(1000))
		}
		d.Columns = append(d.Columns, col)
	}
	gh := make([]float32, 2*n)
	for r := 0; r < n; r++ {
		gh[2*r] = float32(math.Sin(float64(d.Columns[0][r])/50) + 0.3*rng.NormFloat64())
		gh[2*r+1] = 1
	}
	c := oracleCase{d: d, gh: gh, w: 1}
	for _, growth := range []string{GrowLeaf, GrowDepth} {
		for _, leaves := range []int{2, 3, 7, 16, 31} {
			p := DefaultParams()
			p.MaxDepth, p.MinChildSamples, p.Growth, p.MaxLeaves = 0, 1, growth, leaves
			g := c.grower(&p)
			nodes := g.grow(make([]float64, len(d.Columns)))
			got := 0
			for _, nd := range nodes {
				if nd.feature < 0 {
					got++
				}
			}
			if got != leaves {
				t.Errorf("%s growth, MaxLeaves %d: the tree has %d leaves", growth, leaves, got)
			}
		}
	}
}
