package simulate

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Mode is how flows are sent.
type Mode string

// Modes.
const (
	// ModeJSON posts plain JSON to TARGET/predict.
	ModeJSON Mode = "json"
	// ModeCloudEvents sends binary-mode io.flowsense.flow.v1 events to
	// TARGET with sdk-go's client.
	ModeCloudEvents Mode = "cloudevents"
)

// Order is the order in which rows are drawn when no fraction of attacks
// is asked for.
type Order string

// Orders.
const (
	// OrderShuffle sends each pass over the file in a fresh seeded random
	// permutation.
	OrderShuffle Order = "shuffle"
	// OrderFile sends the rows in the file's order, wrapping around.
	OrderFile Order = "file"
)

// Defaults.
const (
	DefaultRate = 100
	// MinRate is the slowest rate: one flow in 1,000 s (the pacer's wait
	// stays far inside time.Duration).
	MinRate             = 0.001
	DefaultDuration     = 10 * time.Second
	DefaultConcurrency  = 8
	DefaultOutlierScale = 10
	DefaultTimeout      = 10 * time.Second
	// MaxBatch bounds Batch: the functions' default flow limit per request.
	MaxBatch = 10000
)

// Options configure a run. The zero value of every field but Target means
// its default.
type Options struct {
	// Target is the function's base URL (http or https). JSON goes to
	// Target/predict, events to Target itself, feedback to Target/feedback,
	// the model's metadata comes from Target/model.
	Target string
	// Mode is ModeJSON (default) or ModeCloudEvents.
	Mode Mode
	// Rate is the flows sent per second (default DefaultRate).
	Rate float64
	// Duration bounds the run's time. Zero means DefaultDuration when Count
	// is zero too, and no time bound when Count is set.
	Duration time.Duration
	// Count bounds the flows sent; zero means no bound.
	Count int
	// Concurrency bounds the requests in flight (default
	// DefaultConcurrency).
	Concurrency int
	// Batch is the flows per request (default 1): a JSON array, or one
	// event whose data is an array.
	Batch int
	// Order is OrderShuffle (default) or OrderFile.
	Order Order
	// AttackFraction, when set, draws each flow from the attack rows with
	// this probability and from the benign rows otherwise; nil follows
	// Order over all rows.
	AttackFraction *float64
	// OutlierFraction is the probability that a flow is an outlier (a
	// scaled benign row); zero means none.
	OutlierFraction float64
	// OutlierScale multiplies the numeric features of an outlier (default
	// DefaultOutlierScale).
	OutlierScale float64
	// Feedback posts the returned and true labels to Target/feedback.
	Feedback bool
	// Seed seeds the draws: the same seed sends the same flows in the same
	// order.
	Seed uint64
	// Timeout bounds one request (default DefaultTimeout).
	Timeout time.Duration
	// Client is the HTTP client (default: one with Concurrency idle
	// connections to the target).
	Client *http.Client
	// Live receives a progress line about once a second (nil: none) and
	// the one-time notice that the target has no /feedback.
	Live io.Writer

	clock clock // nil: the real clock
}

// withDefaults fills the zero fields and checks the ranges.
func (o Options) withDefaults() (Options, error) {
	if o.Mode == "" {
		o.Mode = ModeJSON
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Duration == 0 && o.Count == 0 {
		o.Duration = DefaultDuration
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Batch == 0 {
		o.Batch = 1
	}
	if o.Order == "" {
		o.Order = OrderShuffle
	}
	if o.OutlierScale == 0 {
		o.OutlierScale = DefaultOutlierScale
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.clock == nil {
		o.clock = realClock{}
	}
	if _, err := targetURL(o.Target); err != nil {
		return o, err
	}
	fl := func(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
	finite := func(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }
	switch {
	case o.Mode != ModeJSON && o.Mode != ModeCloudEvents:
		return o, &OptionError{"mode", string(o.Mode), "json or cloudevents"}
	case !finite(o.Rate) || o.Rate < MinRate:
		return o, &OptionError{"rate", fl(o.Rate), fmt.Sprintf("a number of flows per second >= %g", MinRate)}
	case o.Duration < 0:
		return o, &OptionError{"duration", o.Duration.String(), "a duration > 0"}
	case o.Count < 0:
		return o, &OptionError{"count", strconv.Itoa(o.Count), "a count >= 0"}
	case o.Concurrency < 0:
		return o, &OptionError{"concurrency", strconv.Itoa(o.Concurrency), "a count >= 1"}
	case o.Batch < 0 || o.Batch > MaxBatch:
		return o, &OptionError{"batch", strconv.Itoa(o.Batch), fmt.Sprintf("1 to %d flows", MaxBatch)}
	case o.Order != OrderShuffle && o.Order != OrderFile:
		return o, &OptionError{"order", string(o.Order), "shuffle or file"}
	case o.AttackFraction != nil && !(*o.AttackFraction >= 0 && *o.AttackFraction <= 1):
		return o, &OptionError{"attack-fraction", fl(*o.AttackFraction), "a fraction in [0, 1]"}
	case !(o.OutlierFraction >= 0 && o.OutlierFraction <= 1):
		return o, &OptionError{"outlier-fraction", fl(o.OutlierFraction), "a fraction in [0, 1]"}
	case !finite(o.OutlierScale) || o.OutlierScale <= 0:
		return o, &OptionError{"outlier-scale", fl(o.OutlierScale), "a factor > 0"}
	case o.Timeout < 0:
		return o, &OptionError{"timeout", o.Timeout.String(), "a duration > 0"}
	}
	return o, nil
}

// Check reports the first option out of range, with the defaults filled
// in; Run checks the same.
func (o Options) Check() error {
	_, err := o.withDefaults()
	return err
}

// targetURL parses a target: an absolute http or https URL with a host.
func targetURL(s string) (*url.URL, error) {
	if s == "" {
		return nil, &OptionError{"target", `""`, "the function's URL, e.g. http://127.0.0.1:8080"}
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, &OptionError{"target", strconv.Quote(s), "an http:// or https:// URL with a host and no user info"}
	}
	return u, nil
}

// endpoint is the target's URL with p appended to its path.
func endpoint(base *url.URL, p string) string {
	u := *base
	u.RawQuery, u.Fragment = "", ""
	path := u.Path
	for len(path) > 0 && path[len(path)-1] == '/' {
		path = path[:len(path)-1]
	}
	u.Path, u.RawPath = path+p, ""
	return u.String()
}
