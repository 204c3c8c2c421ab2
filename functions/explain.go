package functions

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"sync"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// Explanations (issue 15): POST /predict?explain=N (and POST / with it, or
// a CloudEvent with the extension attribute explain=N) adds to each
// classification the top N features of the predicted class (TreeSHAP)
// and of the outlier score, computed by the module's explain export. Off
// by default: the cost is measured in bench_test.go (BenchmarkExplain).
var (
	// ErrExplain: the explain parameter is not a whole number in
	// [0, MaxExplain] (400).
	ErrExplain = errors.New("bad explain parameter")
	// ErrCannotExplain: the model cannot explain (its module has no
	// explain export: a model without node covers), 422.
	ErrCannotExplain = errors.New("the model cannot explain its predictions")
)

// MaxExplain is the largest N ?explain=N takes; any N at least the number
// of features gives them all.
const MaxExplain = 1 << 16

// explainExtension is the CloudEvents extension attribute that asks for
// explanations.
const explainExtension = "explain"

// ParseExplain reads an explain value as the wire bindings receive it
// (a query value, a CloudEvents attribute, an Open Inference Protocol
// parameter in text): a whole number from 0 (off) to MaxExplain; "" is
// 0. Errors wrap ErrExplain.
func ParseExplain(s string) (int, error) { return parseExplain(s) }

// parseExplain reads an explain value: "" is 0 (off).
func parseExplain(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxExplain {
		return 0, fmt.Errorf("%w: explain=%q, want a whole number of features from 0 (off) to %d", ErrExplain, s, MaxExplain)
	}
	return n, nil
}

// queryExplain reads ?explain=N.
func queryExplain(q url.Values) (int, error) {
	if vs, ok := q["explain"]; ok {
		if len(vs) != 1 {
			return 0, fmt.Errorf("%w: explain given %d times", ErrExplain, len(vs))
		}
		if vs[0] == "" {
			return 0, fmt.Errorf("%w: explain= without a number", ErrExplain)
		}
		return parseExplain(vs[0])
	}
	return 0, nil
}

// eventExplain reads the explain extension attribute of a flow event (a
// number or a string holding one); def is the request's ?explain.
func eventExplain(e *event.Event, def int) (int, error) {
	v, ok := e.Extensions()[explainExtension]
	if !ok {
		return def, nil
	}
	switch x := v.(type) {
	case int32:
		return parseExplain(strconv.Itoa(int(x)))
	case string:
		return parseExplain(x)
	}
	return parseExplain(fmt.Sprint(v))
}

// explainState is the model part explanations read, made once.
type explainState struct {
	once sync.Once
	m    *model.Model
}

// Contributor is a predictor with the explain export (*host.Module).
type Contributor interface {
	CanExplain() bool
	Outputs() int
	Contributions(ctx context.Context, row []float32, phi, outlier []float64) error
}

// ExplainModel is the part of a model model.Summarise reads, from a
// module's metadata and its number of outputs (Contributor.Outputs):
// schema, classes, objective, outputs and the detector's inputs.
func ExplainModel(md *abi.Metadata, outputs int) *model.Model {
	m := &model.Model{Schema: md.Schema, Classes: md.Classes}
	m.Ensemble.Objective = md.Objective
	m.Ensemble.Outputs = outputs
	if md.Outlier != nil {
		m.Outlier = &model.Outlier{Features: md.Outlier.Features, Components: md.Outlier.Components, Threshold: md.Outlier.Threshold}
	}
	return m
}

// RowExplainer explains rows one at a time with a module's explain
// export: its contributions summarised by model.Summarise. The server's
// explanations and flowsense predict --explain use it. Not safe for
// concurrent use (it holds the buffers).
type RowExplainer struct {
	c           Contributor
	m           *model.Model
	phi, shares []float64
}

// NewRowExplainer explains with c's explain export (CanExplain must hold)
// and m, the model part from ExplainModel.
func NewRowExplainer(c Contributor, m *model.Model) *RowExplainer {
	x := &RowExplainer{c: c, m: m, phi: make([]float64, c.Outputs()*(len(m.Schema.Features)+1))}
	if m.Outlier != nil {
		x.shares = make([]float64, 3*len(m.Outlier.Features))
	}
	return x
}

// Explain fills e with the top explanation of row (all features for top
// <= 0) as predicted r (r.Class the class explained).
func (x *RowExplainer) Explain(ctx context.Context, row []float32, r *model.Result, top int, e *model.Explanation) error {
	if err := x.c.Contributions(ctx, row, x.phi, x.shares); err != nil {
		return err
	}
	return x.m.Summarise(r, row, x.phi, x.shares, top, e)
}

// explainRows adds the top n explanation to each of results (rows
// row-major, as classified).
func (s *Server) explainRows(ctx context.Context, rows []float32, results []cloudevents.Classification, n int) error {
	return s.explainEach(ctx, rows, len(results), func(i int) int { return s.classIndex(results[i].Label) }, n,
		func(i int, e *model.Explanation) {
			results[i].Explanation = cloudevents.Explain(&s.meta.Schema, s.meta.Classes, e)
		})
}

// canExplain returns the module's explain export, or ErrCannotExplain.
func (s *Server) canExplain() (Contributor, error) {
	c, ok := s.mod.(Contributor)
	if !ok || !c.CanExplain() {
		return nil, fmt.Errorf("%w: its module has no explain export (compile it with flowsense compile --explain; a model trained before node covers were recorded must be retrained)", ErrCannotExplain)
	}
	return c, nil
}

// explainEach explains each of the n flows of rows (row-major) as
// predicted class class(i), keeping the top n features (all for n <= 0),
// and hands the explanation to fn (which must not keep it).
func (s *Server) explainEach(ctx context.Context, rows []float32, count int, class func(int) int, n int, fn func(int, *model.Explanation)) error {
	c, err := s.canExplain()
	if err != nil {
		return err
	}
	x := NewRowExplainer(c, s.explainModel(c))
	var e model.Explanation
	var r model.Result
	for i := 0; i < count; i++ {
		if i%abi.DefaultMaxBatch == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%w: %v", ErrTimeout, err)
			}
		}
		r.Class = class(i)
		if err := x.Explain(ctx, rows[i*s.nf:(i+1)*s.nf], &r, n, &e); err != nil {
			return fmt.Errorf("%w: %w", ErrModel, err)
		}
		fn(i, &e)
	}
	return nil
}

// explainModel is ExplainModel of the module's metadata, made once.
func (s *Server) explainModel(c Contributor) *model.Model {
	s.xs.once.Do(func() { s.xs.m = ExplainModel(s.meta, c.Outputs()) })
	return s.xs.m
}

func (s *Server) classIndex(label string) int {
	for i, c := range s.meta.Classes {
		if c == label {
			return i
		}
	}
	return 0
}
