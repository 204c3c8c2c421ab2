package gbdt

import (
	"math"
	"math/rand/v2"

	"github.com/flowsense/flowsense/model"
)

// synth makes a seeded classification set of n rows: nf features of which
// the last ncat are categorical with 12 codes; about a third of the numeric
// features are mostly zero like flow counters, and a few carry NaNs. The
// class depends on a handful of features plus noise.
func synth(n, nf, ncat, classes int, seed uint64) *Data {
	rng := rand.New(rand.NewPCG(seed, 7))
	d := &Data{Columns: make([][]float32, nf), Kinds: make([]model.Kind, nf), Categories: make([]int, nf),
		Y: make([]int32, n), Classes: classes}
	for f := range d.Columns {
		d.Columns[f] = make([]float32, n)
		if f >= nf-ncat {
			d.Kinds[f] = model.Categorical
			d.Categories[f] = 12
		}
	}
	for r := 0; r < n; r++ {
		y := rng.IntN(classes)
		d.Y[r] = int32(y)
		for f := range d.Columns {
			var v float64
			switch {
			case d.Kinds[f] == model.Categorical:
				if rng.Float64() < 0.6 {
					v = float64((y*3 + f) % 12)
				} else {
					v = float64(rng.IntN(12))
				}
			case f%3 == 0:
				if rng.Float64() < 0.2 {
					v = math.Floor(rng.ExpFloat64() * float64(1+y) * 10)
				}
			default:
				v = rng.NormFloat64() + float64(y%(1+f%4))*0.7
			}
			if f%7 == 1 && rng.Float64() < 0.05 {
				v = math.NaN()
			}
			d.Columns[f][r] = float32(v)
		}
	}
	return d
}
