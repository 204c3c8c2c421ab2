package simulate

import (
	"math/bits"
	"time"
)

// histogram records durations in a log-linear histogram, as HdrHistogram
// does with 2 significant digits: values below 256 ns have a bucket each;
// above, every power of two is cut into 128 buckets, so a bucket is at
// most 1/128 of its values wide. Memory is fixed (7,296 counters) whatever
// the run's length. Quantile answers the upper bound of the bucket that
// holds the quantile, capped at the exact maximum: never below the exact
// quantile and at most 1/128 (0.8 %) above it.
type histogram struct {
	counts [histBuckets]int64
	n      int64
	max    time.Duration
	sum    time.Duration
}

const (
	subBits     = 7
	subCount    = 1 << subBits                          // buckets per power of two
	linearLimit = 1 << (subBits + 1)                    // values below have a bucket each
	histBuckets = linearLimit + (63-subBits-1)*subCount // durations are below 2^63
)

func bucketOf(v uint64) int {
	if v < linearLimit {
		return int(v)
	}
	shift := bits.Len64(v) - (subBits + 1)
	top := v >> shift
	return linearLimit + (shift-1)*subCount + int(top-subCount)
}

// upperOf is the largest value of bucket i.
func upperOf(i int) uint64 {
	if i < linearLimit {
		return uint64(i)
	}
	shift := (i-linearLimit)/subCount + 1
	top := uint64((i-linearLimit)%subCount + subCount)
	return (top+1)<<shift - 1
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += d
	h.max = max(h.max, d)
}

// quantile returns the q-quantile (0 < q <= 1): the smallest recorded
// value v such that at least ceil(q·n) values are <= v, to the bucket's
// resolution. Zero when nothing was recorded.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(q * float64(h.n))
	if float64(rank) < q*float64(h.n) {
		rank++
	}
	rank = min(max(rank, 1), h.n)
	var c int64
	for i, k := range h.counts {
		c += k
		if c >= rank {
			return min(time.Duration(upperOf(i)), h.max)
		}
	}
	return h.max
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return h.sum / time.Duration(h.n)
}
