package functions

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// PSIEpsilon stands in for the share of an empty bin in the population
// stability index, which would otherwise divide by zero or take the
// logarithm of zero.
const PSIEpsilon = 1e-4

// DriftMinFlows is how many live values a feature needs before its
// population stability index is exported. With fewer, most bins are empty
// and the index says nothing (one ordinary flow scores 0.7 to 9 against a
// 0.2 alert threshold), and a replica that scaled up from zero would raise
// an alert on its first requests.
const DriftMinFlows = 500

// drift counts live feature values into the bins of the model's reference
// histograms (model.Histogram: numeric bins between ascending edges,
// categorical bins per code plus one for unknown codes, and a bin of its
// own here for missing values) and reports, at scrape time, each feature's
// population stability index against the reference:
//
//	PSI = Σ_i (q_i − p_i) · ln(q_i / p_i)
//
// where p_i is bin i's share of the reference (Counts and Missing), q_i
// its share of the live values counted since the server started, both
// raised to PSIEpsilon when smaller. 0 is the same distribution; the usual
// reading is < 0.1 stable, 0.1–0.2 a moderate shift, > 0.2 a significant
// one. The logarithms are taken only when scraped.
//
// Counting a value is a binary search over at most a few dozen edges. A
// call with at least as many values as there are bins counts them in a
// tally of its own (pooled) and then adds each bin that has a count to the
// shared counts with one atomic add: a batch of flows, whose values share
// most bins, takes a few atomic adds per feature rather than one per
// value, and concurrent requests contend on the shared cache lines that
// much less. A smaller call (one flow) adds each value, which is fewer
// atomic adds than bins. ClassifyRows calls it once per module call: once
// per request of up to abi.DefaultMaxBatch flows. BenchmarkDriftObserve_*
// compares it with an atomic add per value.
type drift struct {
	desc   *prometheus.Desc
	feats  []driftFeature
	live   []atomic.Int64 // every feature's bins, then its missing bin, back to back
	tallys sync.Pool      // of *tally, len(live) counts each
}

// tally is one observe call's counts, per bin of drift.live.
type tally struct {
	count []uint32
}

type driftFeature struct {
	name string
	hist model.Histogram // the reference: its bins (model.Histogram.Bin)
	cat  bool            // a categorical feature
	off  int             // first bin in drift.live
	ref  []float64       // reference share of each bin, missing last, at least PSIEpsilon
}

func newDrift(md *abi.Metadata) *drift {
	d := &drift{desc: prometheus.NewDesc("flowsense_feature_drift_psi",
		"Population stability index of each feature's live values (since start) against the model's reference histogram; absent before 500 flows (DriftMinFlows) and for models without reference histograms.",
		[]string{"feature"}, nil)}
	if len(md.Reference) != len(md.Schema.Features) {
		return d // an imported model carries no reference histograms
	}
	off := 0
	for j, h := range md.Reference {
		f := md.Schema.Features[j]
		df := driftFeature{name: f.Name, off: off, hist: h, cat: f.Kind == model.Categorical}
		var total float64
		for _, c := range h.Counts {
			total += float64(c)
		}
		total += float64(h.Missing)
		if total == 0 {
			continue // nothing to compare against
		}
		for _, c := range h.Counts {
			df.ref = append(df.ref, max(float64(c)/total, PSIEpsilon))
		}
		df.ref = append(df.ref, max(float64(h.Missing)/total, PSIEpsilon))
		off += len(df.ref)
		d.feats = append(d.feats, df)
	}
	d.live = make([]atomic.Int64, off)
	d.tallys.New = func() any { return &tally{count: make([]uint32, off)} }
	return d
}

// observe counts n rows of nf values each (row-major, schema order).
func (d *drift) observe(rows []float32, nf int) {
	if len(d.feats) == 0 || len(d.feats) != nf || len(rows) < nf {
		return
	}
	if len(rows) < len(d.live) { // fewer values than bins: add each
		for start := 0; start+nf <= len(rows); start += nf {
			row := rows[start : start+nf]
			for j := range d.feats {
				f := &d.feats[j]
				d.live[f.off+f.bin(row[j])].Add(1)
			}
		}
		return
	}
	t := d.tallys.Get().(*tally)
	count := t.count[:len(d.live)]
	for start := 0; start+nf <= len(rows); start += nf {
		row := rows[start : start+nf]
		for j := range d.feats {
			f := &d.feats[j]
			count[f.off+f.bin(row[j])]++ // at most len(rows)/nf, far below 2^32
		}
	}
	for b, c := range count {
		if c != 0 {
			d.live[b].Add(int64(c))
			count[b] = 0
		}
	}
	d.tallys.Put(t)
}

// bin is the bin of a value: as model.Histogram lays them out, and the
// missing bin after them.
func (f *driftFeature) bin(v float32) int {
	if b := f.hist.Bin(v, f.cat); b >= 0 {
		return b
	}
	return len(f.ref) - 1
}

// psi is the feature's index over the live counts; ok is false before
// DriftMinFlows live values.
func (d *drift) psi(f *driftFeature) (psi float64, ok bool) {
	live := d.live[f.off : f.off+len(f.ref)]
	var total float64
	counts := make([]float64, len(live))
	for i := range live {
		counts[i] = float64(live[i].Load())
		total += counts[i]
	}
	if total < DriftMinFlows {
		return 0, false
	}
	for i, p := range f.ref {
		q := max(counts[i]/total, PSIEpsilon)
		psi += (q - p) * math.Log(q/p)
	}
	return psi, true
}

// Describe implements prometheus.Collector.
func (d *drift) Describe(ch chan<- *prometheus.Desc) { ch <- d.desc }

// Collect implements prometheus.Collector.
func (d *drift) Collect(ch chan<- prometheus.Metric) {
	for i := range d.feats {
		f := &d.feats[i]
		if v, ok := d.psi(f); ok {
			ch <- prometheus.MustNewConstMetric(d.desc, prometheus.GaugeValue, v, f.name)
		}
	}
}
