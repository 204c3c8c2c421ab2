package gbdt

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// parallelFor runs fn(0..n-1) on up to threads goroutines. Each index is
// run exactly once; callers write only to per-index state, so results never
// depend on which goroutine ran what.
func parallelFor(threads, n int, fn func(i int)) {
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	if threads > n {
		threads = n
	}
	if threads <= 1 {
		for i := 0; i < n; i++ {
			fn(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	wg.Add(threads)
	for t := 0; t < threads; t++ {
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
}

// Gradients are quantised (as in LightGBM 4's quantised training): for
// each tree and leaf output, g and h are scaled to integers in [-qMax,
// qMax] and [0, qMax] with seeded stochastic rounding and packed into one
// int64, g in the high 32 bits and h in the low 32 bits. A sum of packed
// values over at most maxRows rows is the packed sums, exactly: the low
// half never carries as h sums stay below 2^31, so histograms cost one
// integer add per row and output, subtraction is exact, and the totals do
// not depend on the order of addition. Leaf values are then computed from
// the float gradients.
const (
	qMax    = 127
	maxRows = 1 << 24 // 127 * 2^24 < 2^31
)

func pack(g, h int64) int64 { return g<<32 + h }

func unpack(x int64) (g, h int64) { return x >> 32, int64(uint32(x)) }

// A row's quantised pair is stored in 16 bits (g in [-qMax, qMax] as an
// int8, h in [0, qMax] as a uint8) and widened to the packed int64 where
// it is added: 2 bytes a row and output instead of 8, the same sums.
func pack16(g, h int64) uint16 { return uint16(uint8(int8(g)))<<8 | uint16(uint8(h)) }

func widen(x uint16) int64 { return pack(int64(int8(x>>8)), int64(x&0xff)) }

// A histogram holds, per bin of every feature, S = 1+W int64s: the row
// count, then the packed gradient sums of each of the W leaf outputs.

// histRows adds rows to one feature's histogram h: with rows nil, rows
// 0..len(q)/W-1 of col, row i's packed gradients at q[W*i:]; else rows
// rows of col, row r's packed gradients at q[W*r:] (q indexed by row id,
// as grower.qa is: no node-ordered copy). Rows in
// bin skip (-1: none) are left out; fillSkipped adds them afterwards.
func histRows[T uint8 | uint16](h []int64, col []T, rows []int32, q []uint16, w int, skip int) {
	if w == 1 {
		if rows == nil {
			col = col[:len(q)]
			for i, c := range col {
				b := int(c)
				if b == skip {
					continue
				}
				hh := h[2*b : 2*b+2 : 2*b+2]
				hh[0]++
				hh[1] += widen(q[i])
			}
			return
		}
		for _, r := range rows {
			b := int(col[r])
			if b == skip {
				continue
			}
			hh := h[2*b : 2*b+2 : 2*b+2]
			hh[0]++
			hh[1] += widen(q[r])
		}
		return
	}
	s := 1 + w
	add := func(b, at int) {
		hh := h[s*b : s*b+s : s*b+s]
		hh[0]++
		dst := hh[1:]
		src := q[at : at+w]
		src = src[:len(dst)]
		for j := range src {
			dst[j] += widen(src[j])
		}
	}
	if rows == nil {
		n := len(q) / w
		for i, c := range col[:n] {
			if b := int(c); b != skip {
				add(b, w*i)
			}
		}
		return
	}
	for _, r := range rows {
		if b := int(col[r]); b != skip {
			add(b, w*int(r))
		}
	}
}

// fillSkipped sets bin skip of histogram h (stride s) to the node's totals
// (cnt, q) minus every other bin.
func fillSkipped(h []int64, s, skip int, cnt int64, q []int64) {
	out := h[skip*s : skip*s+s]
	out[0] = cnt
	copy(out[1:], q)
	for k := 0; k*s < len(h); k++ {
		if k == skip {
			continue
		}
		b := h[k*s : k*s+s]
		for j := range out {
			out[j] -= b[j]
		}
	}
}
