package gbdt

import (
	"context"
	"testing"
)

func benchTrain(b *testing.B, n, nf, classes int, p Params) {
	d := synth(n, nf, 3, classes, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := Train(context.Background(), d, p, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func fixedRounds(r int) Params {
	p := DefaultParams()
	p.Rounds = r
	p.EarlyStopping = 0
	return p
}

func BenchmarkTrain_100kx40_5class_20rounds(b *testing.B) {
	benchTrain(b, 100000, 40, 5, fixedRounds(20))
}

func BenchmarkTrain_100kx40_5class_20rounds_perclass(b *testing.B) {
	p := fixedRounds(20)
	p.Multiclass = MultiPerClass
	benchTrain(b, 100000, 40, 5, p)
}

func BenchmarkTrain_100kx40_binary_20rounds(b *testing.B) {
	benchTrain(b, 100000, 40, 2, fixedRounds(20))
}

// BenchmarkHist_100kx40_W5 builds root histograms (no skipped bin) of
// 100,000 rows and 40 features with 5 leaf outputs.
func BenchmarkHist_100kx40_W5(b *testing.B) {
	d := synth(100000, 40, 0, 5, 1)
	bn := binData(d, 255, 1, 1)
	og := make([]uint16, 100000*5)
	for i := range og {
		og[i] = pack16(int64(i%17-8), int64(i%13))
	}
	h := make([]int64, 256*6)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for f := 0; f < 40; f++ {
			clear(h)
			histRows(h, bn.u8[f], nil, og, 5, -1)
		}
	}
}
