package eval

import "math"

// EvaluateOutlier computes the figures of the outlier detector. truth[i]
// is true when row i is an attack (an outlier), scores[i] is its outlier
// score (higher is more anomalous), and a row is flagged when its score is
// strictly greater than threshold. ROC-AUC is 0 and its curve undefined
// when the rows are all attacks or all benign.
func EvaluateOutlier(truth []bool, scores []float64, threshold float64) (OutlierMetrics, OutlierCurves, error) {
	n := len(truth)
	if n == 0 {
		return OutlierMetrics{}, OutlierCurves{}, inputErr("truth", -1, ErrEmpty)
	}
	if len(scores) != n {
		return OutlierMetrics{}, OutlierCurves{}, inputErr("scores", -1, ErrLength)
	}
	if math.IsNaN(threshold) || math.IsInf(threshold, 0) {
		return OutlierMetrics{}, OutlierCurves{}, inputErr("threshold", -1, ErrScore)
	}
	s := newScratch(n)
	tp, fp := 0, 0
	for i, sc := range scores {
		if math.IsNaN(sc) {
			return OutlierMetrics{}, OutlierCurves{}, inputErr("scores", i, ErrScore)
		}
		flagged := sc > threshold
		if truth[i] {
			s.pos = append(s.pos, key(sc))
			if flagged {
				tp++
			}
		} else {
			s.neg = append(s.neg, key(sc))
			if flagged {
				fp++
			}
		}
	}
	s.sortKeys()
	b := binaryCurve(s.pos, s.neg, s)
	m := OutlierMetrics{
		Precision: ratio(tp, tp+fp),
		Recall:    ratio(tp, len(s.pos)),
		F1:        ratio(2*tp, len(s.pos)+tp+fp),
		ROCAUC:    b.rocAUC,
		Threshold: threshold,
	}
	c := OutlierCurves{
		ROC: Curve{Class: "attack", Defined: b.rocDefined, Area: b.rocAUC, Points: b.roc},
		PR:  Curve{Class: "attack", Defined: b.prDefined, Area: b.ap, Points: b.pr},
	}
	return m, c, nil
}
