package trainer

import (
	"fmt"
	"math"

	"github.com/flowsense/flowsense/trainer/eval"
	"github.com/flowsense/flowsense/trainer/gbdt"
)

// trainingSummary is metrics.json's account of how boosting went.
func trainingSummary(b *gbdt.Result, p gbdt.Params) *eval.Training {
	t := &eval.Training{
		RoundBudget: p.Rounds,
		Rounds:      b.Rounds,
		BestRound:   b.BestRound,
		Stop:        b.Stop,
		StopReason:  stopReason(b, p),
		Patience:    p.EarlyStopping,
		TrainRows:   b.TrainRows,
		ValidRows:   b.ValidRows,
		Refit:       b.Refit,
		ClassWeight: b.ClassWeight,
	}
	for i, w := range b.Weights {
		wt := eval.WeightTrial{
			Weight: w.Weight, Accuracy: w.Accuracy, MacroF1: w.MacroF1, BestRound: w.BestRound, Chosen: w.Chosen,
			Gained: w.Gained, Lost: w.Lost,
		}
		if i > 0 {
			wt.P = &w.P
		}
		t.ClassWeightTrials = append(t.ClassWeightTrials, wt)
	}
	for _, m := range b.Members {
		t.Bag = append(t.Bag, eval.BagMember{Seed: m.Seed, Rounds: m.Rounds, BestRound: m.BestRound, Stop: m.Stop, ClassWeight: m.ClassWeight})
	}
	for _, r := range b.Curve {
		tr := eval.TrainingRound{Round: r.Round, TrainLoss: r.Train}
		if !math.IsNaN(r.Valid) {
			v, e := r.Valid, r.ValidError
			tr.ValidLoss, tr.ValidError = &v, &e
		}
		t.Curve = append(t.Curve, tr)
	}
	return t
}

// stopReason says in a sentence why boosting ended.
func stopReason(b *gbdt.Result, p gbdt.Params) string {
	switch b.Stop {
	case gbdt.StopPatience:
		return fmt.Sprintf("the validation error did not fall for %d rounds after round %d (of %d trained; budget %d)", p.EarlyStopping, b.BestRound, b.Rounds, p.Rounds)
	case gbdt.StopBudget:
		return fmt.Sprintf("the round budget of %d ran out; the validation error was lowest first at round %d", p.Rounds, b.BestRound)
	}
	if p.EarlyStopping == 0 {
		return fmt.Sprintf("early stopping is off: all %d rounds trained", p.Rounds)
	}
	return fmt.Sprintf("too few rows to hold out a validation split: all %d rounds trained", p.Rounds)
}

// weightSummary says which class weighting was kept and why, for the
// terminal and the report.
func weightSummary(b *gbdt.Result) string {
	if len(b.Members) > 0 {
		s := fmt.Sprintf("a bag of %d models (best round / class weight:", len(b.Members))
		for i, m := range b.Members {
			if i > 0 {
				s += ";"
			}
			s += fmt.Sprintf(" %d / %s", m.BestRound, m.ClassWeight)
		}
		return s + ")"
	}
	if len(b.Weights) == 0 {
		return "class weight " + b.ClassWeight
	}
	s := "class weight " + b.ClassWeight + " chosen on the validation split (accuracy / macro-F1; a gain counts past one row of the smallest class and p < 0.05:"
	for i, w := range b.Weights {
		if i > 0 {
			s += ";"
		}
		s += fmt.Sprintf(" %s %.4f / %.4f", w.Weight, w.Accuracy, w.MacroF1)
		if i > 0 {
			s += fmt.Sprintf(" (rows +%d -%d against %s, sign test p %.2g)", w.Gained, w.Lost, b.Weights[0].Weight, w.P)
		}
	}
	return s + ")"
}
