package eval

import (
	"math"
	"slices"
)

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
	var pos, neg []float64
	tp, fp := 0, 0
	for i, s := range scores {
		if math.IsNaN(s) {
			return OutlierMetrics{}, OutlierCurves{}, inputErr("scores", i, ErrScore)
		}
		flagged := s > threshold
		if truth[i] {
			pos = append(pos, s)
			if flagged {
				tp++
			}
		} else {
			neg = append(neg, s)
			if flagged {
				fp++
			}
		}
	}
	slices.Sort(pos)
	slices.Sort(neg)
	b := binaryCurve(pos, neg)
	m := OutlierMetrics{
		Precision: ratio(tp, tp+fp),
		Recall:    ratio(tp, len(pos)),
		F1:        ratio(2*tp, len(pos)+tp+fp),
		ROCAUC:    b.rocAUC,
		Threshold: threshold,
	}
	c := OutlierCurves{
		ROC: Curve{Class: "attack", Defined: b.rocDefined, Area: b.rocAUC, Points: b.roc},
		PR:  Curve{Class: "attack", Defined: b.prDefined, Area: b.ap, Points: b.pr},
	}
	return m, c, nil
}
