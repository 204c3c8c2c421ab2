//go:build realdata

package drift

import (
	"math/rand/v2"
	"testing"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/realdata"
)

func readReal(t *testing.T, rel string) *flowdata.Dataset {
	t.Helper()
	d, err := flowdata.Read([]string{realdata.File(t, rel)}, flowdata.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// halves splits the rows of d at random (seeded) into two datasets.
func halves(d *flowdata.Dataset, seed uint64) (*flowdata.Dataset, *flowdata.Dataset) {
	perm := rand.New(rand.NewPCG(seed, 2)).Perm(d.Rows)
	half := d.Rows / 2
	pick := func(rows []int) *flowdata.Dataset {
		out := &flowdata.Dataset{Schema: d.Schema, Rows: len(rows), Columns: make([][]float32, len(d.Columns))}
		for j, c := range d.Columns {
			col := make([]float32, len(rows))
			for i, r := range rows {
				col[i] = c[r]
			}
			out.Columns[j] = col
		}
		return out
	}
	return pick(perm[:half]), pick(perm[half:])
}

func compareReal(t *testing.T, name string, ref, cur *flowdata.Dataset) *Report {
	t.Helper()
	r, err := Compare(ref, cur, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var drifted []string
	for _, c := range r.Columns {
		if c.Drifted {
			drifted = append(drifted, c.Column)
		}
	}
	t.Logf("%s: dataset drift %v, share %.3f (%d of %d columns): %v", name, r.DatasetDrift, r.DriftShare, r.DriftedColumns, r.NumColumns, drifted)
	return r
}

// TestNSLKDDDrift is issue 5's check: KDDTrain+ against KDDTest+ against
// two random halves of KDDTrain+. Under Evidently's defaults KDDTest+
// drifts on 18 of 41 columns, short of the dataset's share of 0.5 (see
// RATIONALE.md); the harder KDDTest-21 drifts as a dataset. Halves of the
// training file drift on nothing that decides the dataset.
func TestNSLKDDDrift(t *testing.T) {
	train := readReal(t, "nsl-kdd/KDDTrain+.txt.gz")
	test := readReal(t, "nsl-kdd/KDDTest+.txt.gz")
	test21 := readReal(t, "nsl-kdd/KDDTest-21.txt.gz")

	vsTest := compareReal(t, "KDDTrain+ vs KDDTest+", train, test)
	vsTest21 := compareReal(t, "KDDTrain+ vs KDDTest-21", train, test21)
	for seed := uint64(1); seed <= 3; seed++ {
		a, b := halves(train, seed)
		h := compareReal(t, "two random halves of KDDTrain+", a, b)
		if h.DatasetDrift {
			t.Errorf("halves (seed %d): dataset drift, share %.3f", seed, h.DriftShare)
		}
		if vsTest.DriftedColumns <= 3*h.DriftedColumns || vsTest.DriftShare <= h.DriftShare {
			t.Errorf("KDDTest+ drifts on %d columns, halves (seed %d) on %d: train/test should stand far apart", vsTest.DriftedColumns, seed, h.DriftedColumns)
		}
	}
	if !vsTest21.DatasetDrift {
		t.Errorf("KDDTest-21: no dataset drift (share %.3f)", vsTest21.DriftShare)
	}
	if vsTest21.DriftShare < vsTest.DriftShare {
		t.Errorf("KDDTest-21 (the hard subset) drifts less than KDDTest+: %.3f < %.3f", vsTest21.DriftShare, vsTest.DriftShare)
	}
}

// TestCICIDS2017SplitDoesNotDrift: the train and test files of the
// re-extracted CIC-IDS2017 are a split of one capture; no column drifts.
func TestCICIDS2017SplitDoesNotDrift(t *testing.T) {
	r := compareReal(t, "CIC-IDS2017 train vs test", readReal(t, "cicids2017/train.csv.gz"), readReal(t, "cicids2017/test.csv.gz"))
	if r.DatasetDrift {
		t.Errorf("dataset drift, share %.3f", r.DriftShare)
	}
}

// BenchmarkCompare_KDDCup99_10pct_vs_corrected times Compare alone (the
// files read once) on the largest reference at hand: 494,021 rows against
// 311,029.
func BenchmarkCompare_KDDCup99_10pct_vs_corrected(b *testing.B) {
	ref, err := flowdata.Read([]string{realdata.File(b, "kddcup99/kddcup.data_10_percent.gz")}, flowdata.Options{})
	if err != nil {
		b.Fatal(err)
	}
	cur, err := flowdata.Read([]string{realdata.File(b, "kddcup99/corrected.gz")}, flowdata.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(ref, cur, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
