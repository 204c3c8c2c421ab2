//go:build realdata

package flowdata

import (
	"path/filepath"
	"testing"
)

func benchRead(b *testing.B, rel string, rows int) {
	path := filepath.Join(dataDir(b), rel)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		d, err := Read([]string{path}, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if d.Rows != rows {
			b.Fatalf("%s: %d rows, want %d", path, d.Rows, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
}

func BenchmarkReadKDD99_10pct(b *testing.B) {
	benchRead(b, "kddcup99/kddcup.data_10_percent.gz", 494021)
}

func BenchmarkReadNSLKDDTrain(b *testing.B) {
	benchRead(b, "nsl-kdd/KDDTrain+.txt.gz", 125973)
}

func BenchmarkReadCICIDS2017Train(b *testing.B) {
	benchRead(b, "cicids2017/train.csv.gz", 32565)
}

func BenchmarkReadAPADDoSTrain(b *testing.B) {
	benchRead(b, "apa-ddos/train.csv.gz", 113400)
}
