package gbdt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
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
	n := len(d.Y)
	b := newBinned(d.Columns, nil, n, d.Kinds, d.Categories, maxBins, threads, seed)
	b.fill(d.Columns, nil, 0, threads)
	b.finish(threads)
	return b
}

// newBinned chooses the bin edges of n rows from the values of some of
// them: sample holds, per feature, the values of the rows sampleRows
// (ascending, in 0..n-1), or of every row when sampleRows is nil. Numeric
// edges come from at most binSample rows of the sample, drawn with seed:
// with every row in the sample, the edges binData chooses. The bins are
// allocated, not filled (fill, then finish).
func newBinned(sample [][]float32, sampleRows []int, n int, kinds []model.Kind, categories []int, maxBins, threads int, seed uint64) *binned {
	nf := len(sample)
	b := &binned{rows: n, nbins: make([]int, nf), edges: make([][]float32, nf),
		cat: make([]bool, nf), ncat: make([]int, nf), off: make([]int, nf)}
	m := n
	if sampleRows != nil {
		m = len(sampleRows)
	}
	var pick []int
	if m > binSample {
		rng := rand.New(rand.NewPCG(seed, 0x62696e73))
		pick = rng.Perm(m)[:binSample]
		slices.Sort(pick)
	}
	for f := 0; f < nf; f++ {
		if kinds != nil && kinds[f] == model.Categorical {
			b.cat[f] = true
			b.ncat[f] = categories[f]
		}
	}
	parallelFor(threads, nf, func(f int) {
		if b.cat[f] {
			b.nbins[f] = b.ncat[f] + 1
			return
		}
		col := sample[f]
		var v []float32
		if pick != nil {
			v = make([]float32, 0, len(pick))
			for _, r := range pick {
				if x := col[r]; x == x {
					v = append(v, x)
				}
			}
		} else {
			v = make([]float32, 0, len(col))
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
	b.posInf = make([]bool, nf)
	for f := 0; f < nf; f++ {
		if b.nbins[f] > 256 {
			b.u16[f] = make([]uint16, n)
		} else {
			b.u8[f] = make([]uint8, n)
		}
	}
	return b
}

// fill bins rows of cols (feature-major): row src[i] of cols goes to row
// dst+i of the bins, or, with src nil, every row of cols to dst onwards.
// It notes the +Inf values of numeric features.
func (b *binned) fill(cols [][]float32, src []int32, dst, threads int) {
	parallelFor(threads, len(cols), func(f int) {
		col := cols[f]
		m := len(src)
		if src == nil {
			m = len(col)
		}
		at := func(i int) float32 {
			if src == nil {
				return col[i]
			}
			return col[src[i]]
		}
		if !b.cat[f] && !b.posInf[f] {
			for i := 0; i < m; i++ {
				if math.IsInf(float64(at(i)), 1) {
					b.posInf[f] = true
					break
				}
			}
		}
		if b.u16[f] != nil {
			out := b.u16[f][dst : dst+m]
			for i := range out {
				out[i] = uint16(b.binOf(f, at(i)))
			}
			return
		}
		out := b.u8[f][dst : dst+m]
		if !b.cat[f] && len(b.edges[f]) < 16 {
			e := b.edges[f]
			for i := range out {
				x := at(i)
				if x != x {
					out[i] = 0
					continue
				}
				k := 1
				for _, t := range e {
					if x < t {
						break
					}
					k++
				}
				out[i] = uint8(k)
			}
		} else {
			for i := range out {
				out[i] = uint8(b.binOf(f, at(i)))
			}
		}
	})
}

// finish sets, once every row is binned, each feature's most frequent bin
// (mfb).
func (b *binned) finish(threads int) {
	nf := len(b.nbins)
	n := b.rows
	b.mfb = make([]int, nf)
	parallelFor(threads, nf, func(f int) {
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
}

// Bins is training data binned ahead of Train, for data too large to hold
// as float32 columns (one byte a cell instead of four; two for a feature
// of more than 256 bins): NewBins chooses the edges from a sample of the
// rows, Add bins the rows as they are read, Data.Bins hands them to Train.
type Bins struct {
	b       *binned
	threads int
	added   int
}

// NewBins chooses the bins of n rows of len(sample) features from the
// values of some of them: sample[f] holds feature f of the rows
// sampleRows (ascending, in 0..n-1). kinds and categories are Data's
// (nil kinds: all numeric); maxBins and seed must be the Params.MaxBins
// and Params.Seed that Train is given. With every row in the sample the
// bins are those Train makes from the whole columns, so the model is the
// same.
func NewBins(sample [][]float32, sampleRows []int, n int, kinds []model.Kind, categories []int, maxBins int, seed uint64, threads int) (*Bins, error) {
	bad := func(field, format string, args ...any) error {
		return &DataError{Field: field, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case len(sample) == 0:
		return nil, bad("Columns", "no features")
	case n <= 0 || n > maxRows:
		return nil, bad("Y", "%d rows, want 1 to %d", n, maxRows)
	case kinds != nil && (len(kinds) != len(sample) || len(categories) != len(sample)):
		return nil, bad("Kinds", "%d kinds and %d sizes for %d columns", len(kinds), len(categories), len(sample))
	case maxBins < 2 || maxBins > 65535:
		return nil, &ParamError{Param: "MaxBins", Reason: fmt.Sprintf("%d, want 2 to 65535", maxBins)}
	}
	for k, r := range sampleRows {
		if r < 0 || r >= n || (k > 0 && r <= sampleRows[k-1]) {
			return nil, bad("sampleRows", "row %d at %d: want ascending rows in [0, %d)", r, k, n)
		}
	}
	for f, c := range sample {
		if len(c) != len(sampleRows) {
			return nil, bad(fmt.Sprintf("Columns[%d]", f), "%d sampled values for %d rows", len(c), len(sampleRows))
		}
		if kinds != nil && kinds[f] == model.Categorical && (categories[f] < 0 || categories[f] > 65534) {
			return nil, bad(fmt.Sprintf("Categories[%d]", f), "%d categories, need 0 to 65534", categories[f])
		}
	}
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	return &Bins{b: newBinned(sample, sampleRows, n, kinds, categories, maxBins, threads, seed), threads: threads}, nil
}

// Add bins the next rows: row src[i] of cols (feature-major) for every i,
// or every row of cols when src is nil. Rows are taken in order, from row
// 0; more rows than NewBins was told is an error.
func (s *Bins) Add(cols [][]float32, src []int32) error {
	if len(cols) != len(s.b.nbins) {
		return &DataError{Field: "Columns", Reason: fmt.Sprintf("%d columns for %d features", len(cols), len(s.b.nbins))}
	}
	m := len(src)
	if src == nil {
		m = len(cols[0])
	}
	if s.added+m > s.b.rows {
		return &DataError{Field: "Y", Reason: fmt.Sprintf("more than the %d rows announced", s.b.rows)}
	}
	s.b.fill(cols, src, s.added, s.threads)
	s.added += m
	return nil
}

// Rows is the number of rows added so far.
func (s *Bins) Rows() int { return s.added }

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
