package eval

import (
	"container/heap"
	"math"
)

// MaxCurvePoints bounds the number of points of every curve in [Curves].
// Curves are reduced by Ramer-Douglas-Peucker refinement (the points that
// deviate most from the simplified line are kept first), which keeps
// corners and the start and end of every curve.
const MaxCurvePoints = 200

// Point is one point of a curve: for ROC, X is the false-positive rate and
// Y the true-positive rate; for precision-recall, X is recall and Y is
// precision.
type Point struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Curve is a one-vs-rest curve of one class with its area.
type Curve struct {
	Class string `json:"class"`
	// Defined is false when the area is undefined: ROC needs both
	// positives and negatives, precision-recall needs a positive. Area and
	// Points are then zero.
	Defined bool    `json:"defined"`
	Area    float64 `json:"area"` // ROC-AUC, or average precision
	Points  []Point `json:"points"`
}

// twoClass holds the figures of one positive-vs-negative scoring.
type twoClass struct {
	rocDefined, prDefined bool
	rocAUC, ap            float64
	roc, pr               []Point
}

// scratch holds buffers reused across the classes of one evaluation.
type scratch struct {
	pos, neg, tmp []uint64
	roc, pr, thin []Point
	keep          []bool
}

// newScratch sizes the buffers for n rows once: all three key buffers get
// capacity n because radixSort swaps them around, and a curve has at most
// n+1 points.
func newScratch(n int) *scratch {
	return &scratch{
		pos: make([]uint64, 0, n), neg: make([]uint64, 0, n), tmp: make([]uint64, 0, n),
		roc: make([]Point, 0, n+1), pr: make([]Point, 0, n+1),
	}
}

// sortKeys radix-sorts s.pos and s.neg in place (swapping buffers as
// needed).
func (s *scratch) sortKeys() {
	s.pos, s.tmp = radixSort(s.pos, s.tmp)
	s.neg, s.tmp = radixSort(s.neg, s.tmp)
}

// binaryCurve computes ROC and precision-recall curves and areas from the
// keys (see key) of the scores of the positives and of the negatives, both
// sorted ascending. Thresholds are the distinct scores, walked from the
// top; all rows tied at a threshold enter together, like scikit-learn's
// _binary_clf_curve. The ROC area is accumulated in integers, so it is
// exact up to the final division.
func binaryCurve(pos, neg []uint64, s *scratch) twoClass {
	P, N := len(pos), len(neg)
	var b twoClass
	b.rocDefined = P > 0 && N > 0
	b.prDefined = P > 0
	roc := append(s.roc[:0], Point{0, 0})
	pr := append(s.pr[:0], Point{0, 1})
	var (
		i, j           = P - 1, N - 1
		tp, fp         int
		area2          uint64 // 2 * P * N * AUC
		apSum          float64
		full           bool // full recall reached: later PR points add nothing
		fP, fN         = float64(P), float64(N)
		prevTP, prevFP int
	)
	for i >= 0 || j >= 0 {
		var t uint64
		switch {
		case i < 0:
			t = neg[j]
		case j < 0:
			t = pos[i]
		default:
			t = max(pos[i], neg[j])
		}
		for i >= 0 && pos[i] == t {
			tp++
			i--
		}
		for j >= 0 && neg[j] == t {
			fp++
			j--
		}
		area2 += uint64(fp-prevFP) * uint64(tp+prevTP)
		if b.prDefined && !full {
			prec := float64(tp) / float64(tp+fp)
			apSum += float64(tp-prevTP) * prec
			pr = append(pr, Point{float64(tp) / fP, prec})
			full = tp == P
		}
		if b.rocDefined {
			roc = append(roc, Point{float64(fp) / fN, float64(tp) / fP})
		}
		prevTP, prevFP = tp, fp
	}
	s.roc, s.pr = roc, pr
	if b.rocDefined {
		b.rocAUC = float64(area2) / (2 * fP * fN)
		b.roc = s.simplify(roc, MaxCurvePoints)
	}
	if b.prDefined {
		b.ap = apSum / fP
		b.pr = s.simplify(pr, MaxCurvePoints)
	}
	return b
}

// thinFactor: curves longer than thinFactor*max points are first thinned
// by path length (see thin) before the greedy simplification, which
// would otherwise rescan hundreds of thousands of points per split.
const thinFactor = 50

// simplify returns at most max points of pts (max >= 2), always the first
// and the last, choosing the rest greedily by largest distance from the
// current simplified polyline (Ramer-Douglas-Peucker refinement driven by
// a point budget rather than a tolerance). Exactly collinear points are
// never kept. The result is a new slice; pts may be a scratch buffer.
func (s *scratch) simplify(pts []Point, max int) []Point {
	if len(pts) <= 2 {
		return append([]Point(nil), pts...)
	}
	if len(pts) > thinFactor*max {
		s.thin = thin(pts, thinFactor*max, s.thin[:0])
		pts = s.thin
	}
	if cap(s.keep) < len(pts) {
		s.keep = make([]bool, len(pts))
	}
	keep := s.keep[:len(pts)]
	clear(keep)
	keep[0], keep[len(pts)-1] = true, true
	kept := 2
	h := &segHeap{}
	if g, ok := farthest(pts, 0, len(pts)-1); ok {
		heap.Push(h, g)
	}
	for kept < max && h.Len() > 0 {
		g := heap.Pop(h).(segment)
		keep[g.at] = true
		kept++
		if l, ok := farthest(pts, g.lo, g.at); ok {
			heap.Push(h, l)
		}
		if r, ok := farthest(pts, g.at, g.hi); ok {
			heap.Push(h, r)
		}
	}
	out := make([]Point, 0, kept)
	for k, p := range pts {
		if keep[k] {
			out = append(out, p)
		}
	}
	return out
}

// thin keeps about target points of pts, spaced evenly along the path's
// Manhattan length, always with the first and last: a dropped point is
// within length/target of a kept one, so the shape is kept to well under
// a pixel.
func thin(pts []Point, target int, out []Point) []Point {
	var length float64
	for k := 1; k < len(pts); k++ {
		length += math.Abs(pts[k].X-pts[k-1].X) + math.Abs(pts[k].Y-pts[k-1].Y)
	}
	step := length / float64(target)
	out = append(out, pts[0])
	var run float64
	for k := 1; k < len(pts)-1; k++ {
		run += math.Abs(pts[k].X-pts[k-1].X) + math.Abs(pts[k].Y-pts[k-1].Y)
		if run >= step {
			out = append(out, pts[k])
			run = 0
		}
	}
	return append(out, pts[len(pts)-1])
}

// segment is a span (lo, hi) of the polyline whose farthest interior point
// from the chord lo-hi is at, at distance d.
type segment struct {
	lo, hi, at int
	d          float64
}

// farthest finds the interior point of pts[lo:hi+1] farthest from the
// chord; ok is false when there is none or all lie on the chord.
func farthest(pts []Point, lo, hi int) (segment, bool) {
	if hi-lo < 2 {
		return segment{}, false
	}
	a, b := pts[lo], pts[hi]
	dx, dy := b.X-a.X, b.Y-a.Y
	norm := math.Hypot(dx, dy)
	best := segment{lo: lo, hi: hi, at: -1}
	for k := lo + 1; k < hi; k++ {
		p := pts[k]
		var d float64
		if norm == 0 {
			d = math.Hypot(p.X-a.X, p.Y-a.Y)
		} else {
			d = math.Abs(dy*(p.X-a.X)-dx*(p.Y-a.Y)) / norm
		}
		if d > best.d {
			best.d, best.at = d, k
		}
	}
	return best, best.at >= 0
}

type segHeap []segment

func (h segHeap) Len() int { return len(h) }
func (h segHeap) Less(i, j int) bool {
	if h[i].d != h[j].d {
		return h[i].d > h[j].d
	}
	return h[i].at < h[j].at // deterministic among equals
}
func (h segHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *segHeap) Push(x any)   { *h = append(*h, x.(segment)) }
func (h *segHeap) Pop() any {
	old := *h
	s := old[len(old)-1]
	*h = old[:len(old)-1]
	return s
}
