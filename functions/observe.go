package functions

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// HeaderRequestID carries a request's id: the caller's (Knative's queue
// proxy and most gateways set it), or one the server makes; the answer
// carries it back, and a 5xx is logged with it.
const HeaderRequestID = "X-Request-Id"

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	code    int
	id      string
	release func() // gives back an admission slot (limits.go), or nil
}

// done ends the request: its admission slot, if it took one, is free.
func (w *statusWriter) done() {
	if w.release != nil {
		w.release()
		w.release = nil
	}
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) status() int {
	if w.code == 0 {
		return http.StatusOK
	}
	return w.code
}

// watch wraps w to record the status, and gives the request its id.
func (s *Server) watch(w http.ResponseWriter, r *http.Request) *statusWriter {
	id := r.Header.Get(HeaderRequestID)
	if id == "" || len(id) > 200 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	w.Header().Set(HeaderRequestID, id)
	return &statusWriter{ResponseWriter: w, id: id}
}

// observe counts a finished request by endpoint and status, records its
// time, and logs a 5xx with its request id and cause: a 500 (the server's
// fault) at level error, a 503 (busy, out of time, closed) at warn.
func (s *Server) observe(w *statusWriter, r *http.Request, endpoint string, err error, d time.Duration) {
	code := w.status()
	s.metrics.observeRequest(endpoint, requestEncoding(r), d)
	s.metrics.requests.inc(endpoint, code)
	if code < 500 {
		return
	}
	level := slog.LevelError
	if code == http.StatusServiceUnavailable {
		level = slog.LevelWarn
	}
	cause := "no error returned"
	if err != nil {
		cause = err.Error()
		var fe *Error
		if errors.As(err, &fe) && fe.Err != nil {
			cause = fe.Err.Error()
		}
	}
	s.logger().LogAttrs(r.Context(), level, "request failed",
		slog.String("request_id", w.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.Int("status", code), slog.String("error", cause), slog.Duration("duration", d))
}

// requestCounts is flowsense_requests_total, by endpoint and status code:
// the counters are made on first use and found without a lock or an
// allocation afterwards.
type requestCounts struct {
	vec   *prometheus.CounterVec
	cells map[string]*[600]atomic.Pointer[prometheus.Counter] // by endpoint, then code
}

func newRequestCounts(reg *prometheus.Registry, endpoints []string) *requestCounts {
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "flowsense_requests_total",
		Help: "HTTP requests answered, by endpoint and status code.",
	}, []string{"endpoint", "code"})
	reg.MustRegister(vec)
	c := &requestCounts{vec: vec, cells: make(map[string]*[600]atomic.Pointer[prometheus.Counter], len(endpoints))}
	for _, ep := range endpoints {
		c.cells[ep] = new([600]atomic.Pointer[prometheus.Counter])
	}
	return c
}

func (c *requestCounts) inc(endpoint string, code int) {
	cells, ok := c.cells[endpoint]
	if !ok {
		endpoint, cells = endpointOther, c.cells[endpointOther]
	}
	if code < 100 || code >= len(cells) {
		code = 599
	}
	p := cells[code].Load()
	if p == nil {
		ctr := c.vec.WithLabelValues(endpoint, strconv.Itoa(code)) // the same series if two race here
		p = &ctr
		cells[code].Store(p)
	}
	(*p).Inc()
}
