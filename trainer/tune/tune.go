package tune

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// Options are a whole tuning job: a search on the training part, then the
// best configuration and the defaults trained and tested alike.
type Options struct {
	// Train says what to read and how to test, as for `flowsense train`:
	// Data, Test (or TestFraction and SplitSeed for a stratified
	// hold-out), Read, the outlier detector. Its Boost is the defaults the
	// best configuration is compared with; Log and Progress are unused.
	Train trainer.Config
	// Search is the search; its Base is set to Train.Boost.
	Search Config
	// MaxFeatures, when positive and below the number of features, keeps
	// only the MaxFeatures features of highest gain in the best model and
	// trains it again on those alone.
	MaxFeatures int
	// Log receives progress lines; nil is silent.
	Log io.Writer
}

// Heldout is a model's figures on the held-out data.
type Heldout struct {
	Accuracy     float64 `json:"accuracy"`
	MacroF1      float64 `json:"macro_f1"`
	WeightedF1   float64 `json:"weighted_f1"`
	Features     int     `json:"features"`
	Trees        int     `json:"trees"`
	ModelBytes   int     `json:"model_bytes"`
	WasmBytes    int     `json:"wasm_bytes"`
	TrainSeconds float64 `json:"train_seconds"`
}

// RungSummary is one rung of the search in a report.
type RungSummary struct {
	Rounds    int     `json:"rounds"`
	Configs   int     `json:"configs"`
	BestScore float64 `json:"best_score"`
	BestTrial int     `json:"best_trial"`
}

// Report is what a tuning job found.
type Report struct {
	Metric    string `json:"metric"`
	Trials    int    `json:"trials"`
	Folds     int    `json:"folds"`
	Eta       int    `json:"eta"`
	Seed      uint64 `json:"seed"`
	TestSet   string `json:"test_set"`
	TrainRows int    `json:"train_rows"`
	TestRows  int    `json:"test_rows"`

	Rungs      []RungSummary     `json:"rungs"`
	BestTrial  int               `json:"best_trial"`
	BestParams map[string]string `json:"best_params"`
	// CVScore is the best configuration's cross-validated score on the
	// training part.
	CVScore float64 `json:"cv_score"`

	// Best is the model written: the best configuration trained on the
	// whole training part (on the kept features with MaxFeatures), tested
	// on the held-out data. AllFeatures is the same configuration on every
	// feature, when MaxFeatures cut them; Kept names the features kept.
	Best        Heldout  `json:"best"`
	AllFeatures *Heldout `json:"all_features,omitempty"`
	Kept        []string `json:"kept_features,omitempty"`
	// Defaults are the default parameters trained and tested the same way.
	Defaults Heldout `json:"defaults"`

	BeatDefaults  bool    `json:"beat_defaults"`
	DeltaMacroF1  float64 `json:"delta_macro_f1"`
	DeltaAccuracy float64 `json:"delta_accuracy"`
	Seconds       float64 `json:"seconds"`
}

// Tune reads the training data, searches on its training part, then trains
// and tests the best configuration and the defaults. It returns the report
// and the best model's training result, for trainer's WriteDir.
func Tune(ctx context.Context, opt Options) (*Report, *trainer.Result, error) {
	start := time.Now()
	tab, err := TrainingPart(opt.Train)
	if err != nil {
		return nil, nil, err
	}
	opt.Search.Base = opt.Train.Boost
	logf(opt.Log, "searching %d configurations on %d rows, %d folds", opt.Search.Trials, len(tab.Y), opt.Search.Folds)
	s, err := Run(ctx, tab, opt.Search)
	if err != nil {
		return nil, nil, err
	}
	rep, res, err := Finish(ctx, opt, s)
	if err != nil {
		return nil, nil, err
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, res, nil
}

// TrainingPart reads cfg.Data and returns the rows trainer.Train trains on
// with cfg: all of them with test files, else those its stratified
// hold-out keeps.
func TrainingPart(cfg trainer.Config) (*Table, error) {
	opt := cfg.Read
	opt.Schema, opt.Log = nil, nil
	d, err := flowdata.Read(cfg.Data, opt)
	if err != nil {
		return nil, err
	}
	if len(d.Classes) < 2 {
		return nil, fmt.Errorf("%w: the training data has %d class(es), need at least 2", ErrConfig, len(d.Classes))
	}
	t := &Table{Columns: d.Columns, Y: d.Y, Classes: len(d.Classes),
		Kinds: make([]model.Kind, len(d.Schema.Features)), Categories: make([]int, len(d.Schema.Features))}
	for j, f := range d.Schema.Features {
		t.Kinds[j], t.Categories[j] = f.Kind, len(f.Categories)
	}
	if len(cfg.Test) > 0 {
		return t, nil
	}
	if !(cfg.TestFraction > 0 && cfg.TestFraction < 1) {
		return nil, configErr("hold-out fraction %v, want (0, 1)", cfg.TestFraction)
	}
	rows, _ := trainer.StratifiedSplit(d.Y, len(d.Classes), cfg.TestFraction, cfg.SplitSeed)
	sub := subset(t, rows)
	return &sub, nil
}

// Finish trains the best configuration of s and the defaults
// (opt.Train.Boost) on the whole training part, tests both on the held-out
// data and reports the difference.
func Finish(ctx context.Context, opt Options, s *Search) (*Report, *trainer.Result, error) {
	start := time.Now()
	sc := opt.Search
	rep := &Report{Metric: s.Metric, Trials: sc.Trials, Folds: sc.Folds, Eta: sc.Eta, Seed: sc.Seed,
		BestTrial: s.Best.ID, CVScore: s.Best.Score}
	for _, r := range s.Rungs {
		rep.Rungs = append(rep.Rungs, RungSummary{Rounds: r.Rounds, Configs: len(r.Trials), BestScore: r.Trials[0].Score, BestTrial: r.Trials[0].ID})
	}
	if len(opt.Train.Test) > 0 {
		rep.TestSet = fmt.Sprintf("test files %v", opt.Train.Test)
	} else {
		rep.TestSet = fmt.Sprintf("stratified %g hold-out, seed %d", opt.Train.TestFraction, opt.Train.SplitSeed)
	}
	best := s.Best.Params
	best.Threads = opt.Train.Boost.Threads
	rep.BestParams = best.Map()

	train := func(what string, cfg trainer.Config) (*trainer.Result, Heldout, error) {
		logf(opt.Log, "training %s", what)
		cfg.Log, cfg.Progress = nil, nil
		res, err := trainer.Train(ctx, cfg)
		if err != nil {
			return nil, Heldout{}, fmt.Errorf("train %s: %w", what, err)
		}
		h, err := heldout(res)
		if err != nil {
			return nil, Heldout{}, err
		}
		logf(opt.Log, "%s: held-out accuracy %.4f macro-F1 %.4f, %d features, %d bytes of wasm", what, h.Accuracy, h.MacroF1, h.Features, h.WasmBytes)
		return res, h, nil
	}
	cfg := opt.Train
	cfg.Boost = best
	cfg.Params = map[string]string{"tune_trial": fmt.Sprint(s.Best.ID), "tune_cv_" + s.Metric: fmt.Sprint(s.Best.Score)}
	res, h, err := train("the best configuration", cfg)
	if err != nil {
		return nil, nil, err
	}
	rep.Best = h
	rep.TrainRows, rep.TestRows = res.Metrics.NTrain, res.Metrics.NTest

	if k := opt.MaxFeatures; k > 0 && k < len(res.Model.Schema.Features) {
		rep.Kept = topFeatures(res.Model, k)
		all := h
		rep.AllFeatures = &all
		cfg.Read.Features = rep.Kept
		cfg.Params["tune_max_features"] = fmt.Sprint(k)
		if res, h, err = train(fmt.Sprintf("the best configuration on the %d features of highest gain", k), cfg); err != nil {
			return nil, nil, err
		}
		rep.Best = h
	}

	dcfg := opt.Train
	if _, rep.Defaults, err = train("the default parameters", dcfg); err != nil {
		return nil, nil, err
	}
	rep.DeltaMacroF1 = rep.Best.MacroF1 - rep.Defaults.MacroF1
	rep.DeltaAccuracy = rep.Best.Accuracy - rep.Defaults.Accuracy
	if s.Metric == MetricAccuracy {
		rep.BeatDefaults = rep.DeltaAccuracy > 0
	} else {
		rep.BeatDefaults = rep.DeltaMacroF1 > 0
	}
	rep.Seconds = time.Since(start).Seconds()
	return rep, res, nil
}

// topFeatures names the k features of highest total gain, in schema order.
func topFeatures(m *model.Model, k int) []string {
	idx := make([]int, len(m.Schema.Features))
	for i := range idx {
		idx[i] = i
	}
	imp := m.Meta.Importance
	gain := func(i int) float64 {
		if i < len(imp) {
			return imp[i]
		}
		return 0
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(gain(b), gain(a)) })
	idx = idx[:k]
	slices.Sort(idx)
	names := make([]string, k)
	for i, j := range idx {
		names[i] = m.Schema.Features[j].Name
	}
	return names
}

// heldout measures a trained result and the size of its files.
func heldout(res *trainer.Result) (Heldout, error) {
	b, err := res.Model.MarshalIndent()
	if err != nil {
		return Heldout{}, err
	}
	w, err := compiler.Compile(res.Model, compiler.WithModelFile(b), compiler.WithoutExplain())
	if err != nil {
		return Heldout{}, fmt.Errorf("compile: %w", err)
	}
	m := res.Metrics
	return Heldout{Accuracy: m.Accuracy, MacroF1: m.MacroF1, WeightedF1: m.WeightedF1,
		Features: len(res.Model.Schema.Features), Trees: len(res.Model.Ensemble.Trees),
		ModelBytes: len(b), WasmBytes: len(w), TrainSeconds: m.TrainSeconds}, nil
}

func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		fmt.Fprintf(w, format+"\n", args...)
	}
}
