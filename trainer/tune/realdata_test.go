//go:build realdata

package tune

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/internal/realdata"
	"github.com/flowsense/flowsense/trainer"
)

// logWriter sends each line written to t.Log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(b []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

// TestRealCICTune tunes on CIC-IDS2017's training file (the search sees
// only it, through 3-fold CV) and compares the best configuration with the
// defaults on its test file, as the README's bar does. The budget (9
// configurations, 15, 45 then 135 rounds, 3 folds: about 1,200 fold-rounds
// of 21,700 rows) takes about a minute and a half of CPU. Whether tuning
// beat the defaults is logged, not asserted: the defaults were chosen on
// this very data. What is asserted is that the report is consistent with
// itself and with `flowsense train` under the defaults.
func TestRealCICTune(t *testing.T) {
	cfg := trainer.DefaultConfig()
	cfg.Data = []string{realdata.File(t, "cicids2017/train.csv.gz")}
	cfg.Test = []string{realdata.File(t, "cicids2017/test.csv.gz")}
	sc := DefaultConfig()
	sc.Trials, sc.Folds, sc.MinRounds, sc.MaxRounds, sc.Seed = 9, 3, 15, 135, 1
	start := time.Now()
	rep, res, err := Tune(context.Background(), Options{Train: cfg, Search: sc, Log: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(rep, "", "  ")
	t.Logf("report:\n%s", b)
	verdict := "did not beat"
	if rep.BeatDefaults {
		verdict = "beat"
	}
	t.Logf("CIC-IDS2017: tuning %s the defaults on the held-out test file: macro-F1 %.4f vs %.4f (delta %+.4f), accuracy %.4f vs %.4f (delta %+.4f); CV macro-F1 of the best %.4f; %.0fs",
		verdict, rep.Best.MacroF1, rep.Defaults.MacroF1, rep.DeltaMacroF1, rep.Best.Accuracy, rep.Defaults.Accuracy, rep.DeltaAccuracy, rep.CVScore, time.Since(start).Seconds())

	if rep.TrainRows != 32565 || rep.TestRows != 10854 {
		t.Errorf("train %d test %d rows, want 32565 and 10854", rep.TrainRows, rep.TestRows)
	}
	var sizes []int
	for _, r := range rep.Rungs {
		sizes = append(sizes, r.Configs)
	}
	if len(sizes) != 3 || sizes[0] != 9 || sizes[1] != 3 || sizes[2] != 1 {
		t.Errorf("configurations per rung %v, want [9 3 1]", sizes)
	}
	last := rep.Rungs[len(rep.Rungs)-1]
	if last.BestTrial != rep.BestTrial || last.BestScore != rep.CVScore || rep.BestParams["rounds"] != "135" {
		t.Errorf("best trial %d (cv %v, %s rounds), last rung's best %d (%v)", rep.BestTrial, rep.CVScore, rep.BestParams["rounds"], last.BestTrial, last.BestScore)
	}
	if rep.DeltaMacroF1 != rep.Best.MacroF1-rep.Defaults.MacroF1 || rep.DeltaAccuracy != rep.Best.Accuracy-rep.Defaults.Accuracy ||
		rep.BeatDefaults != (rep.DeltaMacroF1 > 0) {
		t.Errorf("deltas inconsistent: %+v", rep)
	}
	if res.Metrics.MacroF1 != rep.Best.MacroF1 || res.Metrics.Accuracy != rep.Best.Accuracy {
		t.Errorf("returned model scores %v/%v, report %v/%v", res.Metrics.MacroF1, res.Metrics.Accuracy, rep.Best.MacroF1, rep.Best.Accuracy)
	}
	// The defaults were trained as `flowsense train` trains them.
	def, err := trainer.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if def.Metrics.MacroF1 != rep.Defaults.MacroF1 || def.Metrics.Accuracy != rep.Defaults.Accuracy {
		t.Errorf("defaults in the report %v/%v, trainer.Train %v/%v", rep.Defaults.MacroF1, rep.Defaults.Accuracy, def.Metrics.MacroF1, def.Metrics.Accuracy)
	}
}
