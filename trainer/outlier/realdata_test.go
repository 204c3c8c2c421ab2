//go:build realdata

package outlier

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/flowsense/flowsense/trainer/data"
)

// kddTraffic are the 18 traffic features alibi-detect's KDD Cup example
// keeps (fetch_kdd's keep_cols default), in its order.
var kddTraffic = []string{
	"srv_count", "serror_rate", "srv_serror_rate", "rerror_rate", "srv_rerror_rate",
	"same_srv_rate", "diff_srv_rate", "srv_diff_host_rate",
	"dst_host_count", "dst_host_srv_count", "dst_host_same_srv_rate", "dst_host_diff_srv_rate",
	"dst_host_same_src_port_rate", "dst_host_srv_diff_host_rate", "dst_host_serror_rate",
	"dst_host_srv_serror_rate", "dst_host_rerror_rate", "dst_host_srv_rerror_rate",
}

// dataFile returns the path of a real dataset file under $FLOWSENSE_DATA
// (default ../shared/data beside the repository root) and fails the test
// when it is absent.
func dataFile(tb testing.TB, rel string) string {
	tb.Helper()
	dir := os.Getenv("FLOWSENSE_DATA")
	if dir == "" {
		_, file, _, ok := runtime.Caller(0)
		if !ok {
			tb.Fatal("cannot locate the source file to find the repository root")
		}
		dir = filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "data")
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("real data file missing: %s (set FLOWSENSE_DATA): %v", p, err)
	}
	return p
}

// kdd10 reads KDD Cup 99 10% with alibi-detect's 18 features; attack[i]
// says whether row i is not normal.
func kdd10(t *testing.T) (*data.Dataset, []bool) {
	t.Helper()
	ds, err := data.Read([]string{dataFile(t, "kddcup99/kddcup.data_10_percent.gz")},
		data.Options{Format: data.FormatKDD, Features: kddTraffic})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Columns) != len(kddTraffic) || ds.Rows != 494021 {
		t.Fatalf("read %d columns, %d rows; want 18, 494021", len(ds.Columns), ds.Rows)
	}
	attack := make([]bool, ds.Rows)
	for i, y := range ds.Y {
		attack[i] = !data.IsBenign(ds.Classes[y])
	}
	return ds, attack
}

// TestRealKDDBatch: the batch detector fitted on the normal rows with the
// default parameters separates normal from attack rows over the whole file.
func TestRealKDDBatch(t *testing.T) {
	ds, attack := kdd10(t)
	cols := make([][]float32, len(ds.Columns))
	for j, c := range ds.Columns {
		for i, v := range c {
			if !attack[i] {
				cols[j] = append(cols[j], v)
			}
		}
	}
	m, err := Fit(cols, identity(len(cols)), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	checkShape(t, m, len(cols))
	scores := make([]float64, ds.Rows)
	flags := make([]bool, ds.Rows)
	var row []float32
	for i := range scores {
		row = ds.Row(i, row)
		scores[i] = m.Score(row)
		flags[i] = scores[i] > m.Threshold
	}
	auc := rocAUC(scores, attack)
	var fp, normal int
	for i, a := range attack {
		if !a {
			normal++
			if flags[i] {
				fp++
			}
		}
	}
	t.Logf("KDD Cup 99 10%%, %d components: ROC-AUC %.5f; threshold %.3f: F1 %.4f, false-positive rate %.4f",
		m.Components, auc, m.Threshold, f1(flags, attack), float64(fp)/float64(normal))
	if auc < 0.995 {
		t.Errorf("ROC-AUC %.5f, want >= 0.995", auc)
	}
}
