package trainer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/flowsense/flowsense/artifact"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/eval"
	"github.com/flowsense/flowsense/trainer/gbdt"
	"github.com/flowsense/flowsense/trainer/outlier"
	"github.com/flowsense/flowsense/trainer/report"
)

// Detector names for Config.Outlier.
const (
	OutlierMahalanobis = "mahalanobis"
	OutlierNone        = "none"
)

// ErrConfig is wrapped by every error about the configuration itself (as
// opposed to the data).
var ErrConfig = errors.New("invalid training configuration")

// ErrData is wrapped by the error of a two-pass read (Config.RawSample)
// whose second pass does not find the rows of the first.
var ErrData = errors.New("training data changed between its two reads")

// Config is everything a training run needs.
type Config struct {
	// Data are the training files; Test the test files. Without Test, a
	// stratified TestFraction of the training rows (drawn with SplitSeed)
	// is held out as the test set.
	Data []string
	Test []string
	// Read says how to read both (format, label column, label map, dropped
	// and kept columns, skipping bad rows). Its Schema is ignored: the
	// training data defines the schema and the test data is read against it.
	Read         flowdata.Options
	TestFraction float64
	SplitSeed    uint64
	// Boost are the tree-ensemble parameters.
	Boost gbdt.Params
	// Outlier is OutlierMahalanobis or OutlierNone; OutlierFeatures names
	// the detector's columns (default: every numeric feature).
	Outlier         string
	OutlierFeatures []string
	OutlierParams   outlier.Params
	// Name and Version (the model's own) are recorded in the model's
	// metadata.
	Name, Version string
	// Log receives what the run noticed (dropped columns, skipped rows);
	// nil discards it. Progress, when set, is called after every boosting
	// round.
	Log      io.Writer
	Progress func(gbdt.Round)
	// Params are extra parameters to record in the model (the command line
	// that made it, say).
	Params map[string]string
	// ExplainRows is how many test rows (evenly spaced) the report's
	// TreeSHAP importance and dependence plots explain: 0 is
	// DefaultExplainRows, a negative number leaves them out.
	ExplainRows int
	// ReleaseData lets Train drop the raw training matrix as soon as it is
	// no longer needed, so that the collector frees it: the hold-out split
	// is gathered a column at a time, the drift reference and the outlier
	// detector are computed before boosting, and boosting drops the raw
	// columns once it has binned them (gbdt.Data.Release). Result.Train then
	// has nil Columns. The model is the same either way. `flowsense train`
	// sets it; see RATIONALE.md (training memory).
	ReleaseData bool
	// RawSample, when positive, bounds the rows whose float32 values are
	// held: with more training rows than that, Train reads the files
	// twice, the first time for the labels, the schema and a seeded
	// sample of RawSample rows (drawn with SplitSeed), from which the
	// drift reference's edges, the outlier detector and the bin edges
	// are computed; the second time it bins every training row into one
	// byte a cell (two above 256 bins) and keeps only the test rows'
	// values. At most RawSample rows, the data is read once and the model
	// is the one RawSample 0 makes. Bagging (Boost.Bag > 1) reads whole.
	// `flowsense train` sets DefaultRawSample; see RATIONALE.md (training
	// memory, two passes).
	RawSample int

	alwaysStream bool // tests: two passes even when every row is in the sample
}

// DefaultConfig returns the defaults of `flowsense train`.
func DefaultConfig() Config {
	return Config{
		TestFraction:  0.25,
		SplitSeed:     42,
		Boost:         gbdt.DefaultParams(),
		Outlier:       OutlierMahalanobis,
		OutlierParams: outlier.DefaultParams(),
	}
}

// Result is a trained and evaluated model with everything the report shows.
type Result struct {
	Model   *model.Model
	Metrics eval.Metrics
	Curves  eval.Curves
	Boost   *gbdt.Result
	// TestScores and TestAttack are the outlier scores of the test rows and
	// whether each is an attack, for the report's histograms (nil without
	// a detector).
	TestScores []float64
	TestAttack []bool
	// SHAP is the TreeSHAP summary of the test rows for the report (nil
	// when Config.ExplainRows is negative).
	SHAP *report.SHAP
	// Train is the training data as read; its Columns are nil when
	// Config.ReleaseData is set, and its Y too after a two-pass read
	// (Config.RawSample).
	Train *flowdata.Dataset
	// Notes are what the run noticed, one line each.
	Notes []string
}

// Train reads, trains, evaluates. It writes nothing to disk: see WriteDir.
func Train(ctx context.Context, cfg Config) (*Result, error) {
	if len(cfg.Data) == 0 {
		return nil, fmt.Errorf("%w: no training data", ErrConfig)
	}
	if cfg.Outlier != OutlierMahalanobis && cfg.Outlier != OutlierNone {
		return nil, fmt.Errorf("%w: outlier detector %q, want %q or %q", ErrConfig, cfg.Outlier, OutlierMahalanobis, OutlierNone)
	}
	if cfg.Test == nil && !(cfg.TestFraction > 0 && cfg.TestFraction < 1) {
		return nil, fmt.Errorf("%w: test fraction %v, want (0, 1)", ErrConfig, cfg.TestFraction)
	}
	if err := cfg.Boost.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrConfig, err)
	}
	logf := func(format string, args ...any) {
		if cfg.Log != nil {
			fmt.Fprintf(cfg.Log, format+"\n", args...)
		}
	}
	res := &Result{}
	note := func(format string, args ...any) {
		s := fmt.Sprintf(format, args...)
		res.Notes = append(res.Notes, s)
		logf("%s", s)
	}

	pr, err := prepare(cfg, res, note)
	if err != nil {
		return nil, err
	}
	train, m, gd := pr.train, pr.m, pr.gd
	testCols, testY, nTest, nTrain := pr.testCols, pr.testY, pr.nTest, pr.nTrain
	start := pr.start
	boost, err := gbdt.Train(ctx, gd, cfg.Boost, cfg.Progress)
	if err != nil {
		return nil, err
	}
	res.Boost = boost
	// The bins (or columns) are not needed past boosting: the evaluation
	// allocates in their place.
	pr.gd, gd.Columns, gd.Bins, gd = nil, nil, nil, nil
	if cfg.ReleaseData {
		// Boosting's state is garbage now; collect it before the
		// evaluation allocates, or the heap grows past it by the
		// collector's headroom (one collection: cheap, few pointers).
		debug.FreeOSMemory()
	}
	m.Ensemble = boost.Ensemble
	trainSeconds := time.Since(start).Seconds()

	params := cfg.Boost.Map()
	params["class_weight_chosen"] = boost.ClassWeight
	params["best_round"] = strconv.Itoa(boost.BestRound)
	params["stop"] = boost.Stop
	if m.Outlier != nil {
		params["outlier"] = cfg.OutlierParams.String()
	}
	if pr.sampled { // the model depends on the sample's size
		params["raw_sample"] = strconv.Itoa(cfg.RawSample)
	}
	params["format"] = string(train.Format)
	if train.LabelName != "" {
		params["label"] = train.LabelName
	}
	if cfg.Read.LabelMap != "" {
		params["label_map"] = cfg.Read.LabelMap
	}
	for k, v := range cfg.Params {
		params[k] = v
	}
	m.Meta = model.Metadata{
		Name:           cfg.Name,
		Version:        cfg.Version,
		TrainerVersion: Version,
		Created:        time.Now().UTC().Truncate(time.Second),
		Params:         params,
		Importance:     boost.Importance,
	}
	for _, f := range train.Files {
		m.Meta.DataSHA256 = append(m.Meta.DataSHA256, f.SHA256)
	}
	if err := model.Validate(m); err != nil {
		return nil, fmt.Errorf("trainer produced an invalid model (a bug): %w", err)
	}
	res.Model = m

	explainRows := cfg.ExplainRows
	if explainRows == 0 {
		explainRows = DefaultExplainRows
	}
	// Evaluate on the test set with the native predictor (the reference's
	// bits, compiled); test rows a two-pass read did not keep are read a
	// third time, and the rows TreeSHAP explains kept.
	explainCols, explainN, explainPred := testCols, nTest, []int32(nil)
	var pred *artifact.Predictions
	if pr.reread {
		var err error
		pred, explainCols, explainPred, err = predictReread(ctx, cfg, pr, m, max(explainRows, 0))
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		explainN = len(explainPred)
	} else {
		var err error
		pred, err = artifact.PredictColumns(ctx, artifact.NewNative(m), testCols, nTest)
		if err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		explainPred = pred.Class
	}
	task := eval.Task{Classes: m.Classes, Benign: m.Benign}
	if m.Outlier != nil {
		task.Threshold = &m.Outlier.Threshold
	}
	met, curves, err := task.EvaluateModel(testY, pred.Class, pred.Probs, pred.Score)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	if m.Outlier != nil {
		res.TestScores, res.TestAttack = pred.Score, attackRows(testY, m)
	}
	met.NTrain, met.NTest = nTrain, nTest
	met.TrainSeconds = trainSeconds
	met.Training = trainingSummary(boost, cfg.Boost)
	m.Meta.Metrics = map[string]float64{
		"accuracy": met.Accuracy, "macro_f1": met.MacroF1, "weighted_f1": met.WeightedF1, "roc_auc": met.ROCAUC,
	}
	if met.Outlier != nil {
		m.Meta.Metrics["outlier_roc_auc"] = met.Outlier.ROCAUC
	}
	res.Metrics, res.Curves = met, curves

	if explainRows > 0 {
		t0 := time.Now()
		shap, err := explainTest(ctx, m, explainCols, explainN, explainPred, explainRows)
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			note("no TreeSHAP figures in the report: %v", err)
		} else if shap != nil {
			res.SHAP = shap
			logf("explained %d test rows (TreeSHAP) for the report in %.2fs", shap.Rows, time.Since(t0).Seconds())
		}
	}
	return res, nil
}

func countUnknown(y []int32) int {
	n := 0
	for _, c := range y {
		if c < 0 {
			n++
		}
	}
	return n
}

// attackRows tells which rows are attacks: an unknown or a non-benign label.
func attackRows(y []int32, m *model.Model) []bool {
	truth := make([]bool, len(y))
	for i, c := range y {
		truth[i] = c < 0 || !m.IsBenign(int(c))
	}
	return truth
}

// Summary is a few lines for a terminal.
func (r *Result) Summary() string {
	var b strings.Builder
	m := r.Metrics
	fmt.Fprintf(&b, "classes: %s\n", strings.Join(r.Model.Classes, ", "))
	fmt.Fprintf(&b, "trained on %d rows, tested on %d rows in %.2fs: %d trees, %d rounds\n", m.NTrain, m.NTest, m.TrainSeconds, len(r.Model.Ensemble.Trees), r.Boost.Rounds)
	if t := m.Training; t != nil {
		fmt.Fprintf(&b, "kept %d of %d rounds: %s; %s\n", t.BestRound, t.Rounds, t.StopReason, weightSummary(r.Boost))
	}
	fmt.Fprintf(&b, "accuracy %.4f  macro-F1 %.4f  weighted-F1 %.4f  ROC-AUC %.4f\n", m.Accuracy, m.MacroF1, m.WeightedF1, m.ROCAUC)
	if n := r.Train.Skipped; n > 0 {
		fmt.Fprintf(&b, "skipped %d malformed training rows (--skip-bad)", n)
		for i, e := range r.Train.SkippedErrors {
			if i == 3 {
				b.WriteString("; ...")
				break
			}
			fmt.Fprintf(&b, "; %v", e)
		}
		b.WriteString("\n")
	}
	if o := m.Outlier; o != nil {
		fmt.Fprintf(&b, "outlier detector: precision %.4f recall %.4f F1 %.4f ROC-AUC %.4f (threshold %.4g)\n", o.Precision, o.Recall, o.F1, o.ROCAUC, o.Threshold)
	}
	return b.String()
}
