package trainer

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
)

// modelJSON is the model's bytes but for the creation time.
func modelJSON(t *testing.T, res *Result) []byte {
	t.Helper()
	m := *res.Model
	m.Meta.Created = time.Time{}
	b, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStreamedSameModel: the two-pass read (Config.RawSample), when its
// sample is every row, makes the model the whole read makes, byte for
// byte (bins, drift reference, detector, trees), and the same metrics and
// outlier scores and TreeSHAP summary (the hold-out's test rows read a
// third time), with a hold-out split and with a test file; past
// gbdt's bin sample too (the bins' own test covers the edges' draw).
func TestStreamedSameModel(t *testing.T) {
	defer func(b int) { predictBatch = b }(predictBatch)
	predictBatch = 777 // several batches, cut mid-chunk
	train, test := genFile(t, 5000, 3, 0.02), genFile(t, 1500, 4, 0.02)
	big := genFile(t, 70000, 5, 0.01)
	for name, c := range map[string]struct {
		data, test []string
	}{"hold-out": {[]string{train}, nil}, "test file": {[]string{train}, []string{test}}, "70000 rows": {[]string{big}, nil}} {
		t.Run(name, func(t *testing.T) {
			run := func(stream bool) (*Result, []byte) {
				cfg := quickConfig(c.data...)
				cfg.Test = c.test
				cfg.ReleaseData = true
				if name == "70000 rows" {
					cfg.Boost.Rounds = 8
				}
				if stream {
					cfg.RawSample, cfg.alwaysStream = 100000, true
				}
				res, err := Train(context.Background(), cfg)
				if err != nil {
					t.Fatal(err)
				}
				return res, modelJSON(t, res)
			}
			whole, a := run(false)
			two, b := run(true)
			if !strings.Contains(strings.Join(two.Notes, "\n"), "two passes") {
				t.Fatalf("the streamed run did not stream: %q", two.Notes)
			}
			if string(a) != string(b) {
				t.Error("the two-pass read changes the model")
			}
			if whole.Metrics.Accuracy != two.Metrics.Accuracy || whole.Metrics.MacroF1 != two.Metrics.MacroF1 || whole.Metrics.NTest != two.Metrics.NTest {
				t.Errorf("metrics %v / %v, want %v / %v", two.Metrics.Accuracy, two.Metrics.MacroF1, whole.Metrics.Accuracy, whole.Metrics.MacroF1)
			}
			sa, _ := json.Marshal(whole.SHAP)
			sb, _ := json.Marshal(two.SHAP)
			if whole.SHAP == nil || string(sa) != string(sb) {
				t.Errorf("TreeSHAP summary differs (or is missing: %v)", whole.SHAP == nil)
			}
			if len(whole.TestScores) != len(two.TestScores) || len(two.TestScores) == 0 {
				t.Fatalf("%d and %d outlier scores", len(whole.TestScores), len(two.TestScores))
			}
			for i, s := range whole.TestScores {
				if s != two.TestScores[i] && !(math.IsNaN(s) && math.IsNaN(two.TestScores[i])) {
					t.Fatalf("outlier score %d: %v, want %v", i, two.TestScores[i], s)
				}
			}
		})
	}
}

// TestStreamedSample: with fewer sampled rows than rows, the two-pass
// read trains on every row (the counts of the drift reference say so)
// from a sample's edges, and the model is about as good.
func TestStreamedSample(t *testing.T) {
	file := genFile(t, 12000, 6, 0)
	whole, err := Train(context.Background(), quickConfig(file))
	if err != nil {
		t.Fatal(err)
	}
	cfg := quickConfig(file)
	cfg.RawSample = 6000
	two, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(strings.Join(two.Notes, "\n"), "a sample of 6000 of its 12000 rows") {
		t.Fatalf("notes %q", two.Notes)
	}
	if two.Metrics.NTrain != whole.Metrics.NTrain || two.Metrics.NTest != whole.Metrics.NTest {
		t.Errorf("split %d/%d, want %d/%d", two.Metrics.NTrain, two.Metrics.NTest, whole.Metrics.NTrain, whole.Metrics.NTest)
	}
	for j, h := range two.Model.Reference {
		n := h.Missing
		for _, c := range h.Counts {
			n += c
		}
		if n != int64(whole.Metrics.NTrain) {
			t.Fatalf("reference histogram %d counts %d rows, want the %d training rows", j, n, whole.Metrics.NTrain)
		}
	}
	if two.Model.Outlier == nil || two.Metrics.Accuracy < whole.Metrics.Accuracy-0.01 {
		t.Errorf("detector %v; accuracy %.4f from the sample's edges, %.4f from every row's", two.Model.Outlier != nil, two.Metrics.Accuracy, whole.Metrics.Accuracy)
	}
	if two.Model.Meta.Params["raw_sample"] != "6000" || whole.Model.Meta.Params["raw_sample"] != "" {
		t.Errorf("raw_sample recorded as %q (sampled) and %q (whole)", two.Model.Meta.Params["raw_sample"], whole.Model.Meta.Params["raw_sample"])
	}
	if two.Train.Columns != nil {
		t.Error("the sample's columns are kept")
	}
}
