package functions

import (
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions/replyid"
)

var (
	// ErrFeedbackID: feedback that does not quote a reply id this
	// deployment issued for this model (forged, never issued, from another
	// model or key, or without an id where ids are required), or whose
	// predicted label is not the one the id names (422).
	ErrFeedbackID = errors.New("feedback for no prediction of this function")
	// ErrFeedbackExpired: a reply id older than the time to live (422).
	ErrFeedbackExpired = errors.New("feedback for an expired prediction")
	// ErrFeedbackDuplicate: a reply id whose feedback was counted already,
	// or given twice in one document (409).
	ErrFeedbackDuplicate = errors.New("feedback already counted")
	// ErrFeedbackFull: the server remembers its maximum of used reply ids
	// (503: retry after the oldest expire).
	ErrFeedbackFull = errors.New("too much feedback to remember")
)

// WithReplyKey sets the per-deployment key of reply ids (at least
// replyid.MinKeyBytes). Every replica of a deployment needs the same key
// to accept the ids of the others. Without one, New makes a random key
// and logs a warning: ids then die with the process.
func WithReplyKey(key []byte) Option {
	return func(c *config) { c.replyKey = append([]byte(nil), key...) }
}

// WithReplyTTL sets how long feedback for a prediction is accepted
// (default replyid.DefaultTTL). The used ids of one TTL are remembered.
func WithReplyTTL(d time.Duration) Option { return func(c *config) { c.replyTTL = d } }

// WithMaxUsedIDs bounds the used reply ids remembered (default
// replyid.DefaultMaxSeen, about 25 MB); beyond it, feedback is refused
// 503 until the oldest expire.
func WithMaxUsedIDs(n int) Option { return func(c *config) { c.maxSeen = n } }

// WithUnverifiedFeedback also counts feedback without a reply id
// ({"predicted", "truth"}): anyone who may post feedback can then move
// the metrics at will. For a closed lab, never a deployment.
func WithUnverifiedFeedback() Option { return func(c *config) { c.unverified = true } }

// newSigner makes the reply id signer and the memory of used ids.
func newSigner(cfg *config, modelSHA256 string) (*replyid.Signer, *replyid.Seen, error) {
	key := cfg.replyKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, nil, fmt.Errorf("functions: reply id key: %w", err)
		}
		if cfg.log != nil {
			cfg.log.Warn("no reply id key configured: using a random key; feedback ids die with this process and other replicas refuse them (set FLOWSENSE_REPLY_KEY_FILE or --reply-key-file)")
		}
	}
	sg, err := replyid.NewSigner(key, modelSHA256, cfg.replyTTL)
	if err != nil {
		return nil, nil, fmt.Errorf("functions: reply id key: %w", err)
	}
	if cfg.unverified && cfg.log != nil {
		cfg.log.Warn("feedback without a reply id is counted: whoever may post feedback can move the accuracy metrics")
	}
	return sg, replyid.NewSeen(sg.TTL(), cfg.maxSeen), nil
}

// ReplyID returns a new reply id for a prediction of class now (what
// ClassifyRows puts in each classification).
func (s *Server) ReplyID(class int) string {
	return s.signer.Issue(class, s.cfg.now())
}

// countFeedback checks the reply ids of feedback items, marks them used
// and counts the items into the metrics: all or nothing. Items without
// an id count only with WithUnverifiedFeedback.
func (s *Server) countFeedback(items []cloudevents.LabelPair) (right int, err error) {
	now := s.cfg.now()
	claims := make([]replyid.Claims, 0, len(items))
	at := make([]int, 0, len(items)) // item of each claim
	for i := range items {
		p := &items[i]
		if p.ID == "" {
			if !s.cfg.unverified {
				s.metrics.refuse("missing-id")
				return 0, itemError(ErrFeedbackID, i, len(items), "no id: quote the id of the classification the feedback is for")
			}
			continue
		}
		c, err := s.signer.Verify(p.ID, now)
		switch {
		case errors.Is(err, replyid.ErrExpired):
			s.metrics.refuse("expired")
			return 0, itemError(ErrFeedbackExpired, i, len(items), err.Error())
		case err != nil:
			s.metrics.refuse("forged")
			return 0, itemError(ErrFeedbackID, i, len(items), err.Error())
		case c.Class >= len(s.meta.Classes):
			s.metrics.refuse("forged")
			return 0, itemError(ErrFeedbackID, i, len(items), "the id names no class of the model")
		case p.Predicted >= 0 && p.Predicted != c.Class:
			s.metrics.refuse("forged")
			return 0, itemError(ErrFeedbackID, i, len(items), fmt.Sprintf("predicted %q, but the function answered %q", s.meta.Classes[p.Predicted], s.meta.Classes[c.Class]))
		}
		p.Predicted = c.Class
		claims = append(claims, c)
		at = append(at, i)
	}
	if err := s.seen.Claim(claims, now); err != nil {
		var de *replyid.DuplicateError
		if errors.As(err, &de) {
			s.metrics.refuse("duplicate")
			detail := "this id's feedback was counted already"
			if de.Earlier >= 0 {
				detail = fmt.Sprintf("the same id as item %d", at[de.Earlier])
			}
			return 0, itemError(ErrFeedbackDuplicate, at[de.Index], len(items), detail)
		}
		s.metrics.refuse("full")
		return 0, fmt.Errorf("%w: %v", ErrFeedbackFull, err)
	}
	return s.metrics.observeFeedback(items), nil
}

// itemError names the item of a document of n items.
func itemError(err error, i, n int, detail string) error {
	if n > 1 {
		detail = fmt.Sprintf("item %d: %s", i, detail)
	}
	return &Error{Problem: withDetail(problemFor(err).Problem, detail), Err: fmt.Errorf("%w: %s", err, detail)}
}

// refusedReasons label flowsense_feedback_refused_total.
var refusedReasons = []string{"missing-id", "forged", "expired", "duplicate", "full"}

func newRefused(reg *prometheus.Registry) *prometheus.CounterVec {
	v := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "flowsense_feedback_refused_total",
		Help: "Feedback documents refused for their reply ids, by reason (missing-id, forged, expired, duplicate, full); refused feedback moves no other series.",
	}, []string{"reason"})
	for _, r := range refusedReasons {
		v.WithLabelValues(r)
	}
	reg.MustRegister(v)
	return v
}

func (m *metrics) refuse(reason string) { m.refused.WithLabelValues(reason).Inc() }
