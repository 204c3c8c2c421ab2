package functions

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions/replyid"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// ClassifyRows classifies n rows given row-major in schema order (the
// module's Features() values each, categorical values as codes, NaN for
// missing). It checks ctx between module calls, and the sandbox stops a
// module call when ctx ends, so a request out of time stops at once.
func (s *Server) ClassifyRows(ctx context.Context, rows []float32, n int) ([]cloudevents.Classification, error) {
	if n <= 0 {
		return nil, s.classifyEach(ctx, rows, n, nil, nil, nil) // its error
	}
	res := make([]model.Result, min(n, abi.DefaultMaxBatch))
	out := make([]cloudevents.Classification, 0, n)
	ids := make([]byte, 0, (n+1)*replyid.Len) // one allocation for every id, and the scratch of each
	err := s.classifyEach(ctx, rows, n, res, ids[n*replyid.Len:n*replyid.Len:(n+1)*replyid.Len], func(_ int, r *model.Result, id []byte) {
		c := cloudevents.Classify(s.meta.Classes, r.Class, r.Probabilities, r.OutlierScore, r.Verdict, s.ref)
		out = append(out, c)
		ids = append(ids, id...)
	})
	if err != nil {
		return nil, err
	}
	all := string(ids) // every id is replyid.Len characters
	for i := range out {
		out[i].ID = all[i*replyid.Len : (i+1)*replyid.Len]
	}
	return out, nil
}

// classifyEach classifies n rows as ClassifyRows does, len(res) at a time
// (res is scratch, at most abi.DefaultMaxBatch long; its Probabilities are
// reused), counts them in the metrics, and calls each with every flow's
// index, result and reply id in order. The result and the id (written in
// idBuf's storage, which needs room for replyid.Len bytes) are valid during
// the call only. Nothing is allocated when res's Probabilities and idBuf
// have room.
func (s *Server) classifyEach(ctx context.Context, rows []float32, n int, res []model.Result, idBuf []byte, each func(i int, r *model.Result, id []byte)) error {
	if s.closed.Load() {
		return ErrClosed
	}
	if n <= 0 || len(rows) != n*s.nf {
		return fmt.Errorf("%w: %d values for %d rows of %d features", ErrModel, len(rows), n, s.nf)
	}
	res = res[:min(len(res), abi.DefaultMaxBatch)]
	now := s.cfg.now()
	nonce := s.signer.Reserve(n)
	id := idBuf[:0]
	for start := 0; start < n; start += len(res) {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("%w: %v", ErrTimeout, err)
		}
		k := min(len(res), n-start)
		if err := s.mod.Classify(ctx, rows[start*s.nf:(start+k)*s.nf], res[:k]); err != nil {
			if s.closed.Load() {
				return ErrClosed
			}
			return s.moduleError(ctx, err)
		}
		s.metrics.observeFlows(rows[start*s.nf:(start+k)*s.nf], s.nf, res[:k])
		for i := range res[:k] {
			id = s.signer.Append(id[:0], nonce+uint64(start+i), res[i].Class, now)
			each(start+i, &res[i], id)
		}
	}
	s.metrics.batch.Observe(float64(n))
	return nil
}

// ClassifyJSON classifies the JSON of one message in any shape /predict
// takes (a flow object, an array of values, an array of flows, or
// {"features": [...]}): the per-message entry point of queue hosts (an SQS
// record's body). single says the message was one flow. Errors are *Error;
// StatusOf(err) < 500 means the message is bad, not the server.
func (s *Server) ClassifyJSON(ctx context.Context, body []byte) (results []cloudevents.Classification, single bool, err error) {
	if int64(len(body)) > s.cfg.maxBody {
		return nil, false, problemFor(fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(body), s.cfg.maxBody))
	}
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	flows, err := s.dec.Decode(body, nil)
	if err != nil {
		return nil, false, problemFor(err)
	}
	results, err = s.ClassifyRows(ctx, flows.Rows, flows.N)
	if err != nil {
		return nil, false, problemFor(err)
	}
	return results, flows.Single, nil
}

// HandleMessage classifies one queue message that is either a structured
// CloudEvent (a JSON object with a "specversion" member; answered with a
// reply event, as Handle does; a feedback event is counted and has neither
// reply nor results) or a flow document (answered with classifications, as
// ClassifyJSON does): the per-record entry point of an
// SQS host, whose messages may be either. Errors are *Error; StatusOf(err)
// < 500 means the message is bad (report it as a batch item failure), not
// the server.
func (s *Server) HandleMessage(ctx context.Context, body []byte) (reply *event.Event, results []cloudevents.Classification, err error) {
	if int64(len(body)) > s.cfg.maxBody {
		return nil, nil, problemFor(fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(body), s.cfg.maxBody))
	}
	if isStructuredEvent(body) {
		var e event.Event
		if err := json.Unmarshal(cloudevents.CompactStructured(body), &e); err != nil {
			return nil, nil, problemFor(fmt.Errorf("%w: %s", cloudevents.ErrEvent, oneLine(err.Error())))
		}
		reply, err := s.Handle(ctx, e)
		return reply, nil, err
	}
	results, _, err = s.ClassifyJSON(ctx, body)
	return nil, results, err
}

// isStructuredEvent reports whether body is a JSON object with a
// top-level "specversion" member.
func isStructuredEvent(body []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(body, &probe) != nil {
		return false
	}
	_, ok := probe["specversion"]
	return ok
}
