package gbdt

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// TestReleaseSameModel: with Data.Release, Train drops the raw columns once
// binned and still trains the same ensemble, through the class weighting
// trial and the refit (which reuse the first run's bins).
func TestReleaseSameModel(t *testing.T) {
	for _, cw := range []string{WeightAuto, WeightBalanced} {
		t.Run(cw, func(t *testing.T) {
			p := DefaultParams()
			p.Rounds = 25
			p.ClassWeight = cw
			p.Refit = true
			keep := synth(6000, 9, 2, 3, 5)
			rel := synth(6000, 9, 2, 3, 5)
			rel.Release = true
			a, err := Train(context.Background(), keep, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Train(context.Background(), rel, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !a.Refit || !b.Refit {
				t.Fatalf("no refit (%v, %v): the test does not reach the bins' reuse", a.Refit, b.Refit)
			}
			ja, _ := json.Marshal(a.Ensemble)
			jb, _ := json.Marshal(b.Ensemble)
			if string(ja) != string(jb) {
				t.Error("Release changes the model")
			}
			for f, c := range rel.Columns {
				if c != nil {
					t.Errorf("Columns[%d] kept after Release", f)
				}
			}
			for f, c := range keep.Columns {
				if len(c) != 6000 {
					t.Errorf("Columns[%d] has %d values without Release", f, len(c))
				}
			}
		})
	}
}

// TestMixedBinWidths: a feature of more than 256 bins takes two bytes a
// cell, the others one, and every cell holds its value's bin.
func TestMixedBinWidths(t *testing.T) {
	const n = 3000
	rng := rand.New(rand.NewPCG(3, 4))
	d := &Data{Columns: make([][]float32, 3), Kinds: []model.Kind{model.Numeric, model.Categorical, model.Categorical},
		Categories: []int{0, 300, 7}, Y: make([]int32, n), Classes: 2}
	for f := range d.Columns {
		d.Columns[f] = make([]float32, n)
	}
	for r := 0; r < n; r++ {
		d.Columns[0][r] = float32(rng.NormFloat64())
		d.Columns[1][r] = float32(rng.IntN(300))
		d.Columns[2][r] = float32(rng.IntN(7))
		d.Y[r] = int32(rng.IntN(2))
	}
	b := binData(d, 255, 2, 1)
	for f, wantWide := range []bool{false, true, false} {
		if (b.u16[f] != nil) != wantWide || (b.u8[f] != nil) == wantWide {
			t.Errorf("feature %d (%d bins): u8 %v, u16 %v", f, b.nbins[f], b.u8[f] != nil, b.u16[f] != nil)
		}
		for r, x := range d.Columns[f] {
			if got, want := b.bin(f, r), b.binOf(f, x); got != want {
				t.Fatalf("feature %d row %d: bin %d, want %d", f, r, got, want)
			}
		}
	}
	res, err := Train(context.Background(), d, small(), nil)
	if err != nil {
		t.Fatal(err)
	}
	used := map[int32]bool{}
	for _, tr := range res.Ensemble.Trees {
		for _, f := range tr.Feature {
			used[f] = true
		}
	}
	if !used[1] || !slices.ContainsFunc(res.Ensemble.Trees, func(tr model.Tree) bool { return tr.Len() > 1 }) {
		t.Errorf("the wide feature is never split on (features used: %v)", used)
	}
}
