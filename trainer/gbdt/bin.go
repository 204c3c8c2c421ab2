package gbdt

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/flowsense/flowsense/model"
)

// binSample is the most rows whose values choose a feature's bin edges.
const binSample = 50000

// binned is the training data mapped to bins, feature-major. Bin 0 of every
// feature is the missing bin; for a numeric feature bin b >= 1 holds the
// values x with edges[b-2] <= x < edges[b-1] (edges[-1] = -Inf,
// edges[len] = +Inf); for a categorical feature bin b >= 1 is code b-1.
type binned struct {
	rows  int
	nbins []int       // per feature, including the missing bin
	edges [][]float32 // numeric features: ascending data values
	cat   []bool
	ncat  []int // categorical vocabulary sizes
	off   []int // per feature offset, in bins, into a histogram
	// mfb is, per feature, the bin that holds at least half the rows, or
	// -1: histograms skip its rows and get its sums by subtraction from
	// the node's totals (most flow features are mostly zero).
	mfb []int
	// posInf marks numeric features with a +Inf value: their top bin holds
	// it, and no finite threshold sends +Inf left with the finite values,
	// so "every value left, missing right" is not offered for them.
	posInf []bool
	total  int // bins over all features
	// The bins of feature f: u8[f] when it has at most 256 bins, else
	// u16[f] (the other is nil): one byte a cell but where a feature needs
	// more.
	u8  [][]uint8
	u16 [][]uint16
}

// bin returns row r's bin for feature f.
func (b *binned) bin(f, r int) int {
	if c := b.u8[f]; c != nil {
		return int(c[r])
	}
	return int(b.u16[f][r])
}

// binOf maps a value of feature f to its bin.
func (b *binned) binOf(f int, x float32) int {
	if x != x {
		return 0
	}
	if b.cat[f] {
		if !(x >= 0) || x >= float32(b.ncat[f]) {
			return 0
		}
		return int(uint32(x)) + 1
	}
	e := b.edges[f]
	return 1 + sort.Search(len(e), func(i int) bool { return e[i] > x })
}

// numericEdges chooses at most maxBins-1 edges from the sorted non-NaN
// values v: each edge is a value of v, and the cuts spread the values
// evenly over the bins left, so a heavy value takes one bin and the rest
// share the others.
func numericEdges(v []float32, maxBins int) []float32 {
	if len(v) == 0 {
		return nil
	}
	// distinct values with counts
	var uniq []float32
	var cnt []int
	for i, x := range v {
		if i > 0 && x == v[i-1] {
			cnt[len(cnt)-1]++
			continue
		}
		uniq = append(uniq, x)
		cnt = append(cnt, 1)
	}
	if len(uniq) <= maxBins {
		return slices.Clone(uniq[1:])
	}
	n := len(v)
	var edges []float32
	cum, last := 0, 0
	for i := 0; i < len(uniq)-1; i++ {
		left := maxBins - len(edges)
		if left <= 1 {
			break
		}
		cum += cnt[i]
		if float64(cum-last) >= float64(n-last)/float64(left) {
			edges = append(edges, uniq[i+1])
			last = cum
		}
	}
	return edges
}

// binData chooses edges on a seeded sample of rows and bins every row.
func binData(d *Data, maxBins, threads int, seed uint64) *binned {
	nf := len(d.Columns)
	n := len(d.Y)
	b := &binned{rows: n, nbins: make([]int, nf), edges: make([][]float32, nf),
		cat: make([]bool, nf), ncat: make([]int, nf), off: make([]int, nf)}
	var sample []int
	if n > binSample {
		rng := rand.New(rand.NewPCG(seed, 0x62696e73))
		sample = rng.Perm(n)[:binSample]
		slices.Sort(sample)
	}
	for f := 0; f < nf; f++ {
		if d.Kinds != nil && d.Kinds[f] == model.Categorical {
			b.cat[f] = true
			b.ncat[f] = d.Categories[f]
		}
	}
	parallelFor(threads, nf, func(f int) {
		if b.cat[f] {
			b.nbins[f] = b.ncat[f] + 1
			return
		}
		col := d.Columns[f]
		var v []float32
		if sample != nil {
			v = make([]float32, 0, len(sample))
			for _, r := range sample {
				if x := col[r]; x == x {
					v = append(v, x)
				}
			}
		} else {
			v = make([]float32, 0, n)
			for _, x := range col {
				if x == x {
					v = append(v, x)
				}
			}
		}
		slices.Sort(v)
		b.edges[f] = numericEdges(v, maxBins)
		b.nbins[f] = len(b.edges[f]) + 2
	})
	for f := 0; f < nf; f++ {
		b.off[f] = b.total
		b.total += b.nbins[f]
	}
	b.u16 = make([][]uint16, nf)
	b.u8 = make([][]uint8, nf)
	parallelFor(threads, nf, func(f int) {
		col := d.Columns[f]
		if b.nbins[f] > 256 {
			out := make([]uint16, n)
			for r, x := range col {
				out[r] = uint16(b.binOf(f, x))
			}
			b.u16[f] = out
			return
		}
		out := make([]uint8, n)
		if !b.cat[f] && len(b.edges[f]) < 16 {
			e := b.edges[f]
			for r, x := range col {
				if x != x {
					out[r] = 0
					continue
				}
				k := 1
				for _, t := range e {
					if x < t {
						break
					}
					k++
				}
				out[r] = uint8(k)
			}
		} else {
			for r, x := range col {
				out[r] = uint8(b.binOf(f, x))
			}
		}
		b.u8[f] = out
	})
	b.mfb = make([]int, nf)
	b.posInf = make([]bool, nf)
	parallelFor(threads, nf, func(f int) {
		if !b.cat[f] {
			for _, x := range d.Columns[f] {
				if math.IsInf(float64(x), 1) {
					b.posInf[f] = true
					break
				}
			}
		}
		cnt := make([]int, b.nbins[f])
		if b.u8[f] != nil {
			for _, x := range b.u8[f] {
				cnt[x]++
			}
		} else {
			for _, x := range b.u16[f] {
				cnt[x]++
			}
		}
		b.mfb[f] = -1
		for k, c := range cnt {
			if 2*c >= n {
				b.mfb[f] = k
			}
		}
	})
	return b
}

// threshold returns the model threshold and comparison that send a value
// left exactly when its bin is at most k (1 <= k < nbins) for numeric
// feature f. An edge of +Inf (or k = nbins-1, every value left) has no
// finite Less threshold; x < +Inf is x <= MaxFloat32 for every non-NaN x.
func (b *binned) threshold(f, k int) (float32, model.Op) {
	if k-1 >= len(b.edges[f]) {
		return math.MaxFloat32, model.LessEqual
	}
	t := b.edges[f][k-1]
	if math.IsInf(float64(t), 1) {
		return math.MaxFloat32, model.LessEqual
	}
	return t, model.Less
}
