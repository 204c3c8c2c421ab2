package gbdt

import (
	"context"
	"fmt"
)

// Member is one model of a bag (Params.Bag): its seed and what its own
// early stopping and weighting chose.
type Member struct {
	Seed        uint64
	Rounds      int // trained
	BestRound   int // kept
	Stop        string
	ClassWeight string
}

// memberSeed is the seed of bag member i; member 0 has the bag's seed, so
// that a bag of one is the single model.
func memberSeed(seed uint64, i int) uint64 {
	return seed + uint64(i)*0x9e3779b97f4a7c15
}

// trainBag trains p.Bag models, each the whole single-model procedure
// (its own validation split, early stopping, weighting choice and refit)
// with its own seed, and averages them: the raw score of the bag is the
// mean of the members' raw scores, which is one ensemble whose trees are
// all the members' trees with their leaves divided by p.Bag and whose
// base score is the mean of the members' base scores. The model format
// and the predictors need nothing new. The Result's curve, validation
// counts and weighting trials are member 0's; Members lists every
// member's choices.
func trainBag(ctx context.Context, d *Data, p Params, progress func(Round)) (*Result, error) {
	k := p.Bag
	var out *Result
	scale := float32(1 / float64(k))
	for i := 0; i < k; i++ {
		q := p
		q.Bag = 1
		q.Seed = memberSeed(p.Seed, i)
		var prog func(Round)
		if progress != nil {
			prog = func(r Round) {
				r.Member = i + 1
				progress(r)
			}
		}
		r, err := Train(ctx, d, q, prog)
		if err != nil {
			if i > 0 {
				return nil, fmt.Errorf("gbdt: bag member %d of %d: %w", i+1, k, err)
			}
			return nil, err
		}
		m := Member{Seed: q.Seed, Rounds: r.Rounds, BestRound: r.BestRound, Stop: r.Stop, ClassWeight: r.ClassWeight}
		for t := range r.Ensemble.Trees {
			v := r.Ensemble.Trees[t].Value
			for j := range v {
				v[j] *= scale
			}
		}
		if i == 0 {
			out = r
			out.Members = []Member{m}
			for j := range out.Ensemble.BaseScore {
				out.Ensemble.BaseScore[j] *= scale
			}
			continue
		}
		out.Members = append(out.Members, m)
		out.Ensemble.Trees = append(out.Ensemble.Trees, r.Ensemble.Trees...)
		for j, b := range r.Ensemble.BaseScore {
			out.Ensemble.BaseScore[j] += b * scale
		}
		for f, v := range r.Importance {
			out.Importance[f] += v
		}
		if r.ClassWeight != out.ClassWeight {
			out.ClassWeight = "mixed"
		}
	}
	return out, nil
}
