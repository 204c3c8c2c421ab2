package gbdt

import (
	"context"
	"math"
)

// WeightTrial is one class weighting weighed by WeightAuto on the
// validation rows.
type WeightTrial struct {
	Weight    string  // WeightBalanced, WeightSqrt or WeightNone
	Accuracy  float64 // on the validation rows
	MacroF1   float64 // over the classes present in the validation rows or predicted there
	BestRound int
	Chosen    bool
}

// weightCandidates are the weightings WeightAuto weighs, the first the one
// it trains with and keeps unless the validation rows show another is
// better.
var weightCandidates = []string{WeightBalanced, WeightSqrt, WeightNone}

// accuracyGuard is how far below the best validation accuracy a weighting
// may score and still be chosen.
const accuracyGuard = 0.002

// trainAuto is Train for WeightAuto. It trains once with balanced class
// weights, early stopping on the validation split, and weighs each
// candidate weighting w as the offset it makes to the raw scores,
// log(w_c) - log(balanced_c) per class (for a model fitted by log-loss,
// weighting class c by w_c moves its log-odds by log w_c: Menon et al.
// 2021, logit adjustment). The validation rows score each offset; see
// chooseWeight. The offset chosen is added to BaseScore, and with
// Params.Refit the ensemble is trained again on every row.
func trainAuto(ctx context.Context, d *Data, p Params, progress func(Round)) (*Result, error) {
	q := p
	q.ClassWeight = weightCandidates[0]
	res, t, err := train(ctx, d, q, progress)
	if err != nil {
		return nil, err
	}
	if res.validScores == nil { // nothing to choose on
		return res, nil
	}
	cnt := make([]float64, d.Classes)
	for _, y := range d.Y {
		cnt[y]++
	}
	logw := func(name string, c int) float64 {
		bal := float64(len(d.Y)) / (float64(d.Classes) * max(cnt[c], 1))
		switch name {
		case WeightBalanced:
			return math.Log(bal)
		case WeightSqrt:
			return 0.5 * math.Log(bal)
		}
		return 0
	}
	k := res.Ensemble.Outputs
	var trials []WeightTrial
	var offs [][]float64
	for _, w := range weightCandidates {
		off := make([]float64, k)
		if k == 1 { // logistic: the log-odds of class 1
			off[0] = (logw(w, 1) - logw(q.ClassWeight, 1)) - (logw(w, 0) - logw(q.ClassWeight, 0))
		} else {
			for c := range off {
				off[c] = logw(w, c) - logw(q.ClassWeight, c)
			}
		}
		acc, f1 := validScore(res.validScores, res.validY, k, d.Classes, off)
		trials = append(trials, WeightTrial{Weight: w, Accuracy: acc, MacroF1: f1, BestRound: res.BestRound})
		offs = append(offs, off)
	}
	best := chooseWeight(trials, weightMargin(res.validY, d.Classes))
	trials[best].Chosen = true
	res.trainedBase = append([]float32(nil), res.Ensemble.BaseScore...)
	for j, o := range offs[best] {
		res.Ensemble.BaseScore[j] = float32(float64(res.Ensemble.BaseScore[j]) + o)
	}
	res.Weights = trials
	res.ClassWeight = weightCandidates[best]
	if !p.Refit {
		return res, nil
	}
	return refit(ctx, d, q, res, t.b)
}

// weightMargin is how much a weighting's validation macro-F1 must beat the
// first eligible candidate's by to replace it: the most one validation row
// of the smallest class present can move macro-F1, 1/(classes·rows). On
// NSL-KDD kdd5 the validation split holds 5 u2r rows (margin 0.04), on
// CIC-IDS2017 a single Heartbleed row (0.06): there a macro-F1 difference
// between weightings is one or two rows, not evidence.
func weightMargin(y []int32, classes int) float64 {
	cnt := make([]int, classes)
	for _, c := range y {
		cnt[c]++
	}
	least := 0
	for _, n := range cnt {
		if n > 0 && (least == 0 || n < least) {
			least = n
		}
	}
	if least == 0 {
		return 0
	}
	return 1 / float64(classes*least)
}

// chooseWeight returns the index of the trial chosen: among those within
// accuracyGuard of the best accuracy, the first, unless a later one's
// macro-F1 beats the first's by more than margin (then the one of best
// macro-F1).
func chooseWeight(trials []WeightTrial, margin float64) int {
	top := math.Inf(-1)
	for _, t := range trials {
		top = max(top, t.Accuracy)
	}
	ref, best := -1, -1
	for i, t := range trials {
		if t.Accuracy < top-accuracyGuard {
			continue
		}
		if ref < 0 {
			ref, best = i, i
			continue
		}
		if t.MacroF1 > trials[ref].MacroF1+margin && t.MacroF1 > trials[best].MacroF1 {
			best = i
		}
	}
	return best
}

// validScore is the accuracy and macro-F1 of raw scores (k per row, plus
// off) against y, predicting the class of the largest score (for one
// output: class 1 when the score is positive).
func validScore(scores []float64, y []int32, k, classes int, off []float64) (acc, macroF1 float64) {
	tp := make([]float64, classes)
	fp := make([]float64, classes)
	fn := make([]float64, classes)
	correct := 0
	for i, truth := range y {
		s := scores[i*k : i*k+k]
		pred := 0
		if k == 1 {
			if s[0]+off[0] > 0 {
				pred = 1
			}
		} else {
			bv := math.Inf(-1)
			for j, v := range s {
				if v+off[j] > bv {
					bv, pred = v+off[j], j
				}
			}
		}
		if pred == int(truth) {
			correct++
			tp[pred]++
		} else {
			fp[pred]++
			fn[truth]++
		}
	}
	n := 0
	for c := range tp {
		if tp[c]+fp[c]+fn[c] == 0 {
			continue
		}
		n++
		macroF1 += 2 * tp[c] / (2*tp[c] + fp[c] + fn[c])
	}
	if n > 0 {
		macroF1 /= float64(n)
	}
	return float64(correct) / float64(len(y)), macroF1
}
