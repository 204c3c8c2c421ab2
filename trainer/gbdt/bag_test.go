package gbdt

import (
	"context"
	"math"
	"testing"
)

// A bag of one is the single model, byte for byte.
func TestBagOfOneIsTheSingleModel(t *testing.T) {
	d := synth(3000, 8, 2, 3, 5)
	p := DefaultParams()
	p.Rounds = 40
	one := mustTrain(t, d, p)
	p.Bag = 1
	bag := mustTrain(t, d, p)
	if string(mustJSON(t, one.Ensemble)) != string(mustJSON(t, bag.Ensemble)) || bag.Members != nil {
		t.Fatal("Bag 1 differs from the single model")
	}
}

// The bag's raw score is the mean of its members' raw scores, each member
// being the single-model procedure at its own seed.
func TestBagAveragesItsMembers(t *testing.T) {
	for _, classes := range []int{2, 3} {
		d := synth(3000, 8, 2, classes, 5)
		p := DefaultParams()
		p.Rounds, p.Bag = 40, 3
		bag := mustTrain(t, d, p)
		if len(bag.Members) != 3 {
			t.Fatalf("%d members, want 3", len(bag.Members))
		}
		var members []*Result
		trees := 0
		for i, m := range bag.Members {
			q := p
			q.Bag, q.Seed = 0, memberSeed(p.Seed, i)
			if m.Seed != q.Seed {
				t.Fatalf("member %d seed %d, want %d", i, m.Seed, q.Seed)
			}
			r := mustTrain(t, d, q)
			if r.BestRound != m.BestRound || r.ClassWeight != m.ClassWeight {
				t.Fatalf("member %d: best round %d weight %s, alone %d %s", i, m.BestRound, m.ClassWeight, r.BestRound, r.ClassWeight)
			}
			members = append(members, r)
			trees += len(r.Ensemble.Trees)
		}
		if len(bag.Ensemble.Trees) != trees {
			t.Fatalf("%d trees, the members have %d", len(bag.Ensemble.Trees), trees)
		}
		if members[0].BestRound == members[1].BestRound && members[1].BestRound == members[2].BestRound &&
			string(mustJSON(t, members[0].Ensemble)) == string(mustJSON(t, members[1].Ensemble)) {
			t.Fatal("the members are the same model: the seeds do not reach them")
		}
		k := bag.Ensemble.Outputs
		raw, mraw := make([]float64, k), make([]float64, k)
		row := make([]float32, len(d.Columns))
		for i := 0; i < 200; i++ {
			for f := range d.Columns {
				row[f] = d.Columns[f][i]
			}
			bag.Ensemble.Raw(row, raw)
			want := make([]float64, k)
			for _, m := range members {
				m.Ensemble.Raw(row, mraw)
				for j := range want {
					want[j] += mraw[j] / 3
				}
			}
			for j := range want {
				if math.Abs(raw[j]-want[j]) > 1e-4*(1+math.Abs(want[j])) {
					t.Fatalf("%d classes, row %d output %d: bag %v, mean of members %v", classes, i, j, raw[j], want[j])
				}
			}
		}
	}
}

func TestBagValidates(t *testing.T) {
	d := synth(500, 4, 0, 2, 1)
	for _, b := range []int{-1, maxBag + 1} {
		p := DefaultParams()
		p.Bag = b
		if _, err := Train(context.Background(), d, p, nil); err == nil {
			t.Fatalf("Bag %d accepted", b)
		}
	}
}
