package artifact

import (
	"context"
	"runtime"
	"sync"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// Predictor is a loaded model behind either engine: *host.Module runs the
// compiled module under wazero, *Native the native predictor
// (model.Predictor). Both are safe for concurrent use.
type Predictor interface {
	// Metadata describes the model as a module's custom section does:
	// schema, classes, benign classes, detector, reference histograms.
	Metadata() *abi.Metadata
	// Classify predicts len(out) rows given row-major in rows (schema
	// order, categorical values as codes, NaN for missing).
	Classify(ctx context.Context, rows []float32, out []model.Result) error
	// Close releases what the predictor holds.
	Close(ctx context.Context) error
}

// Native is the native predictor as a Predictor: the model compiled
// (model.Predictor, the reference's answers bit for bit), batched.
type Native struct {
	m  *model.Model
	p  *model.Predictor // nil when the model does not compile: the reference runs
	md *abi.Metadata
}

var _ Predictor = (*Native)(nil)

// NewNative wraps a valid model (as model.Decode returns it). It does not
// follow later edits of m.
func NewNative(m *model.Model) *Native {
	p, _ := model.NewPredictor(m) // only a schema beyond 2^28 features fails
	return &Native{m: m, p: p, md: abi.MetadataOf(m, "")}
}

// Model is the wrapped model.
func (n *Native) Model() *model.Model { return n.m }

// Metadata describes the model (its ModelSHA256 is empty: a model in
// memory has no file).
func (n *Native) Metadata() *abi.Metadata { return n.md }

// Classify predicts the rows with (*model.Predictor).PredictBatch.
func (n *Native) Classify(ctx context.Context, rows []float32, out []model.Result) error {
	nf := len(n.m.Schema.Features)
	if len(rows) != len(out)*nf {
		return &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrRowWidth}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if n.p != nil {
		return n.p.PredictBatch(rows, out)
	}
	for i := range out {
		if err := n.m.Predict(rows[i*nf:(i+1)*nf], &out[i]); err != nil {
			return err
		}
	}
	return nil
}

// Close does nothing: a model in memory holds nothing to release.
func (n *Native) Close(context.Context) error { return nil }

// Predictions are a predictor's answers for a table.
type Predictions struct {
	Class   []int32
	Probs   []float64 // row-major n x classes
	Score   []float64 // outlier scores (0 without a detector)
	Verdict []model.Verdict
}

// chunkRows is how many rows a worker classifies per call.
const chunkRows = 4096

// PredictColumns classifies every row of cols (feature-major, schema
// order, n rows) with p, on GOMAXPROCS workers. The answers do not depend
// on the number of workers.
func PredictColumns(ctx context.Context, p Predictor, cols [][]float32, n int) (*Predictions, error) {
	k := len(p.Metadata().Classes)
	out := &Predictions{
		Class:   make([]int32, n),
		Probs:   make([]float64, n*k),
		Score:   make([]float64, n),
		Verdict: make([]model.Verdict, n),
	}
	workers := min(runtime.GOMAXPROCS(0), (n+chunkRows-1)/chunkRows)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	var mu sync.Mutex
	next := 0
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f := len(cols)
			rows := make([]float32, chunkRows*f)
			res := make([]model.Result, chunkRows)
			for {
				mu.Lock()
				lo := next
				next += chunkRows
				mu.Unlock()
				if lo >= n {
					return
				}
				hi := min(n, lo+chunkRows)
				for i := lo; i < hi; i++ {
					r := rows[(i-lo)*f : (i-lo+1)*f]
					for j, c := range cols {
						r[j] = c[i]
					}
				}
				if err := p.Classify(ctx, rows[:(hi-lo)*f], res[:hi-lo]); err != nil {
					errs[w] = err
					mu.Lock()
					next = n // the other workers stop at their next chunk
					mu.Unlock()
					return
				}
				for i := lo; i < hi; i++ {
					r := &res[i-lo]
					out.Class[i] = int32(r.Class)
					copy(out.Probs[i*k:], r.Probabilities)
					out.Score[i] = r.OutlierScore
					out.Verdict[i] = r.Verdict
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
