package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/atomicfile"
	"github.com/flowsense/flowsense/internal/progress"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/trainer/tune"
)

// TuneReportFile is the report tune writes next to the best model.
const tuneReportFile = "tune.json"

func runTune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	def := tune.DefaultConfig()
	f := newFlags("tune")
	dataFiles := f.List("data", "training files (CSV, gzip or not)")
	testFiles := f.List("test", "held-out test files (default: a stratified --holdout of the training rows)")
	f.String("holdout", "0.2", "fraction of the training rows held out (stratified, seed 42) without --test")
	out := f.String("out", "", "the best model's directory; with --trial-count, the directory of the slice files")
	f.String("trials", fmt.Sprint(def.Trials), "configurations drawn")
	f.String("folds", fmt.Sprint(def.Folds), "cross-validation folds")
	f.String("parallel", "0", "fits at once (0: GOMAXPROCS); never changes the result")
	f.String("seed", fmt.Sprint(def.Seed), "seed of the draws and folds")
	f.String("eta", fmt.Sprint(def.Eta), "halving factor: keep the best 1/eta, give them eta times the rounds")
	f.String("min-rounds", fmt.Sprint(def.MinRounds), "boosting rounds of the first rung")
	f.String("max-rounds", fmt.Sprint(def.MaxRounds), "most boosting rounds of any rung")
	metric := f.String("metric", def.Metric, "cross-validated score to maximise: macro_f1 or accuracy")
	f.String("max-features", "0", "keep the K features of highest gain and retrain on them (0: all)")
	f.String("trial-index", "0", "run only slice INDEX of --trial-count (a pod of an Indexed Job)")
	f.String("trial-count", "1", "cut the trials into this many slices; writes a slice file into --out")
	drawAll := f.Bool("no-default-trial", "draw every trial at random (default: trial 0 is the default parameters)")
	collect := f.String("collect", "", "finish a sliced search from the slice files in this directory")
	quiet := f.Bool("quiet", "no progress on stderr")
	help := f.Bool("help", "show this help")
	rf := addReadFlags(f)
	rec := addRunFlags(f)
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--data FILE... [--test FILE... | --holdout F] --trials N --out DIR [options]")
		return errHelp
	}
	if len(f.args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, f.args[0])
	}
	if len(*dataFiles) == 0 || *out == "" {
		return fmt.Errorf("%w: --data and --out are required (flowsense tune --help)", errUsage)
	}
	sc := def
	sc.Metric = *metric
	var seed, maxFeatures int
	for _, err := range []error{f.Int("trials", &sc.Trials), f.Int("folds", &sc.Folds), f.Int("parallel", &sc.Parallel),
		f.Int("seed", &seed), f.Int("eta", &sc.Eta), f.Int("min-rounds", &sc.MinRounds), f.Int("max-rounds", &sc.MaxRounds),
		f.Int("max-features", &maxFeatures), f.Int("trial-index", &sc.TrialIndex), f.Int("trial-count", &sc.TrialCount)} {
		if err != nil {
			return err
		}
	}
	if seed < 0 || maxFeatures < 0 {
		return fmt.Errorf("%w: --seed and --max-features want >= 0", errUsage)
	}
	sc.Seed = uint64(seed)
	sc.BaseFirst = !*drawAll
	if sc.Parallel == 0 {
		sc.Parallel = runtime.GOMAXPROCS(0)
	}
	cfg := trainer.DefaultConfig()
	var err error
	if cfg.Read, err = rf.options(); err != nil {
		return err
	}
	cfg.Data, cfg.Test = *dataFiles, *testFiles
	if f.Set("holdout") && len(cfg.Test) > 0 {
		return fmt.Errorf("%w: --holdout and --test are exclusive", errUsage)
	}
	if err := f.Float("holdout", &cfg.TestFraction); err != nil {
		return err
	}
	if len(cfg.Test) == 0 && !(cfg.TestFraction > 0 && cfg.TestFraction < 1) {
		return fmt.Errorf("%w: --holdout %v: want a fraction in (0, 1)", errUsage, cfg.TestFraction)
	}
	sc.Base = cfg.Boost
	if *collect != "" && f.Set("trial-count") {
		return fmt.Errorf("%w: --collect and --trial-count are exclusive", errUsage)
	}
	if err := rec.check(); err != nil {
		return err
	}
	var log io.Writer = stderr
	if *quiet {
		log = nil
	}
	sc.Progress = tuneProgress(log, sc.Metric)
	opt := tune.Options{Train: cfg, Search: sc, MaxFeatures: maxFeatures, Log: log}
	var rep *tune.Report
	var res *trainer.Result
	switch {
	case sc.TrialCount > 1: // one slice of a split search
		tab, err := tune.TrainingPart(cfg)
		if err != nil {
			return err
		}
		sha, err := tune.DataHashes(cfg)
		if err != nil {
			return err
		}
		s, err := tune.Run(ctx, tab, sc)
		if err != nil {
			return err
		}
		sl := tune.NewSlice(sc, sha, s)
		if sl.Split, err = tune.SplitKey(cfg); err != nil {
			return err
		}
		path, err := tune.WriteSlice(*out, sl)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "slice %d of %d: best trial %d, cv %s %.4f\nwrote %s\n", sc.TrialIndex, sc.TrialCount, s.Best.ID, s.Metric, s.Best.Score, path)
		return nil
	case *collect != "":
		s, first, err := tune.Collect(*collect)
		if err != nil {
			return err
		}
		if err := tune.CheckCollect(*collect, first, cfg); err != nil {
			return err
		}
		opt.Search.Trials, opt.Search.Folds, opt.Search.Eta, opt.Search.Seed = first.Trials, first.Folds, first.Eta, first.Seed
		if rep, res, err = tune.Finish(ctx, opt, s); err != nil {
			return err
		}
	default:
		if rep, res, err = tune.Tune(ctx, opt); err != nil {
			return err
		}
	}
	rep.Seconds = time.Since(start).Seconds()
	if err := res.WriteDir(*out); err != nil {
		return err
	}
	var buf strings.Builder
	if err := jsonOut(&buf, rep); err != nil {
		return err
	}
	if err := atomicfile.WriteFile(filepath.Join(*out, tuneReportFile), []byte(buf.String())); err != nil {
		return err
	}
	metrics := map[string]float64{
		"tune.cv_score": rep.CVScore, "tune.delta_macro_f1": rep.DeltaMacroF1, "tune.delta_accuracy": rep.DeltaAccuracy,
		"tune.defaults.accuracy": rep.Defaults.Accuracy, "tune.defaults.macro_f1": rep.Defaults.MacroF1, "tune.beat_defaults": 0,
	}
	if rep.BeatDefaults {
		metrics["tune.beat_defaults"] = 1
	}
	params := res.Model.Meta.Params
	params["tune.trials"], params["tune.folds"], params["tune.seed"] = fmt.Sprint(rep.Trials), fmt.Sprint(rep.Folds), fmt.Sprint(rep.Seed)
	params["tune.metric"], params["tune.eta"] = rep.Metric, fmt.Sprint(rep.Eta)
	if maxFeatures > 0 {
		params["tune.max_features"] = fmt.Sprint(maxFeatures)
	}
	if len(rep.Kept) > 0 {
		cfg.Read.Features = rep.Kept
	}
	var read []flowdata.FileInfo
	if res.Train != nil {
		read = res.Train.Files
	}
	id := rec.recordOrWarn(stderr, "tune", start, args, *out, cfg, read, params, metrics)
	fmt.Fprint(stdout, buf.String())
	if id != "" && log != nil {
		fmt.Fprintf(log, "model: %s  report: %s  run: %s\n", joinOut(*out, "model.json"), joinOut(*out, tuneReportFile), id)
	}
	return nil
}

// tuneProgress prints a line per configuration scored: a bar per rung.
func tuneProgress(w io.Writer, metric string) func(tune.Event) {
	if w == nil {
		return nil
	}
	var bar *progress.Bar
	rung, best := -1, 0.0
	return func(e tune.Event) {
		if e.Rung != rung {
			if bar != nil {
				bar.Done(fmt.Sprintf("rung %d done, best %s %.4f", rung, metric, best))
			}
			rung, best = e.Rung, e.Trial.Score
			bar = progress.New(w, fmt.Sprintf("rung %d (%d rounds)", e.Rung, e.Trial.Params.Rounds), e.Total, 1)
		}
		best = max(best, e.Trial.Score)
		bar.Step(e.Done, fmt.Sprintf("trial #%d: %s %.4f (best %.4f)", e.Trial.ID, metric, e.Trial.Score, best))
		if e.Done == e.Total {
			bar.Done(fmt.Sprintf("rung %d done, best %s %.4f", rung, metric, best))
			bar, rung = nil, -1
		}
	}
}
