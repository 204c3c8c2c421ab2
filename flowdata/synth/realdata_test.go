//go:build realdata

package synth

import (
	"compress/gzip"
	"encoding/csv"
	"os"
	"testing"

	"github.com/flowsense/flowsense/internal/realdata"
)

// realHeader reads the header of the re-extracted CIC-IDS2017 training file.
func realHeader(t *testing.T) []string {
	p := realdata.File(t, "cicids2017/train.csv.gz")
	f, err := os.Open(p)
	if err != nil {
		t.Fatalf("real data file missing: %s (set FLOWSENSE_DATA): %v", p, err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	h, err := csv.NewReader(z).Read()
	if err != nil {
		t.Fatalf("%s: read header: %v", p, err)
	}
	return h
}

// TestHeaderMatchesCICIDS2017 checks that every column Write emits is spelt
// as in the re-extracted CIC-IDS2017 files and comes in the same relative
// order, so that one reader and one schema serve both.
func TestHeaderMatchesCICIDS2017(t *testing.T) {
	real := realHeader(t)
	pos := make(map[string]int, len(real))
	for i, name := range real {
		pos[name] = i
	}
	last := -1
	for _, name := range Header() {
		i, ok := pos[name]
		if !ok {
			t.Errorf("column %q is not in the CIC-IDS2017 header", name)
			continue
		}
		if i <= last {
			t.Errorf("column %q is out of CIC-IDS2017's order", name)
		}
		last = i
	}
	for _, id := range IdentifierColumns() {
		if _, ok := pos[id]; !ok {
			t.Errorf("identifier column %q is not in the CIC-IDS2017 header", id)
		}
	}
}
