package eval

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// distToPolyline is the distance from p to the nearest segment of poly.
func distToPolyline(p Point, poly []Point) float64 {
	best := math.Inf(1)
	for i := 1; i < len(poly); i++ {
		a, b := poly[i-1], poly[i]
		dx, dy := b.X-a.X, b.Y-a.Y
		t := 0.0
		if l := dx*dx + dy*dy; l > 0 {
			t = math.Max(0, math.Min(1, ((p.X-a.X)*dx+(p.Y-a.Y)*dy)/l))
		}
		best = math.Min(best, math.Hypot(p.X-(a.X+t*dx), p.Y-(a.Y+t*dy)))
	}
	return best
}

func trapezoid(pts []Point) float64 {
	var a float64
	for i := 1; i < len(pts); i++ {
		a += (pts[i].X - pts[i-1].X) * (pts[i].Y + pts[i-1].Y) / 2
	}
	return a
}

// A large ROC curve is cut to MaxCurvePoints, keeps its ends and its
// shape: every dropped point stays close to the simplified line, and the
// area under the simplified line stays close to the exact AUC.
func TestCurvesAreDownsampledPreservingShape(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var pos, neg []float64
	for range 20000 {
		pos = append(pos, rng.NormFloat64()+1)
		neg = append(neg, rng.NormFloat64())
	}
	slices.Sort(pos)
	slices.Sort(neg)
	s := &scratch{}
	for _, v := range pos {
		s.pos = append(s.pos, key(v))
	}
	for _, v := range neg {
		s.neg = append(s.neg, key(v))
	}
	s.sortKeys()
	b := binaryCurve(s.pos, s.neg, s)
	for name, c := range map[string][]Point{"roc": b.roc, "pr": b.pr} {
		if len(c) > MaxCurvePoints || len(c) < MaxCurvePoints/2 {
			t.Errorf("%s has %d points, want between %d and %d", name, len(c), MaxCurvePoints/2, MaxCurvePoints)
		}
		for i := 1; i < len(c); i++ {
			if c[i].X < c[i-1].X {
				t.Errorf("%s x goes back at point %d: %v then %v", name, i, c[i-1], c[i])
				break
			}
		}
	}
	if first, last := b.roc[0], b.roc[len(b.roc)-1]; first != (Point{0, 0}) || last != (Point{1, 1}) {
		t.Errorf("ROC runs from %v to %v, want (0,0) to (1,1)", first, last)
	}
	if first, last := b.pr[0], b.pr[len(b.pr)-1]; first != (Point{0, 1}) || last.X != 1 {
		t.Errorf("PR runs from %v to %v, want (0,1) to recall 1", first, last)
	}
	if got := trapezoid(b.roc); math.Abs(got-b.rocAUC) > 0.002 {
		t.Errorf("area under the simplified ROC = %v, exact AUC %v", got, b.rocAUC)
	}
	// Rebuild the full curve to measure the simplification error.
	full := []Point{{0, 0}}
	i, j, tp, fp := len(pos)-1, len(neg)-1, 0, 0
	for i >= 0 || j >= 0 {
		if j < 0 || (i >= 0 && pos[i] >= neg[j]) {
			tp++
			i--
		} else {
			fp++
			j--
		}
		full = append(full, Point{float64(fp) / float64(len(neg)), float64(tp) / float64(len(pos))})
	}
	worst := 0.0
	for _, p := range full {
		worst = math.Max(worst, distToPolyline(p, b.roc))
	}
	if worst > 0.005 {
		t.Errorf("a dropped ROC point lies %v from the simplified curve, want <= 0.005", worst)
	}
}

func TestSimplify(t *testing.T) {
	cases := map[string]struct {
		in   []Point
		max  int
		want []Point
	}{
		"two points":  {[]Point{{0, 0}, {1, 1}}, 5, []Point{{0, 0}, {1, 1}}},
		"collinear":   {[]Point{{0, 0}, {0.25, 0.25}, {0.5, 0.5}, {1, 1}}, 5, []Point{{0, 0}, {1, 1}}},
		"one corner":  {[]Point{{0, 0}, {0, 0.5}, {0, 1}, {0.5, 1}, {1, 1}}, 5, []Point{{0, 0}, {0, 1}, {1, 1}}},
		"budget of 3": {[]Point{{0, 0}, {0.1, 0.5}, {0.2, 0.9}, {0.6, 0.95}, {1, 1}}, 3, []Point{{0, 0}, {0.2, 0.9}, {1, 1}}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := (&scratch{}).simplify(c.in, c.max); !slices.Equal(got, c.want) {
				t.Errorf("simplify = %v, want %v", got, c.want)
			}
		})
	}
}
