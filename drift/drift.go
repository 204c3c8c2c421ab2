package drift

import (
	"cmp"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// Kind is Evidently's column type as the data definition assigns it.
type Kind string

// Kinds.
const (
	Numerical   Kind = "num"
	Categorical Kind = "cat"
)

// Test names a statistical test, by Evidently's stattest name.
type Test string

// Tests, and the defaults Evidently picks among them.
const (
	KS            Test = "ks"
	ChiSquareTest Test = "chisquare"
	Z             Test = "z"
	WassersteinN  Test = "wasserstein"
	JS            Test = "jensenshannon"
)

// Defaults of Evidently 0.4's DataDriftPreset.
const (
	// SmallReference: a reference column of at most this many values gets
	// the p-value tests, a larger one the distances.
	SmallReference = 1000
	// PValueThreshold: a p-value test finds drift below it.
	PValueThreshold = 0.05
	// DistanceThreshold: a distance finds drift at or above it.
	DistanceThreshold = 0.1
	// ShareThreshold: the dataset drifts when at least this share of its
	// columns does.
	ShareThreshold = 0.5
	// fewValues: a numeric column with at most this many distinct values
	// in both samples together is tested as categorical; an integer column
	// with at most this many in the reference is categorical outright.
	fewValues = 5
	// histBins is the number of bins of a numeric column's picture.
	histBins = 30
	// maxBars is the number of categories drawn before "other".
	maxBars = 20
)

// Report is the result of Compare.
type Report struct {
	DatasetDrift   bool     `json:"dataset_drift"`
	DriftShare     float64  `json:"drift_share"`
	DriftedColumns int      `json:"drifted_columns"`
	NumColumns     int      `json:"number_of_columns"`
	ThresholdShare float64  `json:"threshold_share"`
	ReferenceRows  int      `json:"reference_rows"`
	CurrentRows    int      `json:"current_rows"`
	Columns        []Column `json:"columns"`
}

// Column is the verdict on one column.
type Column struct {
	Column string `json:"column"`
	Kind   Kind   `json:"kind"`
	Test   Test   `json:"test"`
	// Statistic is the test's statistic: D for KS, Pearson's chi-square,
	// z, the normed Wasserstein distance or the Jensen-Shannon distance.
	Statistic Float `json:"statistic"`
	// PValue is set for the p-value tests (ks, chisquare, z).
	PValue    *Float  `json:"p_value,omitempty"`
	Threshold float64 `json:"threshold"`
	Drifted   bool    `json:"drifted"`
	// ReferenceValues and CurrentValues count the finite values tested;
	// Distinct counts distinct values over both.
	ReferenceValues int `json:"reference_values"`
	CurrentValues   int `json:"current_values"`
	Distinct        int `json:"distinct_values"`
	// Hist is the picture of both distributions (not in the JSON).
	Hist Histogram `json:"-"`
}

// Score is Evidently's drift score: the p-value of a p-value test, else
// the statistic.
func (c Column) Score() float64 {
	if c.PValue != nil {
		return float64(*c.PValue)
	}
	return float64(c.Statistic)
}

// Histogram holds both samples' shares per bin or category.
type Histogram struct {
	// Edges are the bin edges of a numeric picture (len(Ref)+1); nil for
	// categories.
	Edges []float64
	// Labels name the bars of a categorical picture.
	Labels []string
	// Ref and Cur are shares of each sample's values, summing to 1.
	Ref, Cur []float64
}

// Float is a float64 that encodes NaN and infinities as JSON null.
type Float float64

// MarshalJSON writes null for a non-finite value.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// Options control Compare.
type Options struct {
	// Progress, when set, is called after each column.
	Progress func(done, total int, column string)
}

// Compare tests every feature column of current against reference with
// Evidently's default tests and says whether the dataset drifted. The
// label column is not a feature and is never tested. Columns are matched
// by name; both datasets must have the same ones (*ColumnsError otherwise).
// Columns are reported drifted first, then by name.
func Compare(ref, cur *flowdata.Dataset, opt Options) (*Report, error) {
	if ref == nil || cur == nil || len(ref.Columns) != len(ref.Schema.Features) || len(cur.Columns) != len(cur.Schema.Features) {
		return nil, fmt.Errorf("%w: nil or malformed dataset", ErrInput)
	}
	curIdx := make(map[string]int, len(cur.Schema.Features))
	for j, f := range cur.Schema.Features {
		curIdx[f.Name] = j
	}
	var ce ColumnsError
	refNames := make(map[string]bool, len(ref.Schema.Features))
	for _, f := range ref.Schema.Features {
		refNames[f.Name] = true
		if _, ok := curIdx[f.Name]; !ok {
			ce.OnlyReference = append(ce.OnlyReference, f.Name)
		}
	}
	for _, f := range cur.Schema.Features {
		if !refNames[f.Name] {
			ce.OnlyCurrent = append(ce.OnlyCurrent, f.Name)
		}
	}
	if len(ce.OnlyReference) > 0 || len(ce.OnlyCurrent) > 0 {
		return nil, &ce
	}
	rep := &Report{ThresholdShare: ShareThreshold, ReferenceRows: ref.Rows, CurrentRows: cur.Rows}
	total := len(ref.Schema.Features)
	for _, rf := range ref.Schema.Features {
		if cf := cur.Schema.Features[curIdx[rf.Name]]; rf.Kind != cf.Kind {
			return nil, &ColumnError{Column: rf.Name, Err: ErrKind,
				Detail: fmt.Sprintf("%s in the reference, %s in the current data", rf.Kind, cf.Kind)}
		}
	}
	// Columns are independent: test them on GOMAXPROCS workers, each
	// result in its column's slot, so the report does not depend on the
	// scheduling.
	cols := make([]Column, total)
	errs := make([]error, total)
	next := make(chan int)
	var mu sync.Mutex
	done := 0
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), total) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range next {
				rf := ref.Schema.Features[j]
				k := curIdx[rf.Name]
				if rf.Kind == model.Categorical {
					cols[j], errs[j] = testCategories(rf.Name, ref.Columns[j], rf.Categories, cur.Columns[k], cur.Schema.Features[k].Categories)
				} else {
					cols[j], errs[j] = TestNumbers(rf.Name, ref.Columns[j], cur.Columns[k])
				}
				if opt.Progress != nil {
					mu.Lock()
					done++
					opt.Progress(done, total, rf.Name)
					mu.Unlock()
				}
			}
		}()
	}
	for j := range total {
		next <- j
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	rep.Columns = cols
	rep.finish()
	return rep, nil
}

func (r *Report) finish() {
	r.NumColumns = len(r.Columns)
	r.DriftedColumns = 0
	for _, c := range r.Columns {
		if c.Drifted {
			r.DriftedColumns++
		}
	}
	if r.NumColumns > 0 {
		r.DriftShare = float64(r.DriftedColumns) / float64(r.NumColumns)
	}
	r.DatasetDrift = r.NumColumns > 0 && r.DriftShare >= ShareThreshold
	slices.SortStableFunc(r.Columns, func(a, b Column) int {
		if a.Drifted != b.Drifted {
			if a.Drifted {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Column, b.Column)
	})
}

// finite converts the finite values of a float32 column to float64 (NaN
// and infinities are missing, as Evidently drops them) and reports whether
// every value was finite and a whole number (pandas would read the column
// as integers).
func finite(col []float32) ([]float64, bool) {
	out := make([]float64, 0, len(col))
	integer := true
	for _, v := range col {
		f := float64(v)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			integer = false
			continue
		}
		if f != math.Trunc(f) {
			integer = false
		}
		out = append(out, f)
	}
	return out, integer
}

// countDistinct counts distinct values of a sorted slice.
func countDistinct(s []float64) int {
	n := 0
	for i := range s {
		if i == 0 || s[i] != s[i-1] {
			n++
		}
	}
	return n
}

// TestNumbers tests one numeric column (NaN and infinities are missing)
// as Evidently does: the column is categorical when the current sample is
// all whole numbers with no missing value (pandas' integer dtype) and the
// reference has at most 5 distinct values; then the test follows the
// reference size and the distinct values of both samples together.
func TestNumbers(name string, refCol, curCol []float32) (Column, error) {
	ref, _ := finite(refCol)
	cur, curInteger := finite(curCol)
	if len(ref) == 0 {
		return Column{}, &ColumnError{Column: name, Err: ErrEmpty, Detail: "no finite value in the reference"}
	}
	if len(cur) == 0 {
		return Column{}, &ColumnError{Column: name, Err: ErrEmpty, Detail: "no finite value in the current data"}
	}
	slices.Sort(ref)
	slices.Sort(cur)
	kind := Numerical
	refUnique := countDistinct(ref)
	if curInteger && len(cur) == len(curCol) && refUnique <= fewValues {
		kind = Categorical
	}
	both := mergeSorted(ref, cur)
	distinct := countDistinct(both)
	c := Column{Column: name, Kind: kind, ReferenceValues: len(ref), CurrentValues: len(cur), Distinct: distinct}
	if kind == Numerical && distinct > fewValues {
		c.Hist = numericHist(ref, cur, both[0], both[len(both)-1])
		if len(ref) <= SmallReference {
			d, p := KS2Samp(ref, cur)
			c.setP(KS, d, p)
		} else {
			norm := math.Max(StdDev(ref), 0.001)
			c.setDistance(WassersteinN, Wasserstein(ref, cur)/norm)
		}
		return c, nil
	}
	// Few values: count them as categories.
	keys := make([]float64, 0, distinct)
	for i, v := range both {
		if i == 0 || v != both[i-1] {
			keys = append(keys, v)
		}
	}
	rc, cc := make([]float64, len(keys)), make([]float64, len(keys))
	countInto(rc, keys, ref)
	countInto(cc, keys, cur)
	labels := make([]string, len(keys))
	for i, k := range keys {
		labels[i] = strconv.FormatFloat(k, 'g', -1, 64)
	}
	categoricalTest(&c, rc, cc, len(ref) <= SmallReference)
	c.Hist = categoryHist(labels, rc, cc)
	return c, nil
}

func mergeSorted(a, b []float64) []float64 {
	out := make([]float64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if a[i] <= b[j] {
			out = append(out, a[i])
			i++
		} else {
			out = append(out, b[j])
			j++
		}
	}
	out = append(out, a[i:]...)
	return append(out, b[j:]...)
}

// countInto adds, for each sorted value, one to the count of its key.
func countInto(counts, keys, sorted []float64) {
	k := 0
	for _, v := range sorted {
		for keys[k] != v {
			k++
		}
		counts[k]++
	}
}

// testCategories tests a categorical column: codes into each file's own
// vocabulary, NaN missing; categories are matched by name.
func testCategories(name string, refCol []float32, refVocab []string, curCol []float32, curVocab []string) (Column, error) {
	idx := make(map[string]int)
	var labels []string
	add := func(s string) int {
		if i, ok := idx[s]; ok {
			return i
		}
		idx[s] = len(labels)
		labels = append(labels, s)
		return len(labels) - 1
	}
	refMap := make([]int, len(refVocab))
	for i, s := range refVocab {
		refMap[i] = add(s)
	}
	curMap := make([]int, len(curVocab))
	for i, s := range curVocab {
		curMap[i] = add(s)
	}
	rc, cc := make([]float64, len(labels)), make([]float64, len(labels))
	nr, err := countCodes(rc, refMap, refCol)
	if err != nil {
		return Column{}, &ColumnError{Column: name, Err: ErrInput, Detail: "reference: " + err.Error()}
	}
	nc, err := countCodes(cc, curMap, curCol)
	if err != nil {
		return Column{}, &ColumnError{Column: name, Err: ErrInput, Detail: "current data: " + err.Error()}
	}
	if nr == 0 {
		return Column{}, &ColumnError{Column: name, Err: ErrEmpty, Detail: "no value in the reference"}
	}
	if nc == 0 {
		return Column{}, &ColumnError{Column: name, Err: ErrEmpty, Detail: "no value in the current data"}
	}
	// Keep the categories seen in either sample, in name order (the order
	// Evidently's z-test uses to pick its "0" category).
	order := make([]int, 0, len(labels))
	for i := range labels {
		if rc[i] > 0 || cc[i] > 0 {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(labels[a], labels[b]) })
	l2, r2, c2 := make([]string, len(order)), make([]float64, len(order)), make([]float64, len(order))
	for i, o := range order {
		l2[i], r2[i], c2[i] = labels[o], rc[o], cc[o]
	}
	c := Column{Column: name, Kind: Categorical, ReferenceValues: nr, CurrentValues: nc, Distinct: len(order)}
	categoricalTest(&c, r2, c2, nr <= SmallReference)
	c.Hist = categoryHist(l2, r2, c2)
	return c, nil
}

func countCodes(counts []float64, remap []int, col []float32) (int, error) {
	n := 0
	for _, v := range col {
		if math.IsNaN(float64(v)) {
			continue
		}
		code := int(v)
		if code < 0 || code >= len(remap) || float32(code) != v {
			return 0, fmt.Errorf("category code %v outside the vocabulary of %d", v, len(remap))
		}
		counts[remap[code]]++
		n++
	}
	return n, nil
}

// categoricalTest runs the test for counts per category (keys in sorted
// order, every key seen at least once): chi-square with more than two
// categories, the z-test with at most two, for a small reference; the
// Jensen-Shannon distance for a large one.
func categoricalTest(c *Column, ref, cur []float64, small bool) {
	var nr, nc float64
	for i := range ref {
		nr += ref[i]
		nc += cur[i]
	}
	if !small {
		p, q := make([]float64, len(ref)), make([]float64, len(ref))
		for i := range ref {
			p[i], q[i] = ref[i]/nr, cur[i]/nc
		}
		c.setDistance(JS, JensenShannon(p, q))
		return
	}
	if len(ref) > 2 {
		k := nc / nr
		exp := make([]float64, len(ref))
		for i := range ref {
			exp[i] = ref[i] * k
		}
		stat, p := ChiSquare(cur, exp)
		c.setP(ChiSquareTest, stat, p)
		return
	}
	if len(ref) == 1 { // one value in both samples: Evidently's p-value 1
		c.setP(Z, 0, 1)
		return
	}
	// Evidently codes the first key in sorted order as 0, the other as 1.
	z, p := ZTest(int(ref[1]), int(nr), int(cur[1]), int(nc))
	c.setP(Z, z, p)
}

func (c *Column) setP(t Test, stat, p float64) {
	pv := Float(p)
	c.Test, c.Statistic, c.PValue, c.Threshold = t, Float(stat), &pv, PValueThreshold
	c.Drifted = p < PValueThreshold
}

func (c *Column) setDistance(t Test, d float64) {
	c.Test, c.Statistic, c.Threshold = t, Float(d), DistanceThreshold
	c.Drifted = d >= DistanceThreshold
}

// numericHist bins both sorted samples into histBins equal bins over
// [lo, hi], as shares.
func numericHist(ref, cur []float64, lo, hi float64) Histogram {
	if !(hi > lo) || math.IsInf(hi-lo, 0) {
		hi = lo + 1
	}
	h := Histogram{Edges: make([]float64, histBins+1), Ref: make([]float64, histBins), Cur: make([]float64, histBins)}
	w := (hi - lo) / histBins
	for i := range h.Edges {
		h.Edges[i] = lo + float64(i)*w
	}
	h.Edges[histBins] = hi
	bin := func(dst []float64, xs []float64) {
		for _, x := range xs {
			b := int((x - lo) / w)
			b = max(0, min(b, histBins-1))
			dst[b]++
		}
		for i := range dst {
			dst[i] /= float64(len(xs))
		}
	}
	bin(h.Ref, ref)
	bin(h.Cur, cur)
	return h
}

// categoryHist keeps the maxBars categories most frequent in either
// sample and sums the rest into "other".
func categoryHist(labels []string, ref, cur []float64) Histogram {
	var nr, nc float64
	for i := range ref {
		nr += ref[i]
		nc += cur[i]
	}
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	weight := func(i int) float64 { return ref[i]/nr + cur[i]/nc }
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(weight(b), weight(a)) })
	h := Histogram{}
	var or, oc float64
	for rank, i := range order {
		if rank < maxBars {
			h.Labels = append(h.Labels, labels[i])
			h.Ref = append(h.Ref, ref[i]/nr)
			h.Cur = append(h.Cur, cur[i]/nc)
		} else {
			or += ref[i] / nr
			oc += cur[i] / nc
		}
	}
	if len(order) > maxBars {
		h.Labels = append(h.Labels, fmt.Sprintf("other (%d)", len(order)-maxBars))
		h.Ref = append(h.Ref, or)
		h.Cur = append(h.Cur, oc)
	}
	return h
}
