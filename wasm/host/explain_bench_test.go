package host_test

import (
	"context"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
)

// benchExplainRatio times, on the same model (with covers) and rows, one
// flow per call: the native prediction, the native explanation
// (Explainer.Explain: prediction, TreeSHAP and outlier shares), the
// module's prediction and the module's explain export; it reports each
// per flow and the cost of an explanation against a plain prediction.
func benchExplainRatio(b *testing.B, s shape) {
	m := withCovers(randModel(b, rand.New(rand.NewPCG(1, 2)), s))
	mod := load(b, compile(b, m))
	rows := randRows(rand.New(rand.NewPCG(3, 4)), m, 1024)
	nf := len(m.Schema.Features)
	x, err := model.NewExplainer(m)
	if err != nil {
		b.Fatal(err)
	}
	phi := make([]float64, mod.Outputs()*(nf+1))
	var shares []float64
	if m.Outlier != nil {
		shares = make([]float64, 3*len(m.Outlier.Features))
	}
	out := make([]model.Result, 1)
	var r model.Result
	var e model.Explanation
	ctx := context.Background()
	timeIt := func(f func(row []float32) error) time.Duration {
		start := time.Now()
		for i := 0; i < b.N; i++ {
			j := i % 1024
			if err := f(rows[j*nf : (j+1)*nf]); err != nil {
				b.Fatal(err)
			}
		}
		return time.Since(start)
	}
	b.ResetTimer()
	np := timeIt(func(row []float32) error { return m.Predict(row, &r) })
	nx := timeIt(func(row []float32) error { return x.Explain(row, 5, &e) })
	wp := timeIt(func(row []float32) error { return mod.Classify(ctx, row, out) })
	wx := timeIt(func(row []float32) error { return mod.Contributions(ctx, row, phi, shares) })
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N) }
	b.ReportMetric(per(np), "native-predict-ns/flow")
	b.ReportMetric(per(nx), "native-explain-ns/flow")
	b.ReportMetric(per(wp), "wasm-predict-ns/flow")
	b.ReportMetric(per(wx), "wasm-explain-ns/flow")
	b.ReportMetric(float64(nx)/float64(np), "native-explain/predict")
	b.ReportMetric(float64(wx)/float64(wp), "wasm-explain/predict")
}

// Shapes: the real data sets' (100 vector-leaf trees of depth 5) and 500
// per-class trees of depth 8.
func BenchmarkExplainRatio_KDDShape(b *testing.B) { benchExplainRatio(b, shapeKDD) }
func BenchmarkExplainRatio_CICShape(b *testing.B) { benchExplainRatio(b, shapeCIC) }
func BenchmarkExplainRatio_500PerClassTreesDepth8(b *testing.B) {
	benchExplainRatio(b, shape{features: 41, classes: 5, trees: 500, depth: 8, full: true, perClass: true})
}
