package trainer

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/eval"
)

// genFile writes synthetic flows to a temporary CSV.
func genFile(t testing.TB, rows int, seed uint64, novel float64) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "flows.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(f, synth.Options{Rows: rows, Seed: seed, Novel: novel}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return p
}

func quickConfig(files ...string) Config {
	cfg := DefaultConfig()
	cfg.Data = files
	cfg.Boost.Rounds = 30
	return cfg
}

func TestTrainSynthetic(t *testing.T) {
	file := genFile(t, 6000, 1, 0)
	res, err := Train(context.Background(), quickConfig(file))
	if err != nil {
		t.Fatal(err)
	}
	m := res.Model
	if got, want := len(m.Classes), len(synth.Classes()); got != want {
		t.Errorf("%d classes, want %d", got, want)
	}
	if res.Metrics.Accuracy < 0.9 || res.Metrics.MacroF1 < 0.8 {
		t.Errorf("accuracy %.3f macro-F1 %.3f on synthetic flows: too low", res.Metrics.Accuracy, res.Metrics.MacroF1)
	}
	if res.Metrics.NTest != 1500 || res.Metrics.NTrain != 4500 {
		t.Errorf("split %d/%d, want 4500/1500", res.Metrics.NTrain, res.Metrics.NTest)
	}
	if len(m.Benign) != 1 || m.Classes[m.Benign[0]] != "BENIGN" {
		t.Errorf("benign classes %v", m.Benign)
	}
	if m.Outlier == nil || res.Metrics.Outlier == nil {
		t.Fatal("no outlier detector trained or evaluated")
	}
	if len(m.Reference) != len(m.Schema.Features) {
		t.Errorf("%d reference histograms for %d features", len(m.Reference), len(m.Schema.Features))
	}
	for _, name := range []string{"Flow ID", "Src IP", "Src Port", "Dst IP", "Timestamp"} {
		for _, f := range m.Schema.Features {
			if f.Name == name {
				t.Errorf("identifier %q is a feature", name)
			}
		}
	}
	if len(m.Meta.DataSHA256) != 1 || len(m.Meta.DataSHA256[0]) != 64 {
		t.Errorf("data sha256 %v", m.Meta.DataSHA256)
	}
}

func TestWriteDirAndReload(t *testing.T) {
	file := genFile(t, 3000, 2, 0)
	res, err := Train(context.Background(), quickConfig(file))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := res.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	m, err := model.ReadFile(filepath.Join(dir, artifact.ModelFile))
	if err != nil {
		t.Fatal(err)
	}
	var met eval.Metrics
	b, err := os.ReadFile(filepath.Join(dir, artifact.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &met); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(filepath.Join(dir, artifact.ModelFile))
	if met.ModelBytes != st.Size() || met.Accuracy != res.Metrics.Accuracy {
		t.Errorf("metrics.json: model_bytes %d (file %d), accuracy %v (run %v)", met.ModelBytes, st.Size(), met.Accuracy, res.Metrics.Accuracy)
	}
	rep, err := os.ReadFile(filepath.Join(dir, artifact.ReportFile))
	if err != nil || !bytes.Contains(rep, []byte("<svg")) {
		t.Errorf("report.html missing or without pictures (%v)", err)
	}
	// The reloaded model answers exactly as the one in memory.
	ds, err := flowdata.Read([]string{file}, flowdata.Options{Schema: &m.Schema})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := artifact.PredictColumns(ctx, artifact.NewNative(res.Model), ds.Columns, ds.Rows)
	if err != nil {
		t.Fatal(err)
	}
	c, err := artifact.PredictColumns(ctx, artifact.NewNative(m), ds.Columns, ds.Rows)
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Probs {
		if a.Probs[i] != c.Probs[i] {
			t.Fatalf("reloaded model differs at %d: %v vs %v", i, a.Probs[i], c.Probs[i])
		}
	}
	for i := range a.Score {
		if a.Score[i] != c.Score[i] && !(math.IsNaN(a.Score[i]) && math.IsNaN(c.Score[i])) {
			t.Fatalf("outlier score differs at %d", i)
		}
	}
}

func TestDeterministic(t *testing.T) {
	file := genFile(t, 3000, 3, 0)
	var enc [2][]byte
	for i := range enc {
		cfg := quickConfig(file)
		cfg.Boost.Threads = i + 1
		res, err := Train(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		res.Model.Meta.Created = res.Model.Meta.Created.Truncate(1e18) // the only field that may differ
		enc[i], _ = json.Marshal(res.Model)
	}
	if !bytes.Equal(enc[0], enc[1]) {
		t.Fatal("same seed and data gave different models with 1 and 2 threads")
	}
}

func TestNovelFlowsAreAnomalous(t *testing.T) {
	train := genFile(t, 6000, 4, 0)
	test := genFile(t, 3000, 5, 0.1)
	cfg := quickConfig(train)
	cfg.Test = []string{test}
	res, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The novel class is unknown to the model: its rows count as errors in
	// classification, and the detector should flag most of those predicted
	// benign.
	if res.Metrics.Outlier == nil {
		t.Fatal("no outlier evaluation")
	}
	if auc := res.Metrics.Outlier.ROCAUC; auc < 0.8 {
		t.Errorf("outlier ROC-AUC %.3f on novel flows, want >= 0.8", auc)
	}
}

func TestTrainErrors(t *testing.T) {
	file := genFile(t, 500, 1, 0)
	tests := map[string]struct {
		edit func(*Config)
		want error
	}{
		"no data":        {func(c *Config) { c.Data = nil }, ErrConfig},
		"bad detector":   {func(c *Config) { c.Outlier = "isolation-forest" }, ErrConfig},
		"bad fraction":   {func(c *Config) { c.TestFraction = 1.5 }, ErrConfig},
		"bad rounds":     {func(c *Config) { c.Boost.Rounds = 0 }, ErrConfig},
		"missing label":  {func(c *Config) { c.Read.Label = "Verdict" }, flowdata.ErrNoLabel},
		"unknown column": {func(c *Config) { c.OutlierFeatures = []string{"nope"} }, ErrConfig},
		"missing file":   {func(c *Config) { c.Data = []string{filepath.Join(t.TempDir(), "none.csv")} }, os.ErrNotExist},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := quickConfig(file)
			tc.edit(&cfg)
			_, err := Train(context.Background(), cfg)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func TestReferenceHistogram(t *testing.T) {
	nan := float32(math.NaN())
	col := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, nan, float32(math.Inf(1))}
	h, _ := histogram(model.Feature{Name: "x"}, col, nil)
	var total int64
	for _, c := range h.Counts {
		total += c
	}
	if h.Missing != 1 || total != 11 {
		t.Errorf("missing %d, binned %d; want 1 and 11", h.Missing, total)
	}
	for i := 1; i < len(h.Edges); i++ {
		if !(h.Edges[i] > h.Edges[i-1]) {
			t.Errorf("edges not ascending: %v", h.Edges)
		}
	}
	c, _ := histogram(model.Feature{Name: "p", Kind: model.Categorical, Categories: []string{"a", "b"}}, []float32{0, 1, 1, 5, nan}, nil)
	if want := []int64{1, 2, 1}; !slices.Equal(c.Counts, want) || c.Missing != 1 {
		t.Errorf("categorical counts %v missing %d, want %v and 1", c.Counts, c.Missing, want)
	}
}

func TestStratifiedSplit(t *testing.T) {
	y := make([]int32, 1000)
	for i := range y {
		y[i] = int32(i % 10 / 9) // 900 of class 0, 100 of class 1
	}
	tr, te := stratifiedSplit(y, 2, 0.25, 42)
	if len(tr)+len(te) != 1000 || len(te) != 250 {
		t.Fatalf("split %d/%d", len(tr), len(te))
	}
	ones := 0
	for _, i := range te {
		ones += int(y[i])
	}
	if ones != 25 {
		t.Errorf("%d rows of the minority class in the test set, want 25", ones)
	}
	tr2, _ := stratifiedSplit(y, 2, 0.25, 42)
	if !slices.Equal(tr, tr2) {
		t.Error("split not deterministic")
	}
}
