package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// tuneReport is the part of tune's JSON report the tests read.
type tuneReport struct {
	Metric     string            `json:"metric"`
	BestTrial  int               `json:"best_trial"`
	BestParams map[string]string `json:"best_params"`
	CVScore    float64           `json:"cv_score"`
	Best       struct {
		Accuracy float64 `json:"accuracy"`
		MacroF1  float64 `json:"macro_f1"`
		Features int     `json:"features"`
	} `json:"best"`
	Defaults struct {
		Accuracy float64 `json:"accuracy"`
		MacroF1  float64 `json:"macro_f1"`
	} `json:"defaults"`
	Kept          []string `json:"kept_features"`
	BeatDefaults  bool     `json:"beat_defaults"`
	DeltaMacroF1  float64  `json:"delta_macro_f1"`
	DeltaAccuracy float64  `json:"delta_accuracy"`
}

var quickTune = []string{"--trials", "4", "--folds", "2", "--min-rounds", "2", "--max-rounds", "6", "--quiet"}

func TestTuneWritesBestModelReportAndRun(t *testing.T) {
	_, flows := trained(t)
	tmp := t.TempDir()
	out, rdir := filepath.Join(tmp, "best"), filepath.Join(tmp, "runs")
	args := append([]string{"tune", "--data", flows, "--out", out, "--runs", rdir, "--max-features", "5"}, quickTune...)
	code, stdout, e := flowsense(t, args...)
	if code != 0 {
		t.Fatal(e)
	}
	var rep tuneReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, stdout)
	}
	saved, _ := os.ReadFile(filepath.Join(out, "tune.json"))
	if string(saved) != stdout {
		t.Error("tune.json differs from the report on stdout")
	}
	m, err := model.ReadFile(filepath.Join(out, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Schema.Features) != 5 || len(rep.Kept) != 5 {
		t.Errorf("model has %d features, kept %v; want 5", len(m.Schema.Features), rep.Kept)
	}
	if m.Meta.Params["learning_rate"] != rep.BestParams["learning_rate"] || m.Meta.Params["rounds"] != rep.BestParams["rounds"] {
		t.Errorf("model params %v, best %v", m.Meta.Params, rep.BestParams)
	}
	for _, f := range []string{"model.wasm", "metrics.json", "report.html"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}
	if (rep.DeltaMacroF1 > 0) != rep.BeatDefaults || rep.DeltaMacroF1 != rep.Best.MacroF1-rep.Defaults.MacroF1 {
		t.Errorf("inconsistent report: %+v", rep)
	}

	code, show, e := flowsense(t, "runs", "show", "2", "--runs", rdir)
	if code != 0 {
		t.Fatal(e)
	}
	var run struct {
		Kind    string             `json:"kind"`
		Params  map[string]string  `json:"params"`
		Metrics map[string]float64 `json:"metrics"`
	}
	json.Unmarshal([]byte(show), &run)
	if run.Kind != "tune" || run.Metrics["tune.delta_macro_f1"] != rep.DeltaMacroF1 || run.Metrics["macro_f1"] != rep.Best.MacroF1 ||
		run.Params["read.features"] != strings.Join(rep.Kept, ",") || run.Params["tune.trials"] != "4" {
		t.Errorf("run %s", show)
	}

	// The same seed again: the same report but for the timings.
	code, again, e := flowsense(t, append([]string{"tune", "--data", flows, "--out", filepath.Join(tmp, "again"), "--no-run", "--max-features", "5"}, quickTune...)...)
	if code != 0 {
		t.Fatal(e)
	}
	if stripTimes(again) != stripTimes(stdout) {
		t.Errorf("same seed, different reports:\n%s\n%s", stdout, again)
	}
}

// stripTimes drops the lines of a report that hold durations.
func stripTimes(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.Contains(l, "seconds") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// Slices of an Indexed Job, then --collect: the best of the slices is
// trained and reported.
func TestTuneSlicesCollect(t *testing.T) {
	_, flows := trained(t)
	tmp := t.TempDir()
	slices := filepath.Join(tmp, "slices")
	for _, i := range []string{"0", "1"} {
		code, out, e := flowsense(t, append([]string{"tune", "--data", flows, "--out", slices, "--trial-index", i, "--trial-count", "2"}, quickTune...)...)
		if code != 0 || !strings.Contains(out, "slice "+i+" of 2") {
			t.Fatalf("slice %s: exit %d %s %s", i, code, out, e)
		}
	}
	out := filepath.Join(tmp, "best")
	// collecting with another hold-out would test on rows the slices
	// searched: refused
	if code, _, e := flowsense(t, append([]string{"tune", "--data", flows, "--collect", slices, "--out", out, "--no-run", "--holdout", "0.6"}, quickTune...)...); code != 2 || !strings.Contains(e, "cut the training part otherwise") {
		t.Fatalf("collect with another hold-out: exit %d %q", code, e)
	}
	code, stdout, e := flowsense(t, append([]string{"tune", "--data", flows, "--collect", slices, "--out", out, "--no-run"}, quickTune...)...)
	if code != 0 {
		t.Fatal(e)
	}
	var rep tuneReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	// The collected best is the best of the whole search's last rungs: the
	// unsplit search (its own bracket) may choose otherwise, but the best
	// trial's CV score is one of the slices'.
	var found bool
	for _, i := range []int{0, 1} {
		b, _ := os.ReadFile(filepath.Join(slices, "tune-00"+string(rune('0'+i))+"-of-002.json"))
		var s struct {
			Search struct {
				Best struct {
					ID    int     `json:"id"`
					Score float64 `json:"score"`
				} `json:"best"`
			} `json:"search"`
		}
		json.Unmarshal(b, &s)
		if s.Search.Best.ID == rep.BestTrial && s.Search.Best.Score == rep.CVScore {
			found = true
		}
		if s.Search.Best.Score > rep.CVScore {
			t.Errorf("slice %d's best scores %v, above the collected best %v", i, s.Search.Best.Score, rep.CVScore)
		}
	}
	if !found {
		t.Errorf("collected best trial %d (%v) is no slice's best", rep.BestTrial, rep.CVScore)
	}
	if _, err := os.Stat(filepath.Join(out, "model.wasm")); err != nil {
		t.Error(err)
	}
}

func TestTuneBadInput(t *testing.T) {
	_, flows := trained(t)
	tmp := t.TempDir()
	other := filepath.Join(tmp, "other.csv")
	b, _ := os.ReadFile(flows)
	os.WriteFile(other, b[:len(b)/2], 0o644)
	slices := filepath.Join(tmp, "slices")
	if code, _, e := flowsense(t, append([]string{"tune", "--data", flows, "--out", slices, "--trial-index", "0", "--trial-count", "2"}, quickTune...)...); code != 0 {
		t.Fatal(e)
	}
	out := filepath.Join(tmp, "out")
	cases := map[string]struct {
		args []string
		want string
	}{
		"holdout and test":  {[]string{"--holdout", "0.3", "--test", flows}, "--holdout and --test are exclusive"},
		"bad holdout":       {[]string{"--holdout", "1.5"}, "--holdout 1.5"},
		"bad metric":        {[]string{"--metric", "auc"}, `metric "auc"`},
		"one fold":          {[]string{"--folds", "1"}, "folds 1"},
		"trials not int":    {[]string{"--trials", "many"}, `--trials "many": want an integer`},
		"index past count":  {[]string{"--trial-index", "2", "--trial-count", "2"}, "trial index 2 of 2"},
		"missing slice":     {[]string{"--collect", slices}, "slices [1] of 2 missing"},
		"no slices":         {[]string{"--collect", tmp}, "no tune-*-of-*.json"},
		"collect and count": {[]string{"--collect", slices, "--trial-count", "2"}, "exclusive"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"tune", "--data", flows, "--out", out, "--no-run", "--trials", "2", "--quiet"}, tc.args...)
			code, _, e := flowsense(t, args...)
			if code != 2 || !strings.Contains(e, tc.want) || strings.Count(e, "\n") != 1 {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", code, e, tc.want)
			}
		})
	}
	// Slices of other data are refused.
	if code, _, e := flowsense(t, append([]string{"tune", "--data", flows, "--out", slices, "--trial-index", "1", "--trial-count", "2"}, quickTune...)...); code != 0 {
		t.Fatal(e)
	}
	code, _, e := flowsense(t, append([]string{"tune", "--data", other, "--collect", slices, "--out", out, "--no-run"}, quickTune...)...)
	if code != 2 || !strings.Contains(e, "other data") {
		t.Errorf("collect on other data: exit %d %q", code, e)
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a failed tune left an output directory")
	}
}
