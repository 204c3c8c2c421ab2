package simulate

import (
	"fmt"
	"sync"
	"time"
)

// Summary is the outcome of a run; every count is of flows unless it says
// requests.
type Summary struct {
	Target string `json:"target"`
	Mode   Mode   `json:"mode"`
	// Seconds is the wall time from the first send to the last answer.
	Seconds float64 `json:"seconds"`
	// Interrupted is true when the run was stopped early (Ctrl-C).
	Interrupted bool `json:"interrupted"`
	Sent        int  `json:"sent"`
	Requests    int  `json:"requests"`
	OK          int  `json:"ok"`
	// Errors counts the flows of failed requests by kind: "http NNN",
	// "reply", "timeout", "connect", "transport"; "interrupted" counts
	// requests cut short by the stop.
	Errors map[string]int `json:"errors"`
	// RateTarget is the rate asked for; Rate is Sent / Seconds.
	RateTarget float64        `json:"rate_target"`
	Rate       float64        `json:"rate"`
	Latency    LatencySummary `json:"latency_ms"`
	// Scored counts the answered flows that are not outliers and have a
	// label; Correct those whose returned label is the file's label.
	Scored  int `json:"scored"`
	Correct int `json:"correct"`
	// Accuracy is Correct / Scored (null when nothing was scored).
	Accuracy *float64 `json:"accuracy"`
	// Classes counts, per label, the scored flows with that true label,
	// those answered with it, and those both.
	Classes map[string]ClassCounts `json:"classes"`
	// Confusion[truth][returned] counts scored flows.
	Confusion map[string]map[string]int `json:"confusion"`
	// Verdicts counts the verdicts of the scored flows.
	Verdicts map[string]int   `json:"verdicts"`
	Outliers *OutlierSummary  `json:"outliers,omitempty"`
	Feedback *FeedbackSummary `json:"feedback,omitempty"`
}

// LatencySummary is per request, in milliseconds.
type LatencySummary struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// ClassCounts are the counts of one label.
type ClassCounts struct {
	Truth     int `json:"truth"`
	Predicted int `json:"predicted"`
	Correct   int `json:"correct"`
}

// OutlierSummary counts the outliers mixed in: sent, answered, and
// answered with a verdict other than benign (Flagged).
type OutlierSummary struct {
	Sent     int            `json:"sent"`
	Answered int            `json:"answered"`
	Flagged  int            `json:"flagged"`
	Verdicts map[string]int `json:"verdicts"`
}

// FeedbackSummary counts the feedback items posted and their fate.
// Disabled says why feedback stopped (the target has no /feedback).
type FeedbackSummary struct {
	Sent     int            `json:"sent"`
	OK       int            `json:"ok"`
	Errors   map[string]int `json:"errors"`
	Disabled string         `json:"disabled,omitempty"`
}

// stats are the running counts, shared by the workers.
type stats struct {
	mu       sync.Mutex
	hist     histogram
	s        Summary
	outliers OutlierSummary
	feedback FeedbackSummary
}

func newStats() *stats {
	st := &stats{}
	st.s.Errors = map[string]int{}
	st.s.Classes = map[string]ClassCounts{}
	st.s.Confusion = map[string]map[string]int{}
	st.s.Verdicts = map[string]int{}
	st.outliers.Verdicts = map[string]int{}
	st.feedback.Errors = map[string]int{}
	return st
}

func (st *stats) dispatched(d []draw) {
	st.mu.Lock()
	st.s.Sent += len(d)
	st.s.Requests++
	for _, x := range d {
		if x.outlier {
			st.outliers.Sent++
		}
	}
	st.mu.Unlock()
}

// answered records a request's outcome.
func (st *stats) answered(r *rows, d []draw, ans []answer, lat time.Duration, err error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if err != nil {
		st.s.Errors[kindOf(err)] += len(d)
		return
	}
	st.hist.record(lat)
	st.s.OK += len(d)
	for i, x := range d {
		a := ans[i]
		if x.outlier {
			st.outliers.Answered++
			st.outliers.Verdicts[a.Verdict]++
			if a.Verdict != "benign" {
				st.outliers.Flagged++
			}
			continue
		}
		truth := r.truth[x.row]
		if truth == "" {
			continue
		}
		st.s.Scored++
		st.s.Verdicts[a.Verdict]++
		c := st.s.Classes[truth]
		c.Truth++
		if a.Label == truth {
			c.Correct++
			st.s.Correct++
		}
		st.s.Classes[truth] = c
		p := st.s.Classes[a.Label]
		p.Predicted++
		st.s.Classes[a.Label] = p
		row := st.s.Confusion[truth]
		if row == nil {
			row = map[string]int{}
			st.s.Confusion[truth] = row
		}
		row[a.Label]++
	}
}

func (st *stats) feedbackDone(n int, err error) {
	st.mu.Lock()
	st.feedback.Sent += n
	if err != nil {
		st.feedback.Errors[kindOf(err)] += n
	} else {
		st.feedback.OK += n
	}
	st.mu.Unlock()
}

func (st *stats) disableFeedback(why string) {
	st.mu.Lock()
	st.feedback.Disabled = why
	st.mu.Unlock()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// live is the progress line.
func (st *stats) live(elapsed time.Duration) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	errs := 0
	for _, n := range st.s.Errors {
		errs += n
	}
	acc := "-"
	if st.s.Scored > 0 {
		acc = fmt.Sprintf("%.4f of %d", float64(st.s.Correct)/float64(st.s.Scored), st.s.Scored)
	}
	rate := 0.0
	if elapsed > 0 {
		rate = float64(st.s.Sent) / elapsed.Seconds()
	}
	return fmt.Sprintf("simulate %.1fs: sent %d, errors %d, rate %.1f/s, p50 %.2fms, p99 %.2fms, accuracy %s",
		elapsed.Seconds(), st.s.Sent, errs, rate, ms(st.hist.quantile(0.5)), ms(st.hist.quantile(0.99)), acc)
}

// summary finishes the counts.
func (st *stats) summary(o *Options, elapsed time.Duration, interrupted bool) *Summary {
	st.mu.Lock()
	defer st.mu.Unlock()
	s := st.s
	s.Target, s.Mode, s.Interrupted = o.Target, o.Mode, interrupted
	s.Seconds = elapsed.Seconds()
	s.RateTarget = o.Rate
	if s.Seconds > 0 {
		s.Rate = float64(s.Sent) / s.Seconds
	}
	h := &st.hist
	s.Latency = LatencySummary{P50: ms(h.quantile(0.5)), P90: ms(h.quantile(0.9)), P99: ms(h.quantile(0.99)), Max: ms(h.max), Mean: ms(h.mean())}
	if s.Scored > 0 {
		a := float64(s.Correct) / float64(s.Scored)
		s.Accuracy = &a
	}
	if o.OutlierFraction > 0 {
		out := st.outliers
		s.Outliers = &out
	}
	if o.Feedback {
		fb := st.feedback
		s.Feedback = &fb
	}
	return &s
}
