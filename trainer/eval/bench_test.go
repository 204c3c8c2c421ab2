package eval

import (
	"math/rand/v2"
	"testing"
)

// synthetic makes n rows of K classes with noisy softmax-like scores.
func synthetic(n, K int) (classes []string, y, pred []int32, probs []float64) {
	rng := rand.New(rand.NewPCG(7, 11))
	classes = make([]string, K)
	for c := range classes {
		classes[c] = string(rune('A' + c))
	}
	y = make([]int32, n)
	pred = make([]int32, n)
	probs = make([]float64, n*K)
	for r := range n {
		y[r] = int32(rng.IntN(K))
		best, sum := 0, 0.0
		for c := range K {
			v := rng.Float64()
			if c == int(y[r]) {
				v += 0.5
			}
			probs[r*K+c] = v
			sum += v
			if v > probs[r*K+best] {
				best = c
			}
		}
		for c := range K {
			probs[r*K+c] /= sum
		}
		pred[r] = int32(best)
	}
	return
}

func benchmarkEvaluate(b *testing.B, n, K int) {
	classes, y, pred, probs := synthetic(n, K)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Evaluate(classes, y, pred, probs); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*K)*float64(b.N)/b.Elapsed().Seconds(), "scores/s")
}

func BenchmarkEvaluate_n500k_k2(b *testing.B)  { benchmarkEvaluate(b, 500_000, 2) }
func BenchmarkEvaluate_n500k_k5(b *testing.B)  { benchmarkEvaluate(b, 500_000, 5) }
func BenchmarkEvaluate_n500k_k16(b *testing.B) { benchmarkEvaluate(b, 500_000, 16) }
func BenchmarkEvaluate_n10k_k16(b *testing.B)  { benchmarkEvaluate(b, 10_000, 16) }

func BenchmarkEvaluateOutlier_n500k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 5))
	n := 500_000
	truth := make([]bool, n)
	scores := make([]float64, n)
	for i := range n {
		truth[i] = rng.IntN(5) == 0
		scores[i] = rng.ExpFloat64()
		if truth[i] {
			scores[i] += 2
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := EvaluateOutlier(truth, scores, 3); err != nil {
			b.Fatal(err)
		}
	}
}
