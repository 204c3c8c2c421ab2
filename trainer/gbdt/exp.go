package gbdt

import "math"

// expNeg is e^x for x <= 0, to a relative error below 1e-8: the softmax of
// every training row every round needs one per class, and math.Exp was a
// sixth of the training time. Gradients are quantised to 8 bits right after,
// so the error never reaches a model; reported losses move in the 8th digit.
// The predictor keeps math.Exp.
func expNeg(x float64) float64 {
	if x < -708 {
		return 0
	}
	t := x * math.Log2E
	n := float64(int64(t - 0.5)) // t <= 0: ceil(t-0.5), so |t-n| <= 1/2
	f := (t - n) * math.Ln2      // |f| <= ln2/2
	// Taylor series of e^f to degree 8 (Horner)
	p := 1 + f*(1+f*(1.0/2+f*(1.0/6+f*(1.0/24+f*(1.0/120+f*(1.0/720+f*(1.0/5040+f*(1.0/40320))))))))
	return math.Float64frombits(math.Float64bits(p) + uint64(int64(n))<<52)
}
