package xgboost_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/model/xgboost"
)

// BenchmarkRead_multi_60trees_depth4 converts the 3-class, 20-round
// testdata model (63 KB of JSON).
func BenchmarkRead_multi_60trees_depth4(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("testdata", "multi.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := xgboost.Read(bytes.NewReader(data), xgboost.Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
