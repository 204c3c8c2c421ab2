package functions

import (
	"math/rand/v2"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// TestObserveFlowsTally: a batch's class and verdict counts, tallied and
// added once per pair, are the counts of one Inc per flow; results of a
// class or verdict without a series are not counted; the outlier histogram
// still sees every score.
func TestObserveFlowsTally(t *testing.T) {
	batched, each := newTestServer(t), newTestServer(t)
	classes := batched.meta.Classes
	rng := rand.New(rand.NewPCG(1, 2))
	want := map[[2]int]float64{}
	var res []model.Result
	var sum float64
	for range 300 {
		r := model.Result{Class: rng.IntN(len(classes)+2) - 1, Verdict: model.Verdict(rng.IntN(4)), OutlierScore: rng.Float64() * 10}
		res = append(res, r)
		sum += r.OutlierScore
		if r.Class >= 0 && r.Class < len(classes) && r.Verdict <= model.Anomalous {
			want[[2]int{r.Class, int(r.Verdict)}]++
		}
	}
	for _, chunk := range [][]model.Result{res[:100], res[100:101], res[101:300]} {
		batched.metrics.observeFlows(nil, batched.nf, chunk)
	}
	for i := range res {
		each.metrics.observeFlows(nil, each.nf, res[i:i+1]) // one flow: one Inc
	}
	mb, me := scrape(t, batched), scrape(t, each)
	for c, name := range classes {
		for _, v := range []model.Verdict{model.Benign, model.Malicious, model.Anomalous} {
			got := value(mb, "flowsense_predictions_total", "class", name, "verdict", v.String())
			ref := value(me, "flowsense_predictions_total", "class", name, "verdict", v.String())
			if got != want[[2]int{c, int(v)}] || ref != got {
				t.Errorf("%s/%s: batched %v, one at a time %v, want %v", name, v, got, ref, want[[2]int{c, int(v)}])
			}
		}
	}
	hb := sample(mb, "flowsense_outlier_score").GetHistogram()
	he := sample(me, "flowsense_outlier_score").GetHistogram()
	if hb.GetSampleCount() != uint64(len(res)) || he.GetSampleCount() != uint64(len(res)) {
		t.Errorf("outlier scores counted %d and %d, want %d", hb.GetSampleCount(), he.GetSampleCount(), len(res))
	}
	if d := hb.GetSampleSum() - sum; d > 1e-9 || d < -1e-9 {
		t.Errorf("outlier score sum %v, want %v", hb.GetSampleSum(), sum)
	}
	for i, b := range hb.GetBucket() {
		if b.GetCumulativeCount() != he.GetBucket()[i].GetCumulativeCount() {
			t.Errorf("outlier bucket %v: %d batched, %d one at a time", b.GetUpperBound(), b.GetCumulativeCount(), he.GetBucket()[i].GetCumulativeCount())
		}
	}
}
