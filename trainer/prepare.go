package trainer

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/gbdt"
	"github.com/flowsense/flowsense/trainer/outlier"
)

// DefaultRawSample is the Config.RawSample of `flowsense train`: half a
// million rows, 156 MB of float32 values at CIC-IDS2017's 78 features.
const DefaultRawSample = 500000

// prepared is what boosting and the evaluation start from: the training
// data as read, the model so far (schema, classes, drift reference,
// outlier detector), boosting's data and the test rows.
type prepared struct {
	train    *flowdata.Dataset
	m        *model.Model
	gd       *gbdt.Data
	testCols [][]float32
	testY    []int32
	nTest    int
	nTrain   int
	start    time.Time // when the work after the reading began
	sampled  bool      // read in two passes from a sample of fewer rows (Config.RawSample)
	// reread: the test rows (file rows te, ascending) are read again
	// for the evaluation (predictReread) instead of kept (testCols nil).
	reread bool
	te     []int32
	schema *model.Schema
}

// prepare reads the training (and test) data and computes what needs raw
// values: in memory when the rows fit Config.RawSample (or it is 0), else
// in two passes (streamed).
func prepare(cfg Config, res *Result, note func(string, ...any)) (*prepared, error) {
	opt := cfg.Read
	opt.Schema = nil
	opt.Log = cfg.Log
	sampled := cfg.RawSample > 0 && cfg.Boost.Bag <= 1
	if sampled {
		opt.Sample, opt.SampleSeed = cfg.RawSample, cfg.SplitSeed
	}
	train, err := flowdata.Read(cfg.Data, opt)
	if sampled && errors.Is(err, flowdata.ErrUnsampled) {
		note("read the training data whole, not in two passes: %v", err)
		opt.Sample, sampled = 0, false
		train, err = flowdata.Read(cfg.Data, opt)
	}
	if err != nil {
		return nil, err
	}
	res.Train = train
	for _, g := range flowdata.GroupDropped(train.Dropped) {
		note("dropped %s: %s", g.Columns, g.Reason)
	}
	if train.Skipped > 0 {
		note("skipped %d malformed rows of the training data", train.Skipped)
	}
	if len(train.Classes) < 2 {
		return nil, fmt.Errorf("%w: the training data has %d class(es), need at least 2", ErrConfig, len(train.Classes))
	}
	if sampled && (len(train.SampleRows) < train.Rows || cfg.alwaysStream) {
		return streamed(cfg, train, note)
	}
	train.SampleRows = nil // every row: the columns are whole
	return inMemory(cfg, train, note)
}

// readTest reads Config.Test against the training schema.
func readTest(cfg Config, train *flowdata.Dataset, note func(string, ...any)) (cols [][]float32, y []int32, n int, err error) {
	topt := cfg.Read
	topt.Schema = &train.Schema
	topt.Features = nil // the schema already holds the kept features
	topt.Log = cfg.Log
	test, err := flowdata.Read(cfg.Test, topt)
	if err != nil {
		return nil, nil, 0, err
	}
	if !test.HasLabels {
		return nil, nil, 0, fmt.Errorf("%w: the test data has no label column %q", ErrConfig, test.LabelName)
	}
	if test.Skipped > 0 {
		note("skipped %d malformed rows of the test data", test.Skipped)
	}
	y = test.LabelsIn(train.Classes)
	if unknown := countUnknown(y); unknown > 0 {
		note("%d test rows carry labels absent from training; they count as errors", unknown)
	}
	return test.Columns, y, test.Rows, nil
}

// newModel starts the model: schema, classes, benign classes.
func newModel(train *flowdata.Dataset, note func(string, ...any)) *model.Model {
	m := &model.Model{
		Format:  model.FormatVersion,
		Schema:  train.Schema,
		Classes: train.Classes,
	}
	for i, c := range train.Classes {
		if flowdata.IsBenign(c) {
			m.Benign = append(m.Benign, i)
		}
	}
	if len(m.Benign) == 0 {
		note("no benign class among %v: every prediction will be malicious", train.Classes)
	}
	return m
}

// fitOutlier fits the detector on the rows of cols (classes y), when
// Config.Outlier asks for one.
func fitOutlier(cfg Config, m *model.Model, cols [][]float32, y []int32, note func(string, ...any)) error {
	if cfg.Outlier != OutlierMahalanobis {
		return nil
	}
	feats, err := outlier.Features(&m.Schema, cfg.OutlierFeatures)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrConfig, err)
	}
	det, err := outlier.FitBenign(cols, y, m.Benign, feats, cfg.OutlierParams)
	if err != nil {
		return err
	}
	if det == nil {
		note("no outlier detector: no benign training rows")
	}
	m.Outlier = det
	return nil
}

// boostData is boosting's data but its columns.
func boostData(cfg Config, train *flowdata.Dataset, y []int32) *gbdt.Data {
	gd := &gbdt.Data{
		Columns:    make([][]float32, len(train.Schema.Features)),
		Kinds:      make([]model.Kind, len(train.Schema.Features)),
		Categories: make([]int, len(train.Schema.Features)),
		Y:          y,
		Classes:    len(train.Classes),
		Release:    cfg.ReleaseData,
	}
	for j, f := range train.Schema.Features {
		gd.Kinds[j] = f.Kind
		gd.Categories[j] = len(f.Categories)
	}
	return gd
}

// inMemory prepares from the whole float32 matrix (train.Columns).
func inMemory(cfg Config, train *flowdata.Dataset, note func(string, ...any)) (*prepared, error) {
	// The test set: a file read against the training schema, or a
	// stratified hold-out.
	trainCols, trainY := train.Columns, train.Y
	var testCols [][]float32
	var testY []int32
	var nTest int
	if len(cfg.Test) > 0 {
		var err error
		if testCols, testY, nTest, err = readTest(cfg, train, note); err != nil {
			return nil, err
		}
	} else {
		tr, te := stratifiedSplit(train.Y, len(train.Classes), cfg.TestFraction, cfg.SplitSeed)
		if cfg.ReleaseData {
			trainCols, testCols = gatherRelease(train.Columns, tr, te)
			train.Columns = nil
		} else {
			trainCols, testCols = Gather(train.Columns, tr), Gather(train.Columns, te)
		}
		trainY, testY, nTest = GatherY(train.Y, tr), GatherY(train.Y, te), len(te)
		note("held out a stratified %.0f%% of the training rows (seed %d) as the test set: %d rows", 100*cfg.TestFraction, cfg.SplitSeed, nTest)
	}
	start := time.Now()
	// The drift reference and the outlier detector read the raw training
	// values, so they come before boosting, which may release them.
	m := newModel(train, note)
	m.Reference = referenceHistograms(&train.Schema, trainCols)
	if err := fitOutlier(cfg, m, trainCols, trainY, note); err != nil {
		return nil, err
	}
	gd := boostData(cfg, train, trainY)
	gd.Columns = trainCols
	if cfg.ReleaseData {
		trainCols, train.Columns = nil, nil // gd holds the only reference
	}
	return &prepared{train: train, m: m, gd: gd, testCols: testCols, testY: testY, nTest: nTest, nTrain: len(trainY), start: start}, nil
}

// streamed prepares from a sample of the rows (train.Columns, rows
// train.SampleRows) and a second read of the files: the drift reference's
// edges, the outlier detector and the bin edges come from the sample's
// training rows; the second read bins every training row into one byte a
// cell (gbdt.Bins), counts the reference histograms and keeps the test
// rows' values. The float32 matrix of the training rows never exists.
// When the sample is every row, the model is the one inMemory makes
// (TestStreamedSameModel).
func streamed(cfg Config, train *flowdata.Dataset, note func(string, ...any)) (*prepared, error) {
	var tr, te []int // ascending file rows; tr nil: every row trains
	var testCols [][]float32
	var testY []int32
	var nTest int
	trainY := train.Y
	if len(cfg.Test) > 0 {
		var err error
		if testCols, testY, nTest, err = readTest(cfg, train, note); err != nil {
			return nil, err
		}
	} else {
		tr, te = stratifiedSplit(train.Y, len(train.Classes), cfg.TestFraction, cfg.SplitSeed)
		trainY, testY, nTest = GatherY(train.Y, tr), GatherY(train.Y, te), len(te)
		note("held out a stratified %.0f%% of the training rows (seed %d) as the test set: %d rows", 100*cfg.TestFraction, cfg.SplitSeed, nTest)
	}
	nTrain := len(trainY)
	note("read the training data in two passes: the drift reference's edges, the outlier detector and the bin edges from a sample of %d of its %d rows (Config.RawSample %d)", len(train.SampleRows), train.Rows, cfg.RawSample)
	start := time.Now()

	// The sample's training rows, and their row numbers among the
	// training rows (boosting's row numbers).
	var pick, pos []int
	if tr == nil {
		pick, pos = seq(len(train.SampleRows)), train.SampleRows
	} else {
		k := 0
		for s, r := range train.SampleRows {
			for k < len(tr) && tr[k] < r {
				k++
			}
			if k < len(tr) && tr[k] == r {
				pick, pos = append(pick, s), append(pos, k)
			}
		}
	}
	// In place: pick is ascending, so pick[i] >= i.
	sample := train.Columns
	for _, c := range sample {
		for i, s := range pick {
			c[i] = c[s]
		}
	}
	for j := range sample {
		sample[j] = sample[j][:len(pick)]
	}
	sampleY := make([]int32, len(pick))
	for i, p := range pos {
		sampleY[i] = trainY[p]
	}
	train.Columns = nil

	m := newModel(train, note)
	m.Reference = referenceHistograms(&train.Schema, sample)
	for j := range m.Reference { // counted over every training row below
		h := &m.Reference[j]
		clear(h.Counts)
		h.Missing = 0
	}
	if err := fitOutlier(cfg, m, sample, sampleY, note); err != nil {
		return nil, err
	}
	gd := boostData(cfg, train, trainY)
	bins, err := gbdt.NewBins(sample, pos, nTrain, gd.Kinds, gd.Categories, cfg.Boost.MaxBins, cfg.Boost.Seed, cfg.Boost.Threads)
	if err != nil {
		return nil, err
	}
	sample, sampleY = nil, nil
	debug.FreeOSMemory()

	ti, ei := 0, 0
	var src []int32
	ropt := cfg.Read
	ropt.Schema = &train.Schema
	ropt.Features = nil
	ropt.Log = cfg.Log
	ropt.Chunks = func(first int, cols [][]float32) error {
		src = src[:0]
		for i := range cols[0] {
			r := first + i
			switch {
			case tr == nil || (ti < len(tr) && tr[ti] == r):
				src = append(src, int32(i))
				ti++
			case ei < len(te) && te[ei] == r:
				ei++ // read again for the evaluation
			default:
				return fmt.Errorf("%w: row %d is in neither the training nor the test rows (the files changed since the first read)", ErrData, r)
			}
		}
		countReference(m.Reference, &train.Schema, cols, src)
		return bins.Add(cols, src)
	}
	second, err := flowdata.Read(cfg.Data, ropt)
	if err != nil {
		return nil, err
	}
	if second.Rows != train.Rows || bins.Rows() != nTrain || ei != len(te) {
		return nil, fmt.Errorf("%w: the second read gave %d rows, the first %d (the files changed between the reads)", ErrData, second.Rows, train.Rows)
	}
	gd.Bins = bins
	if cfg.ReleaseData {
		train.Y = nil // trainY and testY hold the labels
	}
	return &prepared{train: train, m: m, gd: gd, testCols: testCols, testY: testY, nTest: nTest, nTrain: nTrain, start: start, sampled: len(train.SampleRows) < train.Rows,
		reread: te != nil, te: int32s(te), schema: &train.Schema}, nil
}

// seq is 0..n-1.
func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// countReference adds rows src of cols to the reference histograms, the
// features split over GOMAXPROCS goroutines (each histogram is one
// goroutine's).
func countReference(ref []model.Histogram, schema *model.Schema, cols [][]float32, src []int32) {
	workers := min(runtime.GOMAXPROCS(0), len(cols))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := w; j < len(cols); j += workers {
				h, c := &ref[j], cols[j]
				cat := schema.Features[j].Kind == model.Categorical
				for _, i := range src {
					if b := h.Bin(c[i], cat); b < 0 {
						h.Missing++
					} else {
						h.Counts[b]++
					}
				}
			}
		}()
	}
	wg.Wait()
}

// predictBatch is how many test rows predictReread classifies at a time
// (a variable for the tests).
var predictBatch = 32768

// predictReread classifies the test rows pr.te of the training files,
// reading them a third time a chunk at a time, so that their float32
// values never exist together; it keeps the values of the explainRows
// test rows TreeSHAP explains (evenly spaced, as explainTest picks them)
// and their predicted classes. The predictions are those of
// artifact.PredictColumns on the whole test matrix: each row's answer
// depends on that row only.
func predictReread(ctx context.Context, cfg Config, pr *prepared, m *model.Model, explainRows int) (*artifact.Predictions, [][]float32, []int32, error) {
	n, k, nf := len(pr.te), len(m.Classes), len(m.Schema.Features)
	out := &artifact.Predictions{Class: make([]int32, n), Probs: make([]float64, n*k), Score: make([]float64, n), Verdict: make([]model.Verdict, n)}
	explain := evenly(n, explainRows)
	explainCols := make([][]float32, nf)
	for j := range explainCols {
		explainCols[j] = make([]float32, 0, len(explain))
	}
	explainPred := make([]int32, 0, len(explain))
	native := artifact.NewNative(m)
	// Test rows are batched predictBatch at a time: a call per chunk of
	// the file (about 1 MiB, a few hundred test rows) allocated the
	// predictor's buffers per call, garbage that kept the collector busy.
	batch := make([][]float32, nf)
	for j := range batch {
		batch[j] = make([]float32, 0, predictBatch)
	}
	ei, xi, done := 0, 0, 0 // test rows seen, explained, predicted
	flush := func() error {
		m := ei - done
		if m == 0 {
			return nil
		}
		p, err := artifact.PredictColumns(ctx, native, batch, m)
		if err != nil {
			return err
		}
		copy(out.Class[done:], p.Class)
		copy(out.Probs[done*k:], p.Probs)
		copy(out.Score[done:], p.Score)
		copy(out.Verdict[done:], p.Verdict)
		for ; xi < len(explain) && explain[xi] < ei; xi++ {
			i := explain[xi] - done
			for j, c := range batch {
				explainCols[j] = append(explainCols[j], c[i])
			}
			explainPred = append(explainPred, p.Class[i])
		}
		for j := range batch {
			batch[j] = batch[j][:0]
		}
		done = ei
		return nil
	}
	ropt := cfg.Read
	ropt.Schema = pr.schema
	ropt.Features = nil
	ropt.Log = cfg.Log
	ropt.Chunks = func(first int, cols [][]float32) error {
		for i := range cols[0] {
			if ei < n && int(pr.te[ei]) == first+i {
				for j, c := range cols {
					batch[j] = append(batch[j], c[i])
				}
				ei++
				if ei-done == predictBatch {
					if err := flush(); err != nil {
						return err
					}
				}
			}
		}
		return nil
	}
	third, err := flowdata.Read(cfg.Data, ropt)
	if err != nil {
		return nil, nil, nil, err
	}
	if err := flush(); err != nil {
		return nil, nil, nil, err
	}
	if third.Rows != pr.train.Rows || ei != n {
		return nil, nil, nil, fmt.Errorf("%w: the third read gave %d rows (%d test rows), the first %d", ErrData, third.Rows, ei, pr.train.Rows)
	}
	return out, explainCols, explainPred, nil
}

// int32s is s as int32s (row numbers below 2^31).
func int32s(s []int) []int32 {
	out := make([]int32, len(s))
	for i, v := range s {
		out[i] = int32(v)
	}
	return out
}
