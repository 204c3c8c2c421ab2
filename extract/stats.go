package extract

import "math"

// summary is Apache Commons Math's SummaryStatistics as CICFlowMeter uses
// it: count, sum, min, max, and the mean and variance updated one value at
// a time by the same recurrences (FirstMoment and SecondMoment), so that
// means and deviations agree with the reference to the last bits rather
// than to a tolerance.
type summary struct {
	n        int64
	sum      float64
	min, max float64
	m1       float64 // running mean
	m2       float64 // sum of squared deviations from the mean
}

func (s *summary) add(x float64) {
	if s.n == 0 {
		s.min, s.max = x, x
		s.m1, s.m2 = 0, 0
	} else {
		if x < s.min {
			s.min = x
		}
		if x > s.max {
			s.max = x
		}
	}
	s.n++
	s.sum += x
	// FirstMoment.increment and SecondMoment.increment.
	dev := x - s.m1
	nDev := dev / float64(s.n)
	s.m1 += nDev
	s.m2 += float64(s.n-1) * dev * nDev
}

// mean is NaN for no values, as getMean is.
func (s *summary) mean() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.m1
}

// variance is the bias-corrected sample variance: NaN for no values and 0
// for one, as getVariance is.
func (s *summary) variance() float64 {
	switch s.n {
	case 0:
		return math.NaN()
	case 1:
		return 0
	}
	return s.m2 / float64(s.n-1)
}

func (s *summary) std() float64 {
	v := s.variance()
	if math.IsNaN(v) {
		return v
	}
	return math.Sqrt(v)
}

// minimum and maximum are NaN for no values, as getMin and getMax are.
func (s *summary) minimum() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.min
}

func (s *summary) maximum() float64 {
	if s.n == 0 {
		return math.NaN()
	}
	return s.max
}
