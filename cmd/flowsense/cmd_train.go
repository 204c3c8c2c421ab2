package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/internal/progress"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/trainer/gbdt"
)

func version() string { return trainer.Version }

// readFlags are the reading options shared by train, eval and predict.
type readFlags struct {
	format, label, labelMap *string
	drop, features          *[]string
	skipBad                 *bool
}

func addReadFlags(f *flagSet) readFlags {
	return readFlags{
		format:   f.String("format", "auto", "input format: auto, cicflowmeter, kdd, csv, zeek (conn.log), eve (Suricata flow events), vpcflow (AWS VPC Flow Logs)"),
		label:    f.String("label", "", "label column (default: Label for CSV formats)"),
		labelMap: f.String("label-map", "", "map labels: kdd5 (normal/dos/probe/r2l/u2r) or binary (benign/attack)"),
		drop:     f.List("drop", "columns to drop (comma-separated or several values)"),
		features: f.List("features", "keep only these feature columns"),
		skipBad:  f.Bool("skip-bad", "count, skip and report malformed rows instead of failing"),
	}
}

func (r readFlags) options() (flowdata.Options, error) {
	switch *r.format {
	case "auto", "cicflowmeter", "kdd", "csv", "zeek", "eve", "vpcflow":
	default:
		return flowdata.Options{}, fmt.Errorf("%w: --format %q: want auto, cicflowmeter, kdd, csv, zeek, eve or vpcflow", errUsage, *r.format)
	}
	switch *r.labelMap {
	case "", "kdd5", "binary":
	default:
		return flowdata.Options{}, fmt.Errorf("%w: --label-map %q: want kdd5 or binary", errUsage, *r.labelMap)
	}
	return flowdata.Options{
		Format:   flowdata.Format(*r.format),
		Label:    *r.label,
		LabelMap: *r.labelMap,
		Drop:     *r.drop,
		Features: *r.features,
		SkipBad:  *r.skipBad,
	}, nil
}

// boostFlags maps command-line options onto gbdt.Params.
type boostFlags struct {
	f *flagSet
}

var boostOptions = []struct{ name, help string }{
	{"rounds", "maximum boosting rounds"},
	{"learning-rate", "shrinkage applied to every tree"},
	{"max-depth", "maximum tree depth (0: no limit)"},
	{"max-leaves", "maximum leaves per tree"},
	{"growth", "tree growth: leaf (best-first) or depth"},
	{"min-child-weight", "least hessian sum in a child"},
	{"min-child-samples", "least rows in a child"},
	{"lambda", "L2 penalty on leaf values"},
	{"min-split-gain", "least gain for a split"},
	{"subsample", "fraction of rows drawn per tree"},
	{"colsample", "fraction of features drawn per tree"},
	{"max-bins", "histogram bins per numeric feature"},
	{"class-weight", "auto (chosen on the validation split), balanced, sqrt or none"},
	{"multiclass", "vector (one tree with vector leaves per round) or per-class"},
	{"early-stopping", "patience in rounds on the validation split (0: off)"},
	{"validation-fraction", "fraction of training rows held out for early stopping"},
	{"refit", "after early stopping, train again on every row for the best round (true or false)"},
	{"bag", "train this many models with seeds drawn from --seed and average them (1: one model)"},
	{"seed", "random seed (same seed, same model)"},
	{"threads", "worker goroutines (0: all cores); never changes the model"},
}

func addBoostFlags(f *flagSet) boostFlags {
	def := gbdt.DefaultParams().Map()
	for _, o := range boostOptions {
		f.String(o.name, def[strings.ReplaceAll(o.name, "-", "_")], o.help)
	}
	return boostFlags{f}
}

func (b boostFlags) params() (gbdt.Params, error) {
	p := gbdt.DefaultParams()
	f := b.f
	var seed int
	for _, err := range []error{
		f.Int("rounds", &p.Rounds), f.Float("learning-rate", &p.LearningRate), f.Int("max-depth", &p.MaxDepth),
		f.Int("max-leaves", &p.MaxLeaves), f.Float("min-child-weight", &p.MinChildWeight), f.Int("min-child-samples", &p.MinChildSamples),
		f.Float("lambda", &p.Lambda), f.Float("min-split-gain", &p.MinSplitGain), f.Float("subsample", &p.Subsample),
		f.Float("colsample", &p.ColSample), f.Int("max-bins", &p.MaxBins), f.Int("early-stopping", &p.EarlyStopping),
		f.Float("validation-fraction", &p.ValidationFraction), f.Int("threads", &p.Threads),
		f.Int("bag", &p.Bag),
	} {
		if err != nil {
			return p, err
		}
	}
	if f.Set("seed") {
		if err := f.Int("seed", &seed); err != nil {
			return p, err
		}
		if seed < 0 {
			return p, fmt.Errorf("%w: --seed %d: want >= 0", errUsage, seed)
		}
		p.Seed = uint64(seed)
	}
	if f.Set("growth") {
		p.Growth = *f.specs["growth"].str
	}
	if f.Set("class-weight") {
		p.ClassWeight = *f.specs["class-weight"].str
	}
	if f.Set("refit") {
		v, err := strconv.ParseBool(*f.specs["refit"].str)
		if err != nil {
			return p, fmt.Errorf("%w: --refit %q: want true or false", errUsage, *f.specs["refit"].str)
		}
		p.Refit = v
	}
	if f.Set("multiclass") {
		p.Multiclass = *f.specs["multiclass"].str
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%w: %v", errUsage, err)
	}
	return p, nil
}

func runTrain(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	start := time.Now()
	f := newFlags("train")
	dataFiles := f.List("data", "training files (CSV, gzip or not)")
	testFiles := f.List("test", "test files (default: a stratified 25% hold-out, seed 42)")
	out := f.String("out", "", "output directory for model.json, metrics.json, report.html")
	name := f.String("name", "", "model name recorded in its metadata")
	modelVersion := f.String("model-version", "", "model version recorded in its metadata (the model's own, e.g. 1 or 2026-12-03)")
	det := f.String("outlier", "mahalanobis", "outlier detector: mahalanobis or none")
	ofeat := f.List("outlier-features", "the detector's columns (default: every numeric feature)")
	f.String("outlier-components", "", "principal components kept by the detector")
	oquant := f.String("outlier-quantile", "", "threshold at this quantile of benign training scores")
	ostd := f.String("outlier-stdev", "", "threshold at mean + this many stdevs of benign training scores")
	quiet := f.Bool("quiet", "no progress on stderr")
	f.String("raw-sample", strconv.Itoa(trainer.DefaultRawSample), "past this many rows, read the data twice and keep the raw values of a sample this big only (0: read it whole)")
	help := f.Bool("help", "show this help")
	rf := addReadFlags(f)
	bf := addBoostFlags(f)
	rec := addRunFlags(f)
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--data FILE... [--test FILE...] --out DIR [options]")
		return errHelp
	}
	if len(f.args) > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, f.args[0])
	}
	if len(*dataFiles) == 0 || *out == "" {
		return fmt.Errorf("%w: --data and --out are required (flowsense train --help)", errUsage)
	}
	cfg := trainer.DefaultConfig()
	var err error
	if cfg.Read, err = rf.options(); err != nil {
		return err
	}
	if cfg.Boost, err = bf.params(); err != nil {
		return err
	}
	cfg.Data, cfg.Test, cfg.Name, cfg.Version = *dataFiles, *testFiles, *name, *modelVersion
	cfg.Outlier, cfg.OutlierFeatures = *det, *ofeat
	if err := f.Int("outlier-components", &cfg.OutlierParams.Components); err != nil {
		return err
	}
	if err := f.Int("raw-sample", &cfg.RawSample); err != nil {
		return err
	}
	if cfg.RawSample < 0 {
		return fmt.Errorf("%w: --raw-sample %d, want >= 0", errUsage, cfg.RawSample)
	}
	if *oquant != "" || *ostd != "" {
		cfg.OutlierParams.ThresholdQuantile, cfg.OutlierParams.ThresholdStdev = 0, 0
		if err := f.Float("outlier-quantile", &cfg.OutlierParams.ThresholdQuantile); err != nil {
			return err
		}
		if err := f.Float("outlier-stdev", &cfg.OutlierParams.ThresholdStdev); err != nil {
			return err
		}
	}
	if err := rec.check(); err != nil {
		return err
	}
	cfg.Params = map[string]string{"command": "flowsense train " + strings.Join(args, " ")}
	var log io.Writer = stderr
	if *quiet {
		log = nil
	}
	cfg.Log = log
	cfg.ReleaseData = true // nothing here reads res.Train.Columns
	defer lowGC()()
	bar := progress.New(log, "training", cfg.Boost.Rounds, 10)
	cfg.Progress = func(r gbdt.Round) {
		status := fmt.Sprintf("train loss %.4f", r.Train)
		if r.Weight != "" {
			status = r.Weight + " " + status
		}
		if !math.IsNaN(r.Valid) { // NaN: no validation split (early stopping off)
			status += fmt.Sprintf(" valid loss %.4f", r.Valid)
		}
		bar.Step(r.Round, status)
	}
	res, err := trainer.Train(ctx, cfg)
	if err != nil {
		return err
	}
	bar.Done(fmt.Sprintf("trained %d rounds, best round %d", res.Boost.Rounds, res.Boost.BestRound))
	if err := res.WriteDir(*out); err != nil {
		return err
	}
	fmt.Fprint(stdout, res.Summary())
	fmt.Fprintf(stdout, "model:   %s\nmetrics: %s\nreport:  %s\n", joinOut(*out, "model.json"), joinOut(*out, "metrics.json"), joinOut(*out, "report.html"))
	if id := rec.recordOrWarn(stderr, "train", start, args, *out, cfg, res.Train.Files, res.Model.Meta.Params, nil); id != "" {
		fmt.Fprintf(stdout, "run:     %s\n", id)
	}
	return nil
}

func joinOut(dir, name string) string { return strings.TrimRight(dir, "/") + "/" + name }

// trainGCPercent is the collector's GOGC while training, unless GOGC is set
// in the environment. The default of 100 lets the heap grow to twice what
// is live before a collection; while the raw matrix is read, split and
// binned, most of what is allocated stays live or is freed in large
// blocks, and the peak RSS of a million rows of 78 features was 1.18 GB
// at 100 against 0.76 GB at 25 for the same CPU time (the large blocks
// hold no pointers, so a collection costs little). RATIONALE.md, training
// memory.
const trainGCPercent = 25

// lowGC sets trainGCPercent and returns what restores the setting before.
func lowGC() (restore func()) {
	if os.Getenv("GOGC") != "" {
		return func() {}
	}
	old := debug.SetGCPercent(trainGCPercent)
	return func() { debug.SetGCPercent(old) }
}
