package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/binding"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/flowsense/flowsense/cloudevents"
)

// encoding is how a CloudEvents request came, and how it is answered.
type encoding int

const (
	encNone encoding = iota
	encBinary
	encStructured
	encBatch
)

// eventEncoding tells the encoding from the headers: the batch or
// structured media type, or a ce-specversion header (binary).
func eventEncoding(h http.Header) encoding {
	if ct := h.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil {
			switch {
			case mt == cloudevents.MediaTypeBatch:
				return encBatch
			case strings.HasPrefix(mt, "application/cloudevents"):
				return encStructured
			}
		}
	}
	if h.Get("Ce-Specversion") != "" {
		return encBinary
	}
	return encNone
}

// serveEvents answers POST /: CloudEvents in any encoding, or plain JSON
// and CSV as /predict does.
func (s *Server) serveEvents(w http.ResponseWriter, r *http.Request) error {
	enc := eventEncoding(r.Header)
	if enc == encNone {
		return s.servePredict(w, r)
	}
	explain, err := queryExplain(r.URL.Query())
	if err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	ctx, cancel := s.requestContext(r.Context())
	defer cancel()
	switch enc {
	case encBatch:
		return s.serveBatch(ctx, w, body, explain)
	default:
		e, err := readEvent(r.Header, body)
		if err != nil {
			return err
		}
		if isFeedback(e) {
			if err := s.allowEvent(ctx, RouteFeedback); err != nil {
				return err
			}
			items, err := s.decodeFeedbackEvent(e, nil)
			if err != nil {
				return err
			}
			if _, err := s.countFeedback(items); err != nil {
				return err
			}
			w.WriteHeader(http.StatusAccepted) // no reply event
			return nil
		}
		if err := s.allowEvent(ctx, RouteClassify); err != nil {
			return err
		}
		out, _, err := s.reply(ctx, e, s.cfg.maxFlows, explain)
		if err != nil {
			return err
		}
		wctx := ctx
		if enc == encStructured {
			wctx = binding.WithPreferredEventEncoding(ctx, binding.EncodingStructured)
		}
		if err := cehttp.WriteResponseWriter(wctx, binding.ToMessage(&out), http.StatusOK, w); err != nil {
			return fmt.Errorf("%w: writing the reply: %v", ErrModel, err)
		}
		return nil
	}
}

// readEvent decodes a binary or structured event with sdk-go.
func readEvent(h http.Header, body []byte) (*event.Event, error) {
	if eventEncoding(h) == encStructured {
		body = cloudevents.CompactStructured(body) // sdk-go's data_base64 bug (cloudevents/shim.go)
	}
	msg := cehttp.NewMessage(h, io.NopCloser(bytes.NewReader(body)))
	e, err := binding.ToEvent(context.Background(), msg)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", cloudevents.ErrEvent, oneLine(err.Error()))
	}
	return e, nil
}

// serveBatch answers a batch with a batch: one reply per flow event, in
// order; feedback events have none, and a batch of feedback only is
// answered 202 without a body. A bad event fails the whole batch: no reply
// is sent and no feedback is counted.
func (s *Server) serveBatch(ctx context.Context, w http.ResponseWriter, body []byte, explain int) error {
	events, err := decodeBatch(body)
	if err != nil {
		return err
	}
	if len(events) > s.cfg.maxFlows {
		return fmt.Errorf("%w: %d events, at most %d in one request", cloudevents.ErrTooManyFlows, len(events), s.cfg.maxFlows)
	}
	replies := make([]event.Event, 0, len(events))
	var feedback []cloudevents.LabelPair
	budget := s.cfg.maxFlows
	for i := range events {
		route := RouteClassify
		if isFeedback(&events[i]) {
			route = RouteFeedback
		}
		if err := s.allowEvent(ctx, route); err != nil {
			return atEvent(err, i)
		}
		if isFeedback(&events[i]) {
			if feedback, err = s.decodeFeedbackEvent(&events[i], feedback); err != nil {
				return atEvent(err, i)
			}
			if len(feedback) > s.cfg.maxFlows {
				return atEvent(fmt.Errorf("%w: more than %d feedback items in one request", cloudevents.ErrTooManyFlows, s.cfg.maxFlows), i)
			}
			continue
		}
		out, n, err := s.reply(ctx, &events[i], budget, explain)
		if err != nil {
			return atEvent(err, i)
		}
		budget -= n
		replies = append(replies, out)
	}
	if len(feedback) > 0 {
		if _, err := s.countFeedback(feedback); err != nil {
			return err
		}
	}
	if len(replies) == 0 {
		w.WriteHeader(http.StatusAccepted)
		return nil
	}
	b, err := json.Marshal(replies)
	if err != nil {
		return fmt.Errorf("%w: writing the batch: %v", ErrModel, err)
	}
	w.Header().Set("Content-Type", cloudevents.MediaTypeBatch)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}

// decodeBatch reads a batch: in one pass when it is well formed, else
// event by event, to name the first bad one.
func decodeBatch(body []byte) ([]event.Event, error) {
	body = cloudevents.CompactStructured(body) // sdk-go's data_base64 bug (cloudevents/shim.go)
	var events []event.Event
	if err := json.Unmarshal(body, &events); err == nil {
		if len(events) == 0 {
			return nil, fmt.Errorf("%w: empty batch", cloudevents.ErrEvent)
		}
		return events, nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("%w: a batch must be a JSON array of events: %s", cloudevents.ErrMalformed, oneLine(err.Error()))
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("%w: empty batch", cloudevents.ErrEvent)
	}
	events = make([]event.Event, len(raw))
	for i, b := range raw {
		if err := json.Unmarshal(b, &events[i]); err != nil {
			return nil, atEvent(fmt.Errorf("%w: %s", cloudevents.ErrEvent, oneLine(err.Error())), i)
		}
	}
	return events, nil // cannot happen: the one pass failed on some event
}

// atEvent marks a problem with the index of the event in a batch.
func atEvent(err error, i int) error {
	fe := problemFor(err)
	p := fe.Problem
	p.Event = ptr(i)
	p.Detail = fmt.Sprintf("event %d: %s", i, p.Detail)
	return &Error{Problem: p, Err: fe.Err}
}

// reply validates an event, classifies its flows (at most maxFlows) and
// builds the reply; n is the number of flows. explain is the request's
// ?explain, which the event's explain extension attribute overrides.
func (s *Server) reply(ctx context.Context, e *event.Event, maxFlows, explain int) (out event.Event, n int, err error) {
	if err := cloudevents.ValidateFlowEvent(e); err != nil {
		return event.Event{}, 0, err
	}
	if explain, err = eventExplain(e, explain); err != nil {
		return event.Event{}, 0, err
	}
	flows, err := s.dec.Decode(e.Data(), nil)
	if err != nil {
		return event.Event{}, 0, err
	}
	if flows.N > maxFlows {
		return event.Event{}, 0, fmt.Errorf("%w: %d flows, at most %d in one request", cloudevents.ErrTooManyFlows, flows.N, s.cfg.maxFlows)
	}
	results, err := s.ClassifyRows(ctx, flows.Rows, flows.N)
	if err != nil {
		return event.Event{}, 0, err
	}
	if explain > 0 {
		if err := s.explainRows(ctx, flows.Rows, results, explain); err != nil {
			return event.Event{}, 0, err
		}
	}
	data, err := s.enc.Marshal(results, flows.Single)
	if err != nil {
		return event.Event{}, 0, fmt.Errorf("%w: encoding the reply: %v", ErrModel, err)
	}
	out, err = cloudevents.ReplyData(e, s.cfg.source, results, data, s.cfg.now().UTC())
	return out, flows.N, err
}

// Handle classifies one CloudEvent and returns the reply: the Knative
// instanced function's entry point. A feedback event
// (io.flowsense.feedback.v1) is counted and has no reply (nil, nil). A bad
// event gives an *Error (StatusOf < 500) and no reply.
func (s *Server) Handle(ctx context.Context, e event.Event) (*event.Event, error) {
	if isFeedback(&e) {
		items, err := s.decodeFeedbackEvent(&e, nil)
		if err != nil {
			return nil, problemFor(err)
		}
		if _, err := s.countFeedback(items); err != nil {
			return nil, problemFor(err)
		}
		return nil, nil
	}
	ctx, cancel := s.requestContext(ctx)
	defer cancel()
	out, _, err := s.reply(ctx, &e, s.cfg.maxFlows, 0)
	if err != nil {
		return nil, problemFor(err)
	}
	return &out, nil
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
