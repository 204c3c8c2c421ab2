package functions

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"time"

	"github.com/flowsense/flowsense/flowdata"
)

// Defaults of the bounds on one request's work beyond its body and flows
// (see functions/README.md, "Limits").
const (
	// DefaultMaxDecompressedBytes bounds what a gzip CSV upload inflates
	// to; more is answered 413.
	DefaultMaxDecompressedBytes = 64 << 20
	// LightBodyBytes: a POST whose declared body is at most this, and not
	// a CSV upload (which may be gzip), is light: admission control lets
	// it through, so a one-flow caller is never refused for others' work.
	LightBodyBytes = 64 << 10
	// MaxHeaderColumns bounds a CSV upload's header (a CICFlowMeter file
	// has 84 columns).
	MaxHeaderColumns = 4096
)

// AdmissionWait is how long a heavy request waits for a slot before it
// is answered 503.
const AdmissionWait = time.Second

// DefaultMaxHeavy is the default bound on heavy requests in flight (see
// WithMaxHeavy): one core's worth fewer than the process has, so that one
// is left for light requests, and at least one.
func DefaultMaxHeavy() int { return max(1, runtime.GOMAXPROCS(0)-1) }

// Environment variables of the limits, read by OptionsFromEnv on every
// host (flowsense serve also takes them as flags).
const (
	EnvMaxBodyBytes         = "FLOWSENSE_MAX_BODY_BYTES"
	EnvMaxFlows             = "FLOWSENSE_MAX_FLOWS"
	EnvTimeout              = "FLOWSENSE_TIMEOUT"
	EnvMaxDecompressedBytes = "FLOWSENSE_MAX_DECOMPRESSED_BYTES"
	EnvMaxHeavy             = "FLOWSENSE_MAX_HEAVY"
)

// ErrBusy: the server has as many heavy requests in flight as it takes
// for AdmissionWait (503, with Retry-After).
var ErrBusy = errors.New("server busy")

// WithMaxDecompressedBytes bounds what a gzip upload inflates to (default
// DefaultMaxDecompressedBytes); more is answered 413.
func WithMaxDecompressedBytes(n int64) Option {
	return func(c *config) { c.maxInflated = max(1, n) }
}

// WithMaxHeavy bounds the heavy requests in flight (default
// DefaultMaxHeavy()): a request whose body is over LightBodyBytes, or a
// CSV upload. Once its body is read, one more waits up to AdmissionWait
// for a slot, then is answered 503 with Retry-After, so that a burst of
// large or hostile uploads cannot take the CPU and memory a one-flow
// caller needs. The work in flight (decoding, inflating, classifying) is
// then at most n times one request's bounds. Hosts that take one request
// per instance (Lambda) do not go through it.
func WithMaxHeavy(n int) Option { return func(c *config) { c.maxHeavy = max(1, n) } }

// limitsFromEnv reads the limit variables.
func limitsFromEnv(getenv func(string) string) ([]Option, error) {
	var opts []Option
	num := func(name string, set func(int64) Option) error {
		v := getenv(name)
		if v == "" {
			return nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return fmt.Errorf("%w: %s=%q is not a positive integer", ErrConfig, name, v)
		}
		opts = append(opts, set(n))
		return nil
	}
	for _, e := range []struct {
		name string
		set  func(int64) Option
	}{
		{EnvMaxBodyBytes, WithMaxBodyBytes},
		{EnvMaxFlows, func(n int64) Option { return WithMaxFlows(int(min(n, 1<<30))) }},
		{EnvMaxDecompressedBytes, WithMaxDecompressedBytes},
		{EnvMaxHeavy, func(n int64) Option { return WithMaxHeavy(int(min(n, 1<<20))) }},
	} {
		if err := num(e.name, e.set); err != nil {
			return nil, err
		}
	}
	if v := getenv(EnvTimeout); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("%w: %s=%q is not a positive duration (10s, 500ms)", ErrConfig, EnvTimeout, v)
		}
		opts = append(opts, WithTimeout(d))
	}
	return opts, nil
}

// heavy reports whether a request with an n-byte body takes a heavy
// slot: a body over LightBodyBytes, or a CSV upload (which may be gzip).
func heavy(r *http.Request, n int) bool {
	return n > LightBodyBytes || requestEncoding(r) == encLabelCSV
}

// admit takes a heavy slot for a request whose n-byte body has been read,
// when it needs one; the slot is given back when the request ends
// (w.done). Admission follows the read, so that a client dripping its body
// (bounded by Serve's ReadTimeout) holds no slot.
func (s *Server) admit(w *statusWriter, r *http.Request, n int) error {
	if !heavy(r, n) || w == nil || w.release != nil {
		return nil
	}
	release := func() { <-s.guard.heavy }
	select {
	case s.guard.heavy <- struct{}{}:
		w.release = release
		return nil
	default:
	}
	t := time.NewTimer(AdmissionWait)
	defer t.Stop()
	select {
	case s.guard.heavy <- struct{}{}:
		w.release = release
		return nil
	case <-t.C:
	case <-r.Context().Done():
	}
	return fmt.Errorf("%w: %d large requests in flight, the most this instance takes, for %v; retry", ErrBusy, cap(s.guard.heavy), AdmissionWait)
}

// csvSource is the reader of a CSV upload: gunzipped within the
// decompression limit when it is gzip, and failing with ctx's error once
// ctx ends, so that reading stops within one block of a timeout.
func (s *Server) csvSource(ctx context.Context, body []byte) (io.Reader, error) {
	var r io.Reader = bytes.NewReader(body)
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		z, err := gzip.NewReader(r)
		if err != nil {
			return nil, &Error{Problem: withDetail(problemFor(ErrCSV).Problem, "corrupt gzip data: "+err.Error()), Err: fmt.Errorf("%w: %w", ErrCSV, flowdata.ErrGzip)}
		}
		r = &inflated{r: z, left: s.cfg.maxInflated, limit: s.cfg.maxInflated}
	}
	return &ctxReader{ctx: ctx, r: r}, nil
}

// errInflated is the error of an upload over the decompression limit.
type errInflated struct{ limit int64 }

func (e *errInflated) Error() string {
	return fmt.Sprintf("the upload inflates to more than %d bytes", e.limit)
}

func (e *errInflated) Unwrap() error { return ErrTooLarge }

// inflated is a gzip stream cut at its limit.
type inflated struct {
	r           io.Reader
	left, limit int64
}

func (z *inflated) Read(p []byte) (int, error) {
	if z.left <= 0 {
		// one byte more tells a stream of exactly the limit from a longer one
		var b [1]byte
		if n, _ := z.r.Read(b[:]); n > 0 {
			return 0, &errInflated{z.limit}
		}
		return 0, io.EOF
	}
	if int64(len(p)) > z.left {
		p = p[:z.left]
	}
	n, err := z.r.Read(p)
	z.left -= int64(n)
	return n, err
}

// ctxReader fails with its context's error once the context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// uploadError maps a CSV reader's failure caused by a bound: the
// decompression limit (413), the request's time (503), a flowdata limit
// (413); nil for any other error.
func uploadError(ctx context.Context, err error) error {
	var ie *errInflated
	switch {
	case errors.As(err, &ie):
		return &Error{Problem: withDetail(problemFor(ErrTooLarge).Problem, ie.Error()), Err: err}
	case ctx.Err() != nil && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)):
		return fmt.Errorf("%w: reading the upload: %w", ErrTimeout, ctx.Err())
	case errors.Is(err, flowdata.ErrLimit):
		p := problemFor(ErrTooLarge).Problem
		p.Title, p.Type = "upload over a limit", "urn:flowsense:problem:limit"
		p.Detail = err.Error()
		if i := len("data: "); len(p.Detail) > i && p.Detail[:i] == "data: " {
			p.Detail = p.Detail[i:]
		}
		return &Error{Problem: p, Err: err}
	}
	return nil
}
