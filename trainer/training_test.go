package trainer

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/trainer/eval"
)

// metrics.json and the report record the chosen round, the validation
// curve, why training stopped and the class weighting chosen (issue 10).
func TestTrainingIsRecorded(t *testing.T) {
	file := genFile(t, 3000, 3, 0)
	cfg := DefaultConfig()
	cfg.Data = []string{file}
	res, err := Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := res.WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, artifact.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	var met eval.Metrics
	if err := json.Unmarshal(b, &met); err != nil {
		t.Fatal(err)
	}
	tr := met.Training
	if tr == nil {
		t.Fatalf("metrics.json has no training object:\n%s", b)
	}
	if tr.RoundBudget != cfg.Boost.Rounds || tr.BestRound < 1 || tr.BestRound > tr.Rounds || tr.Stop == "" || tr.StopReason == "" {
		t.Fatalf("training %+v", *tr)
	}
	if tr.ValidRows == 0 || !tr.Refit || len(tr.Curve) != tr.Rounds {
		t.Fatalf("valid rows %d, refit %v, %d curve points for %d rounds", tr.ValidRows, tr.Refit, len(tr.Curve), tr.Rounds)
	}
	for _, r := range tr.Curve {
		if r.ValidLoss == nil {
			t.Fatalf("round %d has no validation loss", r.Round)
		}
	}
	chosen := 0
	for _, w := range tr.ClassWeightTrials {
		if w.Chosen {
			chosen++
			if w.Weight != tr.ClassWeight {
				t.Fatalf("trial %q chosen, class_weight %q", w.Weight, tr.ClassWeight)
			}
		}
	}
	if len(tr.ClassWeightTrials) != 3 || chosen != 1 {
		t.Fatalf("class weight trials %+v", tr.ClassWeightTrials)
	}
	for i, w := range tr.ClassWeightTrials {
		if (i == 0) != (w.P == nil) || (w.P != nil && !(*w.P > 0 && *w.P <= 1)) {
			t.Fatalf("weight trial %d %q: sign test p %v (want none for the first, in (0, 1] after)", i, w.Weight, w.P)
		}
	}
	if got := len(res.Model.Ensemble.Trees); got != tr.BestRound {
		t.Fatalf("%d trees, best round %d", got, tr.BestRound)
	}
	html, err := os.ReadFile(filepath.Join(dir, artifact.ReportFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<title>validation loss</title></path>", `id="training-note"`, tr.StopReason, "class weight " + tr.ClassWeight} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	if s := res.Summary(); !strings.Contains(s, tr.StopReason) {
		t.Errorf("summary lacks the stop reason:\n%s", s)
	}
}
