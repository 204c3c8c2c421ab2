package functions

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
)

// FeedbackSummary is the answer to POST /feedback: how many items were
// counted and how many of them had been classified right.
type FeedbackSummary struct {
	Accepted int `json:"accepted"`
	Correct  int `json:"correct"`
}

// serveFeedback answers POST /feedback: one {"predicted", "truth"} object
// or an array of them, counted into the metrics and not kept.
func (s *Server) serveFeedback(w http.ResponseWriter, r *http.Request) error {
	if err := jsonBody(r.Header.Get("Content-Type")); err != nil {
		return err
	}
	body, err := s.readBody(w, r)
	if err != nil {
		return err
	}
	sum, err := s.Feedback(body)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, sum)
	return nil
}

// jsonBody checks that a content type is JSON (application/json,
// text/json or any +json type).
func jsonBody(ct string) error {
	if strings.TrimSpace(ct) == "" {
		return fmt.Errorf("%w: no Content-Type; send application/json", ErrContentType)
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("%w: %q", ErrContentType, ct)
	}
	if !cloudevents.IsJSON(mt) {
		return fmt.Errorf("%w: %q; send application/json", ErrContentType, mt)
	}
	return nil
}

// Feedback counts the feedback in body (the JSON of POST /feedback or of
// an io.flowsense.feedback.v1 event's data) into the metrics: the
// confusion counts and the rolling accuracy. Each item must quote the
// reply id of a prediction this server's key made for this model (the
// predicted label is the id's), and each id counts once: a document with
// a forged, expired or used id counts nothing. A bad document gives an
// *Error (StatusOf < 500, but 503 when the memory of used ids is full).
func (s *Server) Feedback(body []byte) (FeedbackSummary, error) {
	if int64(len(body)) > s.cfg.maxBody {
		return FeedbackSummary{}, problemFor(fmt.Errorf("%w: %d bytes, the limit is %d", ErrTooLarge, len(body), s.cfg.maxBody))
	}
	items, err := s.fdec.Decode(body, nil)
	if err != nil {
		return FeedbackSummary{}, problemFor(err)
	}
	right, err := s.countFeedback(items)
	if err != nil {
		return FeedbackSummary{}, problemFor(err)
	}
	return FeedbackSummary{Accepted: len(items), Correct: right}, nil
}

// decodeFeedbackEvent validates a feedback event and decodes its data,
// counting nothing yet.
func (s *Server) decodeFeedbackEvent(e *event.Event, dst []cloudevents.LabelPair) ([]cloudevents.LabelPair, error) {
	if err := cloudevents.ValidateFeedbackEvent(e); err != nil {
		return dst, err
	}
	return s.fdec.Decode(e.Data(), dst)
}

func isFeedback(e *event.Event) bool { return e.Type() == cloudevents.TypeFeedback }
