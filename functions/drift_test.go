package functions

import (
	"math"
	"sync"
	"testing"
)

// observeEach is the reference count: one atomic add per value, as drift
// counted before tallies.
func (d *drift) observeEach(rows []float32, nf int) {
	if len(d.feats) == 0 || len(d.feats) != nf {
		return
	}
	for start := 0; start+nf <= len(rows); start += nf {
		row := rows[start : start+nf]
		for j := range d.feats {
			f := &d.feats[j]
			d.live[f.off+f.bin(row[j])].Add(1)
		}
	}
}

// driftRows is n rows of the test model's width: the sample flows, one in
// three with a value missing and one in five shifted far out.
func driftRows(t testing.TB, s *Server, n int) []float32 {
	fl, err := s.dec.Decode(benchFlows(t, min(n, 600)), nil)
	if err != nil {
		t.Fatal(err)
	}
	rows := make([]float32, 0, n*s.nf)
	for len(rows) < n*s.nf {
		rows = append(rows, fl.Rows...)
	}
	rows = rows[:n*s.nf]
	for i := range rows {
		switch {
		case i%3 == 0:
			rows[i] = float32(math.NaN())
		case i%5 == 0:
			rows[i] = rows[i]*8 + 8
		}
	}
	return rows
}

// TestDriftTally: observe (an atomic add per value for a small call, a
// tally merged once for a large one) leaves the same
// live counts as one atomic add per value, for batches of every size and
// from concurrent callers, and its pooled tally is clean afterwards.
func TestDriftTally(t *testing.T) {
	s := newTestServer(t)
	if len(s.metrics.drift.feats) == 0 {
		t.Fatal("the test model has no reference histograms")
	}
	rows := driftRows(t, s, 300)
	if 300*s.nf < len(s.metrics.drift.live) || s.nf >= len(s.metrics.drift.live) {
		t.Fatalf("%d features, %d bins: the cases do not take both paths", s.nf, len(s.metrics.drift.live))
	}
	got, want := newDrift(s.meta), newDrift(s.meta)
	var wg sync.WaitGroup
	for _, n := range []int{1, 2, 7, 100, 300} {
		for range 3 {
			wg.Go(func() { got.observe(rows[:n*s.nf], s.nf) })
		}
		for range 3 {
			want.observeEach(rows[:n*s.nf], s.nf)
		}
	}
	wg.Wait()
	total := int64(0)
	for i := range want.live {
		if g, w := got.live[i].Load(), want.live[i].Load(); g != w {
			t.Errorf("bin %d: %d, want %d", i, g, w)
		}
		total += want.live[i].Load()
	}
	if total != int64(3*(1+2+7+100+300)*s.nf) {
		t.Errorf("%d values counted, want %d", total, 3*(1+2+7+100+300)*s.nf)
	}
	for _, f := range got.feats {
		a, aok := got.psi(&f)
		b, bok := want.psi(&f)
		if a != b || aok != bok {
			t.Errorf("%s: PSI %v %v, want %v %v", f.name, a, aok, b, bok)
		}
	}
	tl := got.tallys.Get().(*tally)
	for i, c := range tl.count {
		if c != 0 {
			t.Fatalf("pooled tally not clean: bin %d counts %d", i, c)
		}
	}
}

// benchDrift counts batches of n flows from every core at once, by tally
// (observe) or by an atomic add per value (observeEach, the old path).
func benchDrift(b *testing.B, n int, each bool) {
	s := newTestServer(b)
	rows := driftRows(b, s, n)
	d := newDrift(s.meta)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if each {
				d.observeEach(rows, s.nf)
			} else {
				d.observe(rows, s.nf)
			}
		}
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/flow")
}

func BenchmarkDriftObserve_1flow(b *testing.B)           { benchDrift(b, 1, false) }
func BenchmarkDriftObserve_1flow_atomic(b *testing.B)    { benchDrift(b, 1, true) }
func BenchmarkDriftObserve_100flows(b *testing.B)        { benchDrift(b, 100, false) }
func BenchmarkDriftObserve_100flows_atomic(b *testing.B) { benchDrift(b, 100, true) }
