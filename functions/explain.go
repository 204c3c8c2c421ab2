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

// contributor is a predictor with the explain export (*host.Module).
type contributor interface {
	CanExplain() bool
	Outputs() int
	Contributions(ctx context.Context, row []float32, phi, outlier []float64) error
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
func (s *Server) canExplain() (contributor, error) {
	c, ok := s.mod.(contributor)
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
	m := s.explainModel()
	phi := make([]float64, c.Outputs()*(s.nf+1))
	var shares []float64
	if m.Outlier != nil {
		shares = make([]float64, 3*len(m.Outlier.Features))
	}
	var e model.Explanation
	var r model.Result
	for i := 0; i < count; i++ {
		if i%abi.DefaultMaxBatch == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("%w: %v", ErrTimeout, err)
			}
		}
		row := rows[i*s.nf : (i+1)*s.nf]
		if err := c.Contributions(ctx, row, phi, shares); err != nil {
			return fmt.Errorf("%w: %w", ErrModel, err)
		}
		r.Class = class(i)
		if err := m.Summarise(&r, row, phi, shares, n, &e); err != nil {
			return fmt.Errorf("%w: %w", ErrModel, err)
		}
		fn(i, &e)
	}
	return nil
}

// explainModel is the part of the model Summarise reads, from the
// module's metadata: schema, objective, outputs and the detector's inputs.
func (s *Server) explainModel() *model.Model {
	s.xs.once.Do(func() {
		md := s.meta
		m := &model.Model{Schema: md.Schema, Classes: md.Classes}
		m.Ensemble.Objective = md.Objective
		m.Ensemble.Outputs = len(md.Classes)
		if md.Objective == model.Logistic {
			m.Ensemble.Outputs = 1
		}
		if md.Outlier != nil {
			m.Outlier = &model.Outlier{Features: md.Outlier.Features, Components: md.Outlier.Components, Threshold: md.Outlier.Threshold}
		}
		s.xs.m = m
	})
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
