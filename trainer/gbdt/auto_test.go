package gbdt

import (
	"context"
	"encoding/json"
	"math"
	"testing"
)

func TestChooseWeight(t *testing.T) {
	tr := func(acc, f1 float64) WeightTrial { return WeightTrial{Accuracy: acc, MacroF1: f1} }
	unsure := func(t WeightTrial) WeightTrial { t.P = significance; return t }
	tests := map[string]struct {
		trials []WeightTrial
		margin float64
		want   int
		pRef   float64 // p-value of a challenger against a reference other than trial 0
	}{
		"first kept on a tie":             {[]WeightTrial{tr(0.9, 0.8), tr(0.9, 0.8), tr(0.9, 0.8)}, 0, 0, 1},
		"better macro-F1 wins":            {[]WeightTrial{tr(0.9, 0.7), tr(0.9, 0.8), tr(0.9, 0.75)}, 0, 1, 1},
		"gain within the margin is noise": {[]WeightTrial{tr(0.9, 0.7), tr(0.9, 0.73), tr(0.9, 0.72)}, 0.04, 0, 1},
		"gain beyond the margin counts":   {[]WeightTrial{tr(0.9, 0.7), tr(0.9, 0.73), tr(0.9, 0.75)}, 0.04, 2, 1},
		"gain not beyond chance":          {[]WeightTrial{tr(0.9, 0.7), tr(0.9, 0.73), unsure(tr(0.9, 0.75))}, 0.04, 0, 1},
		"only the gain that holds counts": {[]WeightTrial{tr(0.9, 0.7), tr(0.9, 0.75), unsure(tr(0.9, 0.8))}, 0.04, 1, 1},
		// past the guard the challenger is tested against the first
		// eligible trial (pRef), not against balanced (P)
		"past the guard, not beyond chance on the first eligible": {[]WeightTrial{tr(0.8, 0.9), tr(0.9, 0.6), tr(0.9, 0.7)}, 0.04, 1, significance},
		"past the guard, beyond chance on the first eligible":     {[]WeightTrial{tr(0.8, 0.9), tr(0.9, 0.6), unsure(tr(0.9, 0.7))}, 0.04, 2, 0.01},
		"accuracy guard drops the first":                          {[]WeightTrial{tr(0.85, 0.9), tr(0.899, 0.6), tr(0.9, 0.5)}, 0.04, 1, 1},
		"guard leaves only the last":                              {[]WeightTrial{tr(0.80, 0.9), tr(0.85, 0.9), tr(0.9, 0.5)}, 0, 2, 1},
		"guard keeps a near-best accuracy":                        {[]WeightTrial{tr(0.8985, 0.9), tr(0.9, 0.5), tr(0.9, 0.5)}, 0, 0, 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// against balanced (ref 0) the recorded P; against another
			// reference the case's pRef, the pairwise sign test's p-value
			vsRef := func(i, ref int) float64 {
				if ref == 0 {
					return tc.trials[i].P
				}
				return tc.pRef
			}
			if got := chooseWeight(tc.trials, tc.margin, vsRef); got != tc.want {
				t.Fatalf("chose %d, want %d", got, tc.want)
			}
		})
	}
}

func TestWeightMargin(t *testing.T) {
	// 3 classes in the labels, the smallest with 2 rows; class 3 absent
	y := []int32{0, 0, 0, 0, 1, 1, 2, 2, 2}
	if got, want := weightMargin(y, 4), 1/8.0; got != want {
		t.Fatalf("margin %v, want %v", got, want)
	}
	if got := weightMargin(nil, 3); got != 0 {
		t.Fatalf("margin of no rows %v, want 0", got)
	}
}

func TestSignTest(t *testing.T) {
	tests := map[string]struct {
		gained, lost int
		want         float64
	}{
		"no disagreement":     {0, 0, 1},
		"one row":             {1, 0, 0.5},
		"five of five":        {5, 0, 1.0 / 32},
		"four of five":        {4, 1, 6.0 / 32},
		"even":                {3, 3, 42.0 / 64},
		"none gained":         {0, 4, 1},
		"large and one-sided": {60, 40, 0.028443966820490392},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := signTest(tc.gained, tc.lost); math.Abs(got-tc.want) > 1e-12 {
				t.Fatalf("signTest(%d, %d) = %v, want %v", tc.gained, tc.lost, got, tc.want)
			}
		})
	}
	y := []int32{0, 0, 1, 1, 2}
	a := []int32{0, 1, 1, 0, 2} // rows 1 and 3 wrong
	b := []int32{0, 0, 2, 0, 1} // rows 2, 3 and 4 wrong
	if g, l := disagreement(a, b, y); g != 1 || l != 2 {
		t.Fatalf("gained %d lost %d, want 1 and 2", g, l)
	}
}

// unbalanced is a two-feature set where class 1 is rare (1 row in 20) and
// overlaps class 0: balanced weights trade many class-0 errors for a few
// class-1 hits, so accuracy tells the weightings apart.
func unbalanced(n int) *Data {
	d := synth(n, 2, 0, 2, 3)
	for i := range d.Y {
		d.Y[i] = 0
		if i%20 == 0 {
			d.Y[i] = 1
			d.Columns[0][i] += 0.3 // a weak signal
		}
	}
	return d
}

func TestAutoWeightRecordsTheChoice(t *testing.T) {
	d := unbalanced(4000)
	p := DefaultParams()
	p.Rounds = 60
	res, err := Train(context.Background(), d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Weights) != len(weightCandidates) {
		t.Fatalf("%d weight trials, want %d", len(res.Weights), len(weightCandidates))
	}
	chosen := 0
	for i, w := range res.Weights {
		if w.Weight != weightCandidates[i] || w.BestRound != res.BestRound || !(w.Accuracy > 0) {
			t.Fatalf("trial %d = %+v", i, w)
		}
		if w.Chosen {
			chosen++
			if w.Weight != res.ClassWeight {
				t.Fatalf("trial %s chosen, result says %s", w.Weight, res.ClassWeight)
			}
		}
	}
	if chosen != 1 {
		t.Fatalf("%d trials chosen, want 1", chosen)
	}
	// the rare class is mostly noise: balanced weights cost accuracy far
	// beyond the guard, so the choice must not be balanced
	if res.Weights[0].Accuracy >= res.Weights[2].Accuracy-accuracyGuard {
		t.Fatalf("balanced %.4f vs none %.4f: the set does not separate the weightings", res.Weights[0].Accuracy, res.Weights[2].Accuracy)
	}
	if res.ClassWeight == WeightBalanced {
		t.Fatalf("kept balanced weights at validation accuracy %.4f against none's %.4f", res.Weights[0].Accuracy, res.Weights[2].Accuracy)
	}
}

func TestRefitTrainsOnEveryRowForTheBestRound(t *testing.T) {
	d := unbalanced(4000)
	p := DefaultParams()
	p.Rounds, p.ClassWeight = 200, WeightNone
	p.Refit = false
	once, err := Train(context.Background(), d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	p.Refit = true
	res, err := Train(context.Background(), d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if once.Refit || !res.Refit {
		t.Fatalf("Refit %v without, %v with refitting", once.Refit, res.Refit)
	}
	if res.BestRound != once.BestRound || len(res.Ensemble.Trees) != res.BestRound {
		t.Fatalf("best round %d (%d without refit), %d trees", res.BestRound, once.BestRound, len(res.Ensemble.Trees))
	}
	if string(mustJSON(t, res.Ensemble)) == string(mustJSON(t, once.Ensemble)) {
		t.Fatal("the refitted ensemble equals the one fitted without the validation rows")
	}
	// the refit's trees are those of a plain run on every row
	q := p
	q.Rounds, q.EarlyStopping, q.Refit = res.BestRound, 0, false
	all, err := Train(context.Background(), d, q, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(mustJSON(t, res.Ensemble)) != string(mustJSON(t, all.Ensemble)) {
		t.Fatal("the refit differs from training on every row for the best round")
	}
}

func TestStopReasons(t *testing.T) {
	d := unbalanced(3000)
	p := DefaultParams()
	p.ClassWeight, p.Refit = WeightNone, false
	p.Rounds = 3
	res, err := Train(context.Background(), d, p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopBudget && res.Stop != StopPatience {
		t.Fatalf("stop %q after 3 rounds with a validation split", res.Stop)
	}
	p.Rounds = 1000
	if res, err = Train(context.Background(), d, p, nil); err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopPatience || res.Rounds != res.BestRound+p.EarlyStopping {
		t.Fatalf("stop %q at %d rounds, best %d: want patience", res.Stop, res.Rounds, res.BestRound)
	}
	p.EarlyStopping, p.Rounds = 0, 4
	if res, err = Train(context.Background(), d, p, nil); err != nil {
		t.Fatal(err)
	}
	if res.Stop != StopNoValidation || res.Rounds != 4 || res.ValidRows != 0 {
		t.Fatalf("stop %q, %d rounds, %d validation rows: want no-validation", res.Stop, res.Rounds, res.ValidRows)
	}
}

func TestSqrtWeightsSitBetween(t *testing.T) {
	d := unbalanced(2000)
	p := small()
	w := map[string][]float32{}
	for _, cw := range []string{WeightNone, WeightSqrt, WeightBalanced} {
		p.ClassWeight = cw
		_, tr, err := train(context.Background(), d, p, nil)
		if err != nil {
			t.Fatal(err)
		}
		w[cw] = []float32{tr.weight(0), tr.weight(1)} // row 0 is class 1, row 1 class 0
	}
	// class 1 has 1 row in 20: balanced weight 10 (and 20/38), sqrt its root
	if w[WeightNone][0] != 1 || w[WeightBalanced][0] <= w[WeightSqrt][0] || w[WeightSqrt][0] <= 1 {
		t.Fatalf("class-1 weights none %v sqrt %v balanced %v", w[WeightNone][0], w[WeightSqrt][0], w[WeightBalanced][0])
	}
	if got, want := w[WeightSqrt][0]*w[WeightSqrt][0], w[WeightBalanced][0]; got < want*0.999 || got > want*1.001 {
		t.Fatalf("sqrt weight squared %v, balanced %v", got, want)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
