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

// A histogram holds, per bin of every feature, S = 1+2W float64s: the row
// count, then gradient and hessian sums for each of the W leaf outputs,
// interleaved (g0, h0, g1, h1, ...) like the gradient rows.

// histRows adds rows (ordered gradients og, 2W per row, in rows' order) to
// one feature's histogram h. rows nil means rows 0..len(og)/2W-1. Rows in
// bin skip (-1: none) are left out; fillSkipped adds them afterwards.
func histRows[T uint8 | uint16](h []float64, col []T, rows []int32, og []float32, w int, skip int) {
	clear(h)
	w2 := 2 * w
	n := len(og) / w2
	if rows != nil {
		n = len(rows)
	}
	if w == 1 {
		og = og[:2*n]
		for i := 0; i < n; i++ {
			var b int
			if rows == nil {
				b = int(col[i])
			} else {
				b = int(col[rows[i]])
			}
			if b == skip {
				continue
			}
			hh := h[3*b : 3*b+3 : 3*b+3]
			hh[0]++
			hh[1] += float64(og[2*i])
			hh[2] += float64(og[2*i+1])
		}
		return
	}
	s := 1 + w2
	for i := 0; i < n; i++ {
		var b int
		if rows == nil {
			b = int(col[i])
		} else {
			b = int(col[rows[i]])
		}
		if b == skip {
			continue
		}
		hh := h[s*b : s*b+s : s*b+s]
		hh[0]++
		dst := hh[1:]
		src := og[w2*i : w2*i+w2]
		src = src[:len(dst)]
		for j := range src {
			dst[j] += float64(src[j])
		}
	}
}

// fillSkipped sets bin skip of histogram h (stride s) to the node's totals
// (cnt, gh) minus every other bin.
func fillSkipped(h []float64, s, skip int, cnt float64, gh []float64) {
	out := h[skip*s : skip*s+s]
	out[0] = cnt
	copy(out[1:], gh)
	for k := 0; k*s < len(h); k++ {
		if k == skip {
			continue
		}
		b := h[k*s : k*s+s]
		for j := range out {
			out[j] -= b[j]
		}
	}
	if out[0] < 0.5 { // no row there: exact zeros, not rounding residue
		clear(out)
	}
}
