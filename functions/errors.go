package functions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/functions/web"
)

var (
	// ErrContentType: the request's content type is not one this endpoint
	// reads (415).
	ErrContentType = errors.New("unsupported content type")
	// ErrTooLarge: the body is over the byte limit (413).
	ErrTooLarge = errors.New("request body too large")
	// ErrTimeout: the request ran out of time (503).
	ErrTimeout = errors.New("request timed out")
	// ErrNotFound and ErrMethod: no such endpoint (404), or not with this
	// method (405).
	ErrNotFound = errors.New("no such endpoint")
	ErrMethod   = errors.New("method not allowed")
	// ErrCSV: a CSV upload that cannot be read (400).
	ErrCSV = errors.New("bad CSV upload")
	// ErrMissingColumns: a CSV upload without some of the model's
	// features (422).
	ErrMissingColumns = errors.New("missing feature columns")
	// ErrClosed: the server is closed (503).
	ErrClosed = errors.New("server closed")
	// ErrModel: the model module failed (500): the server's fault, never
	// the client's.
	ErrModel = errors.New("model failed")
)

// Problem is an RFC 9457 problem document, the body of every error answer.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Fields names the offending fields (unknown field names, missing CSV
	// columns), when the error is about fields.
	Fields []string `json:"fields,omitempty"`
	// Flow is the index of the offending flow in a list (0 for a single
	// flow), when the error is about one flow.
	Flow *int `json:"flow,omitempty"`
	// Event is the index of the offending event in a batch.
	Event *int `json:"event,omitempty"`
}

// MediaTypeProblem is the content type of error answers.
const MediaTypeProblem = "application/problem+json"

// Error is what Handle and ClassifyJSON return: the problem the HTTP
// handler would answer, around the cause.
type Error struct {
	Problem Problem
	Err     error
}

func (e *Error) Error() string {
	if e.Problem.Detail == "" {
		return "functions: " + e.Problem.Title
	}
	return "functions: " + e.Problem.Title + ": " + e.Problem.Detail
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// StatusOf is the HTTP status for err: the status of its Problem, 500 for
// an error that is not an *Error, 200 for nil.
func StatusOf(err error) int {
	if err == nil {
		return http.StatusOK
	}
	return ProblemOf(err).Status
}

// ProblemOf returns the problem document for err.
func ProblemOf(err error) Problem {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Problem
	}
	return problemFor(err).Problem
}

// problemFor classifies an error into a problem.
func problemFor(err error) *Error {
	var fe *Error
	if errors.As(err, &fe) {
		return fe
	}
	p := Problem{Detail: err.Error()}
	var ce *cloudevents.Error
	if errors.As(err, &ce) {
		p.Detail = ce.Detail
		if ce.Detail == "" {
			p.Detail = ce.Err.Error()
		}
		p.Fields = ce.Fields
		if ce.Flow >= 0 {
			p.Flow = ptr(ce.Flow)
		}
	}
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe), errors.Is(err, ErrTooLarge):
		p.Status, p.Title, p.Type = http.StatusRequestEntityTooLarge, "request body too large", "too-large"
		if mbe != nil {
			p.Detail = fmt.Sprintf("the body is over the limit of %d bytes", mbe.Limit)
		}
	case errors.Is(err, cloudevents.ErrTooManyFlows):
		p.Status, p.Title, p.Type = http.StatusRequestEntityTooLarge, "too many flows", "too-many-flows"
	case errors.Is(err, cloudevents.ErrMalformed):
		p.Status, p.Title, p.Type = http.StatusBadRequest, "malformed JSON", "malformed"
	case errors.Is(err, cloudevents.ErrFieldValue):
		p.Status, p.Title, p.Type = http.StatusBadRequest, "bad field value", "field-value"
	case errors.Is(err, cloudevents.ErrUnknownField):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "unknown fields", "unknown-field"
	case errors.Is(err, cloudevents.ErrNotFlow):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "not a flow", "not-a-flow"
	case errors.Is(err, cloudevents.ErrNotFeedback):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "not feedback", "not-feedback"
	case errors.Is(err, cloudevents.ErrUnknownLabel):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "unknown label", "unknown-label"
	case errors.Is(err, cloudevents.ErrContentType), errors.Is(err, ErrContentType):
		p.Status, p.Title, p.Type = http.StatusUnsupportedMediaType, "unsupported content type", "content-type"
	case errors.Is(err, cloudevents.ErrEvent):
		p.Status, p.Title, p.Type = http.StatusBadRequest, "invalid CloudEvent", "event"
	case errors.Is(err, ErrMissingColumns), errors.Is(err, flowdata.ErrMissingFeature):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "missing feature columns", "missing-columns"
	case errors.Is(err, ErrFeedbackID):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "feedback for no prediction of this function", "feedback-id"
	case errors.Is(err, ErrFeedbackExpired):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "feedback for an expired prediction", "feedback-expired"
	case errors.Is(err, ErrFeedbackDuplicate):
		p.Status, p.Title, p.Type = http.StatusConflict, "feedback already counted", "feedback-duplicate"
	case errors.Is(err, ErrFeedbackFull):
		p.Status, p.Title, p.Type = http.StatusServiceUnavailable, "too much feedback to remember", "feedback-full"
	case errors.Is(err, ErrUnauthorized):
		p.Status, p.Title, p.Type = http.StatusUnauthorized, "unauthorized", "unauthorized"
	case errors.Is(err, ErrForbidden):
		p.Status, p.Title, p.Type = http.StatusForbidden, "forbidden", "forbidden"
	case errors.Is(err, ErrAuthUnavailable):
		p.Status, p.Title, p.Type = http.StatusServiceUnavailable, "token verification unavailable", "auth-unavailable"
	case errors.Is(err, ErrExplain):
		p.Status, p.Title, p.Type = http.StatusBadRequest, "bad explain parameter", "explain"
	case errors.Is(err, ErrCannotExplain):
		p.Status, p.Title, p.Type = http.StatusUnprocessableEntity, "the model cannot explain", "cannot-explain"
	case errors.Is(err, ErrCSV):
		p.Status, p.Title, p.Type = http.StatusBadRequest, "bad CSV upload", "csv"
	case errors.Is(err, ErrNotFound), errors.Is(err, web.ErrNotFound):
		p.Status, p.Title, p.Type = http.StatusNotFound, "not found", "not-found"
	case errors.Is(err, web.ErrNotAcceptable):
		p.Status, p.Title, p.Type = http.StatusNotAcceptable, "not acceptable", "not-acceptable"
	case errors.Is(err, ErrMethod):
		p.Status, p.Title, p.Type = http.StatusMethodNotAllowed, "method not allowed", "method"
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		p.Status, p.Title, p.Type = http.StatusServiceUnavailable, "request timed out", "timeout"
	case errors.Is(err, ErrBusy):
		p.Status, p.Title, p.Type = http.StatusServiceUnavailable, "busy", "busy"
	case errors.Is(err, ErrClosed), errors.Is(err, context.Canceled):
		p.Status, p.Title, p.Type = http.StatusServiceUnavailable, "unavailable", "unavailable"
	default:
		p.Status, p.Title, p.Type = http.StatusInternalServerError, "internal error", "internal"
		p.Detail = "" // not the client's business
	}
	p.Type = "urn:flowsense:problem:" + p.Type
	return &Error{Problem: p, Err: err}
}

func ptr(i int) *int { return &i }

// writeProblem answers with err's problem document.
func writeProblem(w http.ResponseWriter, err error) {
	p := ProblemOf(err)
	b, merr := json.Marshal(p)
	if merr != nil { // cannot happen: plain fields
		b = []byte(`{"type":"urn:flowsense:problem:internal","title":"internal error","status":500}`)
		p.Status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", MediaTypeProblem)
	h.Set("Cache-Control", "no-store")
	if p.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	w.WriteHeader(p.Status)
	_, _ = w.Write(append(b, '\n'))
}
