package host_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
)

// predictorAnswers runs rows through the compiled native predictor, one
// row per call when batch is 0, else in calls of batch rows.
func predictorAnswers(t testing.TB, p *model.Predictor, rows []float32, batch int) []answer {
	t.Helper()
	nf := len(p.Model().Schema.Features)
	n := len(rows) / nf
	res := make([]model.Result, n)
	if batch == 0 {
		for i := range res {
			if err := p.Predict(rows[i*nf:(i+1)*nf], &res[i]); err != nil {
				t.Fatal(err)
			}
		}
	} else {
		for lo := 0; lo < n; lo += batch {
			hi := min(n, lo+batch)
			if err := p.PredictBatch(rows[lo*nf:hi*nf], res[lo:hi]); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := make([]answer, n)
	for i, r := range res {
		out[i] = answer{r.Class, r.Verdict, r.OutlierScore, r.Probabilities}
	}
	return out
}

func newPredictor(t testing.TB, m *model.Model) *model.Predictor {
	t.Helper()
	p, err := model.NewPredictor(m)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestPredictorSameBits: the compiled native predictor gives the reference
// (*model.Model).Predict's bits, one row at a time and in batches of
// sizes that leave partial blocks, on every parity shape (categorical
// sets, `<=` nodes, NaN, ±Inf, subnormal and huge inputs, detectors with
// full and asymmetric inverse covariances).
func TestPredictorSameBits(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 4; seed++ {
				r := rand.New(rand.NewPCG(seed, 7))
				m := randModel(t, r, s)
				rows := randRows(r, m, 300)
				want := nativeAnswers(t, m, rows)
				p := newPredictor(t, m)
				nf := len(m.Schema.Features)
				sameBits(t, "predictor, one row", want, predictorAnswers(t, p, rows, 0), rows, nf)
				for _, b := range []int{1, 3, 64, 67, 256} {
					sameBits(t, "predictor, batched", want, predictorAnswers(t, p, rows, b), rows, nf)
				}
			}
		})
	}
}

// TestPredictorNoAllocs: after the first call, neither path allocates.
func TestPredictorNoAllocs(t *testing.T) {
	for _, s := range []shape{shapeKDD, shapeCIC} {
		m := randModel(t, rand.New(rand.NewPCG(1, 2)), s)
		p := newPredictor(t, m)
		rows := randRows(rand.New(rand.NewPCG(3, 4)), m, 256)
		nf := len(m.Schema.Features)
		var r model.Result
		out := make([]model.Result, 256)
		if n := testing.AllocsPerRun(20, func() { p.Predict(rows[:nf], &r) }); n != 0 {
			t.Errorf("Predict: %v allocations a call", n)
		}
		if n := testing.AllocsPerRun(5, func() { p.PredictBatch(rows, out) }); n != 0 {
			t.Errorf("PredictBatch: %v allocations a call", n)
		}
	}
}

// benchNative runs the same flows through the reference native predictor,
// the compiled one and the module, one per call and in batches of 256,
// interleaved in one process, and reports each as ns/flow and the ratios.
func benchNative(b *testing.B, s shape) {
	m, bin := benchModel(b, s)
	const n = 256
	rows := randRows(rand.New(rand.NewPCG(3, 4)), m, n)
	nf := len(m.Schema.Features)
	mod := load(b, bin)
	p := newPredictor(b, m)
	ctx := context.Background()
	var r model.Result
	out := make([]model.Result, n)
	one := make([]model.Result, 1)
	var ref, single, batch, modSingle, modBatch time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for j := 0; j < n; j++ {
			m.Predict(rows[j*nf:(j+1)*nf], &r)
		}
		ref += time.Since(start)
		start = time.Now()
		for j := 0; j < n; j++ {
			p.Predict(rows[j*nf:(j+1)*nf], &r)
		}
		single += time.Since(start)
		start = time.Now()
		p.PredictBatch(rows, out)
		batch += time.Since(start)
		start = time.Now()
		for j := 0; j < n; j++ {
			if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], one); err != nil {
				b.Fatal(err)
			}
		}
		modSingle += time.Since(start)
		start = time.Now()
		if err := mod.Classify(ctx, rows, out); err != nil {
			b.Fatal(err)
		}
		modBatch += time.Since(start)
	}
	b.StopTimer()
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*n) }
	b.ReportMetric(per(ref), "reference-ns/flow")
	b.ReportMetric(per(single), "native-ns/flow")
	b.ReportMetric(per(batch), "native-batch256-ns/flow")
	b.ReportMetric(per(modSingle), "wasm-ns/flow")
	b.ReportMetric(per(modBatch), "wasm-batch256-ns/flow")
	b.ReportMetric(float64(ref)/float64(single), "reference/native")
	b.ReportMetric(float64(modSingle)/float64(single), "wasm/native")
	b.ReportMetric(float64(modBatch)/float64(batch), "wasm-batch/native-batch")
	b.ReportMetric(testing.AllocsPerRun(3, func() { p.PredictBatch(rows, out) }), "native-batch-allocs/call")
	b.ReportMetric(testing.AllocsPerRun(3, func() { p.Predict(rows[:nf], &r) }), "native-allocs/flow")
}

func BenchmarkNativeRatio_KDDShape(b *testing.B) { benchNative(b, shapeKDD) }
func BenchmarkNativeRatio_CICShape(b *testing.B) { benchNative(b, shapeCIC) }

func benchPredictor(b *testing.B, s shape, batch bool) {
	m, _ := benchModel(b, s)
	const n = 256
	rows := randRows(rand.New(rand.NewPCG(3, 4)), m, n)
	nf := len(m.Schema.Features)
	p := newPredictor(b, m)
	var r model.Result
	out := make([]model.Result, n)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if batch {
			p.PredictBatch(rows, out)
			continue
		}
		for j := 0; j < n; j++ {
			p.Predict(rows[j*nf:(j+1)*nf], &r)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/flow")
}

// The compiled native predictor alone (for profiles): 256 flows an op.
func BenchmarkPredictor_KDDShape(b *testing.B)       { benchPredictor(b, shapeKDD, false) }
func BenchmarkPredictor_KDDShape_batch(b *testing.B) { benchPredictor(b, shapeKDD, true) }
func BenchmarkPredictor_CICShape(b *testing.B)       { benchPredictor(b, shapeCIC, false) }
func BenchmarkPredictor_CICShape_batch(b *testing.B) { benchPredictor(b, shapeCIC, true) }
