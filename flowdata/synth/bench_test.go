package synth

import (
	"io"
	"testing"
)

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }

func benchmarkWrite(b *testing.B, opt Options) {
	var cw countWriter
	if err := Write(&cw, opt); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(cw.n)
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(io.Discard, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(opt.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkWrite_100k is `flowsense gen --rows 100000` with the default mix.
func BenchmarkWrite_100k(b *testing.B) { benchmarkWrite(b, Options{Rows: 100_000, Seed: 1}) }

// BenchmarkWrite_100k_novel adds 5% novel rows.
func BenchmarkWrite_100k_novel(b *testing.B) {
	benchmarkWrite(b, Options{Rows: 100_000, Seed: 1, Novel: 0.05})
}

// BenchmarkWrite_1k measures the fixed cost of a small file.
func BenchmarkWrite_1k(b *testing.B) { benchmarkWrite(b, Options{Rows: 1000, Seed: 1}) }
