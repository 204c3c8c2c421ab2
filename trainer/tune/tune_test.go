package tune

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/trainer/eval"
)

func TestSearchDeterministicForASeed(t *testing.T) {
	tab := table(t)
	run := func(par int, seed uint64) []byte {
		c := small()
		c.Parallel, c.Seed = par, seed
		s, err := Run(context.Background(), tab, c)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(s)
		return b
	}
	a, b := run(1, 7), run(3, 7)
	if string(a) != string(b) {
		t.Errorf("same seed, 1 and 3 parallel fits, different searches:\n%s\n%s", a, b)
	}
	if c := run(2, 8); string(c) == string(a) {
		t.Error("seeds 7 and 8 gave the same search")
	}
}

func TestHalvingRungs(t *testing.T) {
	tab := table(t)
	cases := map[string]struct {
		trials, eta, min, max int
		configs, rounds       []int
	}{
		"9 by 3":             {9, 3, 1, 27, []int{9, 3, 1}, []int{1, 3, 9}},
		"10 by 3":            {10, 3, 1, 100, []int{10, 3, 1}, []int{1, 3, 9}},
		"8 by 2":             {8, 2, 1, 100, []int{8, 4, 2, 1}, []int{1, 2, 4, 8}},
		"capped rounds stop": {9, 3, 2, 6, []int{9, 3}, []int{2, 6}},
		"cap clips a rung":   {9, 3, 2, 5, []int{9, 3}, []int{2, 5}},
		"one trial":          {1, 3, 4, 100, []int{1}, []int{4}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.Trials, c.Eta, c.MinRounds, c.MaxRounds, c.Folds = tc.trials, tc.eta, tc.min, tc.max, 2
			s, err := Run(context.Background(), tab, c)
			if err != nil {
				t.Fatal(err)
			}
			var configs, rounds []int
			for _, r := range s.Rungs {
				configs = append(configs, len(r.Trials))
				rounds = append(rounds, r.Rounds)
				for _, tr := range r.Trials {
					if tr.Params.Rounds != r.Rounds {
						t.Errorf("trial %d trained %d rounds on a rung of %d", tr.ID, tr.Params.Rounds, r.Rounds)
					}
				}
			}
			if !slices.Equal(configs, tc.configs) || !slices.Equal(rounds, tc.rounds) {
				t.Fatalf("configs per rung %v rounds %v, want %v %v", configs, rounds, tc.configs, tc.rounds)
			}
			// Each rung's survivors are the best of the rung before.
			for k := 1; k < len(s.Rungs); k++ {
				prev := s.Rungs[k-1].Trials
				for i, tr := range s.Rungs[k].Trials {
					if !slices.ContainsFunc(prev[:len(s.Rungs[k].Trials)], func(p Trial) bool { return p.ID == tr.ID }) {
						t.Errorf("rung %d's trial %d (%d) was not among the best %d of rung %d", k, i, tr.ID, len(s.Rungs[k].Trials), k-1)
					}
				}
			}
		})
	}
}

func TestBestIsBestOfLastRung(t *testing.T) {
	c := small()
	c.Trials, c.Eta, c.MaxRounds = 8, 2, 8 // last rung keeps 2: a real choice
	s, err := Run(context.Background(), table(t), c)
	if err != nil {
		t.Fatal(err)
	}
	last := s.Rungs[len(s.Rungs)-1].Trials
	if len(last) < 2 {
		t.Fatalf("last rung has %d trials", len(last))
	}
	for _, tr := range last {
		if tr.Score > s.Best.Score || (tr.Score == s.Best.Score && tr.ID < s.Best.ID) {
			t.Errorf("trial %d scores %v, the reported best %d only %v", tr.ID, tr.Score, s.Best.ID, s.Best.Score)
		}
		if m := mean(tr.FoldScores); len(tr.FoldScores) != c.Folds || m != tr.Score {
			t.Errorf("trial %d: score %v, folds %v", tr.ID, tr.Score, tr.FoldScores)
		}
	}
	if !slices.ContainsFunc(last, func(tr Trial) bool { return reflect.DeepEqual(tr, s.Best) }) {
		t.Errorf("best %+v is not a trial of the last rung", s.Best)
	}
}

// The CV metric is eval's: macro-F1 over the classes present in truth or
// prediction.
func TestScoreAgreesWithEval(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for trial := range 50 {
		k := 2 + rng.IntN(5)
		n := 1 + rng.IntN(200)
		y, pred := make([]int32, n), make([]int32, n)
		for i := range y {
			y[i] = int32(rng.IntN(k))
			pred[i] = y[i]
			if rng.IntN(3) == 0 {
				pred[i] = int32(rng.IntN(k))
			}
		}
		classes := make([]string, k)
		for i := range classes {
			classes[i] = string(rune('a' + i))
		}
		probs := make([]float64, n*k)
		for i, p := range pred {
			probs[i*k+int(p)] = 1
		}
		m, _, err := eval.Evaluate(classes, y, pred, probs)
		if err != nil {
			t.Fatal(err)
		}
		if got := score(MetricMacroF1, y, pred, k); math.Abs(got-m.MacroF1) > 1e-12 {
			t.Errorf("case %d: macro-F1 %v, eval %v", trial, got, m.MacroF1)
		}
		if got := score(MetricAccuracy, y, pred, k); math.Abs(got-m.Accuracy) > 1e-12 {
			t.Errorf("case %d: accuracy %v, eval %v", trial, got, m.Accuracy)
		}
	}
}

func TestSampleInRangeAndValid(t *testing.T) {
	base := DefaultConfig().Base
	seen := map[string]bool{}
	for id := range 500 {
		p := sample(9, id, base)
		if err := p.Validate(); err != nil {
			t.Fatalf("trial %d: %v", id, err)
		}
		if p.LearningRate < learningRate[0] || p.LearningRate > learningRate[1]*1.01 ||
			p.MaxLeaves < maxLeaves[0] || p.MaxLeaves > maxLeaves[1] ||
			p.MinChildSamples < minChildSamples[0] || p.MinChildSamples > minChildSamples[1] ||
			p.MaxDepth < maxDepth[0] || p.MaxDepth > maxDepth[1] || p.ColSample < colSample[0] {
			t.Errorf("trial %d out of range: %+v", id, p)
		}
		if p.Seed != base.Seed || p.Multiclass != base.Multiclass {
			t.Errorf("trial %d changed a fixed parameter: %+v", id, p)
		}
		seen[p.Growth+p.ClassWeight] = true
		if !reflect.DeepEqual(p, sample(9, id, base)) {
			t.Fatalf("trial %d drawn twice differs", id)
		}
	}
	if len(seen) != 4 {
		t.Errorf("growth x class weight combinations drawn: %v", seen)
	}
}

// With BaseFirst, trial 0 is the base parameters; without, a draw.
func TestBaseFirst(t *testing.T) {
	tab := table(t)
	for _, first := range []bool{true, false} {
		c := small()
		c.Trials, c.MaxRounds, c.BaseFirst = 3, c.MinRounds, first
		s, err := Run(context.Background(), tab, c)
		if err != nil {
			t.Fatal(err)
		}
		i := slices.IndexFunc(s.Rungs[0].Trials, func(tr Trial) bool { return tr.ID == 0 })
		p := s.Rungs[0].Trials[i].Params
		want := c.Base
		want.Rounds = c.MinRounds
		if got := reflect.DeepEqual(p, want); got != first {
			t.Errorf("BaseFirst %v: trial 0 is the base: %v (%+v)", first, got, p)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	cases := map[string]func(*Config){
		"no trials":       func(c *Config) { c.Trials = 0 },
		"one fold":        func(c *Config) { c.Folds = 1 },
		"eta 1":           func(c *Config) { c.Eta = 1 },
		"rounds reversed": func(c *Config) { c.MinRounds, c.MaxRounds = 10, 5 },
		"metric":          func(c *Config) { c.Metric = "auc" },
		"index past":      func(c *Config) { c.TrialIndex, c.TrialCount = 3, 3 },
		"empty slices":    func(c *Config) { c.Trials, c.TrialCount = 2, 3 },
		"bad base":        func(c *Config) { c.Base.LearningRate = -1 },
	}
	tab := table(t)
	for name, mut := range cases {
		t.Run(name, func(t *testing.T) {
			c := small()
			mut(&c)
			if _, err := Run(context.Background(), tab, c); !errors.Is(err, ErrConfig) {
				t.Errorf("err = %v, want ErrConfig", err)
			}
		})
	}
}

func TestTuneReportAndMaxFeatures(t *testing.T) {
	opt := Options{Train: trainConfig(t), Search: small(), MaxFeatures: 4}
	var log strings.Builder
	opt.Log = &log
	rep, res, err := Tune(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(res.Model.Schema.Features); got != 4 || rep.Best.Features != 4 || len(rep.Kept) != 4 {
		t.Errorf("model has %d features, report %d, kept %v; want 4", got, rep.Best.Features, rep.Kept)
	}
	for i, f := range res.Model.Schema.Features {
		if f.Name != rep.Kept[i] {
			t.Errorf("feature %d is %q, kept %q", i, f.Name, rep.Kept[i])
		}
	}
	if rep.AllFeatures == nil || rep.AllFeatures.Features <= 4 || rep.Defaults.Features != rep.AllFeatures.Features {
		t.Errorf("all features %+v, defaults %+v", rep.AllFeatures, rep.Defaults)
	}
	if rep.Best.ModelBytes >= rep.AllFeatures.ModelBytes {
		t.Errorf("4-feature model.json %d bytes, all-feature %d", rep.Best.ModelBytes, rep.AllFeatures.ModelBytes)
	}
	if d := rep.Best.MacroF1 - rep.Defaults.MacroF1; d != rep.DeltaMacroF1 || (d > 0) != rep.BeatDefaults {
		t.Errorf("delta %v beat %v, from %v - %v", rep.DeltaMacroF1, rep.BeatDefaults, rep.Best.MacroF1, rep.Defaults.MacroF1)
	}
	if rep.DeltaAccuracy != rep.Best.Accuracy-rep.Defaults.Accuracy {
		t.Errorf("delta accuracy %v", rep.DeltaAccuracy)
	}
	if rep.BestParams["rounds"] == "" || rep.TestRows == 0 || rep.TrainRows == 0 || rep.TrainRows+rep.TestRows != 1000 {
		t.Errorf("report %+v", rep)
	}
	if res.Metrics.MacroF1 != rep.Best.MacroF1 {
		t.Errorf("returned model macro-F1 %v, report %v", res.Metrics.MacroF1, rep.Best.MacroF1)
	}
	if !strings.Contains(log.String(), "default parameters") {
		t.Errorf("log:\n%s", log.String())
	}
}

// Slices run apart and collected make the same first rung as one search,
// and the collected best is the best of the slices' bests.
func TestSlicesCollect(t *testing.T) {
	tab := table(t)
	dir := t.TempDir()
	c := small()
	c.Trials = 7
	whole, err := Run(context.Background(), tab, c)
	if err != nil {
		t.Fatal(err)
	}
	var bests []Trial
	for i := range 3 {
		ci := c
		ci.TrialIndex, ci.TrialCount = i, 3
		s, err := Run(context.Background(), tab, ci)
		if err != nil {
			t.Fatal(err)
		}
		bests = append(bests, s.Best)
		if _, err := WriteSlice(dir, NewSlice(ci, []string{"abc"}, s)); err != nil {
			t.Fatal(err)
		}
	}
	merged, first, err := Collect(dir)
	if err != nil {
		t.Fatal(err)
	}
	if first.Trials != 7 || first.TrialCount != 3 {
		t.Errorf("settings %+v", first)
	}
	if !reflect.DeepEqual(merged.Rungs[0].Trials, whole.Rungs[0].Trials) {
		t.Errorf("collected rung 0 differs from the whole search's")
	}
	if want := slices.MinFunc(bests, better); !reflect.DeepEqual(merged.Best, want) {
		t.Errorf("best %d, want %d", merged.Best.ID, want.ID)
	}

	// A missing slice, a foreign slice and a corrupt one are errors naming
	// the file or directory.
	os.Rename(filepath.Join(dir, SliceName(1, 3)), filepath.Join(t.TempDir(), "x"))
	if _, _, err := Collect(dir); !errors.Is(err, ErrSlice) || !strings.Contains(err.Error(), "slices [1] of 3 missing") {
		t.Errorf("missing slice: %v", err)
	}
	other := c
	other.Seed, other.TrialIndex, other.TrialCount = 99, 1, 3
	s, _ := Run(context.Background(), tab, other)
	WriteSlice(dir, NewSlice(other, []string{"abc"}, s))
	if _, _, err := Collect(dir); !errors.Is(err, ErrSlice) || !strings.Contains(err.Error(), "not the same search") {
		t.Errorf("foreign slice: %v", err)
	}
	bad := filepath.Join(dir, SliceName(1, 3))
	os.WriteFile(bad, []byte(`{"format": 1, "trials": `), 0o644)
	var se *SliceError
	if _, _, err := Collect(dir); !errors.As(err, &se) || se.Path != bad {
		t.Errorf("corrupt slice: %v", err)
	}
	if _, _, err := Collect(t.TempDir()); !errors.Is(err, ErrSlice) {
		t.Errorf("empty directory: %v", err)
	}
}
