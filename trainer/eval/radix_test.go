package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// The keys of sorted scores must come out in the scores' numeric order,
// with equal scores (including -0 and +0) on equal keys.
func TestRadixSortOrdersLikeFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 9))
	special := []float64{0, math.Copysign(0, -1), 1, -1, math.Inf(1), math.Inf(-1),
		math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64, math.MaxFloat64, -math.MaxFloat64}
	cases := map[string][]float64{
		"empty":       nil,
		"specials":    special,
		"short mixed": {3, -2, 0.5, 0.5, -7, 1e300},
		"probabilities": func() []float64 {
			v := make([]float64, 5000)
			for i := range v {
				v[i] = rng.Float64()
			}
			return v
		}(),
		"wide range with ties": func() []float64 {
			v := make([]float64, 3000)
			for i := range v {
				v[i] = math.Round(rng.NormFloat64()*1e3) * math.Pow(10, float64(rng.IntN(40)-20))
			}
			return append(v, special...)
		}(),
	}
	for name, vals := range cases {
		t.Run(name, func(t *testing.T) {
			keys := make([]uint64, len(vals))
			for i, v := range vals {
				keys[i] = key(v)
			}
			got, _ := radixSort(keys, nil)
			want := slices.Clone(vals)
			slices.Sort(want)
			if len(got) != len(want) {
				t.Fatalf("%d keys out, %d in", len(got), len(want))
			}
			for i := range want {
				if i > 0 && (got[i] == got[i-1]) != (want[i] == want[i-1]) {
					t.Fatalf("at %d: keys equal %v, scores %v and %v equal %v", i, got[i] == got[i-1], want[i-1], want[i], want[i] == want[i-1])
				}
				if got[i] != key(want[i]) {
					t.Fatalf("at %d: key %x, want the key of %v (%x)", i, got[i], want[i], key(want[i]))
				}
			}
		})
	}
}

func benchScores(n int) []float64 {
	rng := rand.New(rand.NewPCG(1, 1))
	v := make([]float64, n)
	for i := range v {
		v[i] = rng.Float64()
	}
	return v
}

func BenchmarkSort_radix_n500k(b *testing.B) {
	vals := benchScores(500_000)
	keys := make([]uint64, len(vals))
	var tmp []uint64
	b.ReportAllocs()
	for b.Loop() {
		for i, v := range vals {
			keys[i] = key(v)
		}
		var sorted []uint64
		sorted, tmp = radixSort(keys, tmp)
		keys = sorted
	}
}

func BenchmarkSort_slicesSort_n500k(b *testing.B) {
	vals := benchScores(500_000)
	work := make([]float64, len(vals))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, vals)
		slices.Sort(work)
	}
}
