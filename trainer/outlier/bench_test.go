package outlier

import (
	"math/rand/v2"
	"testing"
)

// BenchmarkFit_100000x18 fits the batch detector on 100,000 benign rows of
// 18 inputs (the KDD Cup traffic-feature shape), under each Log1p rule
// (auto, the default, pays for a median per input).
func BenchmarkFit_100000x18(b *testing.B) {
	cols := columns(gaussian(rand.New(rand.NewPCG(31, 0)), 100000, 18))
	features := identity(18)
	for _, rule := range []string{Log1pAuto, Log1pNone, Log1pAll} {
		b.Run("log1p_"+rule, func(b *testing.B) {
			p := DefaultParams()
			p.Log1p = rule
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Fit(cols, features, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkOnlineScore_1000x18_k2 scores (and updates with) one 1000-row
// batch of 18 inputs with 2 components, alibi-detect's KDD settings.
func BenchmarkOnlineScore_1000x18_k2(b *testing.B) {
	rows := gaussian(rand.New(rand.NewPCG(32, 0)), 1000, 18)
	o, err := NewOnline(18, Params{Components: 2, NStdev: 3, StartClip: 20})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := o.Score(rows); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Score(rows); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkModelScore_18x18 scores one row with an exported 18-input,
// 18-component detector through the reference scorer.
func BenchmarkModelScore_18x18(b *testing.B) {
	rows := gaussian(rand.New(rand.NewPCG(33, 0)), 10000, 18)
	m, err := Fit(columns(rows), identity(18), DefaultParams())
	if err != nil {
		b.Fatal(err)
	}
	row := f32(rows[0])
	b.ReportAllocs()
	var s float64
	for b.Loop() {
		s += m.Score(row)
	}
	_ = s
}
