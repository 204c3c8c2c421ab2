package simulate

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramQuantiles(t *testing.T) {
	for name, gen := range map[string]func(r *rand.Rand) time.Duration{
		"tiny": func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(300)) },
		"lognormal": func(r *rand.Rand) time.Duration {
			return time.Duration(1e6 * (r.NormFloat64()*0.8 + 2) * (r.NormFloat64()*0.8 + 2))
		},
		"spread":   func(r *rand.Rand) time.Duration { return time.Duration(r.Int64N(int64(time.Hour))) },
		"constant": func(*rand.Rand) time.Duration { return 1234567 },
	} {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			var h histogram
			var all []time.Duration
			for range 5000 {
				d := max(gen(r), 0)
				h.record(d)
				all = append(all, d)
			}
			slices.Sort(all)
			for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
				rank := int(q*float64(len(all)) + 0.999999)
				exact := all[max(rank, 1)-1]
				got := h.quantile(q)
				if got < exact || float64(got-exact) > float64(exact)/128 {
					t.Errorf("q%v: %v, exact %v (want within 1/128 above)", q, got, exact)
				}
			}
			if h.max != all[len(all)-1] {
				t.Errorf("max %v, want %v", h.max, all[len(all)-1])
			}
		})
	}
	var empty histogram
	if empty.quantile(0.5) != 0 || empty.mean() != 0 {
		t.Error("an empty histogram answers non-zero")
	}
}

func TestBucketsCoverEveryValue(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 255, 256, 257, 511, 512, 1 << 20, 1<<20 + 12345, 1<<62 - 1, 1 << 62, 1<<63 - 1} {
		i := bucketOf(v)
		if i < prev || i >= histBuckets {
			t.Fatalf("value %d: bucket %d after %d (of %d)", v, i, prev, histBuckets)
		}
		if up := upperOf(i); up < v || (v >= linearLimit && float64(up-v) > float64(v)/128) {
			t.Fatalf("value %d: bucket %d ends at %d", v, i, up)
		}
		prev = i
	}
}
