package functions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions/replyid"
	"github.com/flowsense/flowsense/functions/web"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/host"
)

// Defaults of the limits.
const (
	DefaultMaxBodyBytes = 8 << 20
	DefaultMaxFlows     = 10000
	DefaultTimeout      = 10 * time.Second
	DefaultSource       = "urn:flowsense:function"
)

// Option configures New.
type Option func(*config)

type config struct {
	maxInflated int64 // limits.go
	maxHeavy    int
	maxBody     int64
	maxFlows    int
	timeout     time.Duration
	source      string
	log         *slog.Logger
	wasmOpts    []host.Option
	now         func() time.Time
	start       time.Time
	// reply ids (feedbackid.go)
	replyKey   []byte
	replyTTL   time.Duration
	maxSeen    int
	unverified bool
	// modelName is the model's name in the Open Inference Protocol.
	modelName string
	// who may call it (auth.go)
	auth           map[Route]Policy
	oidc           *OIDCConfig
	metricsOffMain bool
	// sample is served at /sample.csv (WithSample, sample.go).
	sample    []byte
	sampleTag string
	// the module's tiers (WithoutTierUp, WithTopTier)
	noTierUp bool
	topTier  func() ([]byte, error)
}

// WithMaxBodyBytes bounds a request body (default DefaultMaxBodyBytes);
// a larger one is answered 413.
func WithMaxBodyBytes(n int64) Option { return func(c *config) { c.maxBody = max(1, n) } }

// WithMaxFlows bounds the flows of one request (default DefaultMaxFlows),
// counted over all the events of a batch; more are answered 413.
func WithMaxFlows(n int) Option { return func(c *config) { c.maxFlows = max(1, n) } }

// WithTimeout bounds the time spent on one request (default
// DefaultTimeout); a request out of time is answered 503.
func WithTimeout(d time.Duration) Option { return func(c *config) { c.timeout = d } }

// WithSource sets the source attribute of reply events: a URI reference
// naming the function (default DefaultSource), for example the Knative
// service's URL or the Lambda function's ARN.
func WithSource(uri string) Option { return func(c *config) { c.source = uri } }

// WithLogger receives server-side failures (5xx answers); nil is silent.
func WithLogger(l *slog.Logger) Option { return func(c *config) { c.log = l } }

// WithWasmOptions passes options to host.Load (the interpreter, a
// compilation cache, the instance pool size).
func WithWasmOptions(opts ...host.Option) Option {
	return func(c *config) { c.wasmOpts = append(c.wasmOpts, opts...) }
}

// WithoutTierUp loads the module on wazero's compiler before New returns,
// as hosts did before the tier-up: a slower cold start, the compiler's
// speed from the first request. By default New loads it on the
// interpreter, answers at once, and swaps in the compiler's tier in the
// background (host.WithTierUp), which answers with the same bits; the
// flowsense_wasm_tier metric and a log line say which tier serves. A
// host.WithInterpreter among WithWasmOptions keeps the interpreter.
func WithoutTierUp() Option { return func(c *config) { c.noTierUp = true } }

// WithTopTier makes the second tier with top, on the tier-up's goroutine
// (compiler.TopTier's module of the model, say: flowsense serve makes it
// from a model.json beside the model.wasm) instead of compiling the
// loaded module on wazero's compiler.
func WithTopTier(top func() ([]byte, error)) Option { return func(c *config) { c.topTier = top } }

// WithStartTime sets when the process (or the host's cold start) began,
// for the flowsense_cold_start_seconds metric: the time from then until New
// returns. By default it is the process's start as the kernel records it.
func WithStartTime(t time.Time) Option { return func(c *config) { c.start = t } }

// withClock fixes the time of reply events (tests).
func withClock(now func() time.Time) Option { return func(c *config) { c.now = now } }

// Server is the handler. It is safe for concurrent use.
type Server struct {
	cfg  config
	mod  artifact.Predictor // the module under wazero
	tier func() string      // the tier serving it (host.Module.Tier)
	meta *abi.Metadata
	wasm []byte
	// made at their first request, not before the first answer
	metaJSON func() ([]byte, error) // GET /model
	etag     func() string
	schema   func() ([]byte, error) // JSON Schema of flow data for this model
	fschema  func() ([]byte, error) // JSON Schema of feedback data for this model
	ref      cloudevents.ModelRef
	dec      *cloudevents.FlowDecoder
	enc      *cloudevents.ClassificationEncoder
	nf       int
	xs       explainState // explain.go
	closed   atomic.Bool
	// mux routes "METHOD /path" patterns to handlers (route values).
	mux     *http.ServeMux
	fdec    *cloudevents.FeedbackDecoder
	metrics *metrics
	signer  *replyid.Signer
	seen    *replyid.Seen
	oip     *oipState // the Open Inference Protocol (oip.go)
	guard   guard     // health, admission and limits (health.go)
	auth    *auth     // nil: every route open
}

// route is a handler of the Server, registered in its ServeMux. ServeHTTP
// calls it with the Server; its own ServeHTTP is never used.
type route func(*Server, http.ResponseWriter, *http.Request) error

func (route) ServeHTTP(http.ResponseWriter, *http.Request) {}

// New loads a compiled model module and returns the handler serving it.
// The bytes are kept (GET /model.wasm serves them) and must not change.
func New(ctx context.Context, wasmBytes []byte, opts ...Option) (*Server, error) {
	cfg := config{maxBody: DefaultMaxBodyBytes, maxFlows: DefaultMaxFlows, timeout: DefaultTimeout, source: DefaultSource, now: time.Now, start: processStart}
	cfg.maxInflated, cfg.maxHeavy = DefaultMaxDecompressedBytes, DefaultMaxHeavy()
	for _, o := range opts {
		o(&cfg)
	}
	var s *Server
	// the tier-up's report may come before New returns: it waits for s
	// (ready), or is dropped when New fails (abandoned, closed before the
	// module, whose Close waits for the tier-up)
	ready, abandoned := make(chan struct{}), make(chan struct{})
	wasmOpts := cfg.wasmOpts
	if !cfg.noTierUp {
		up := host.WithTierUp(nil)
		if cfg.topTier != nil {
			up = host.WithTierUpFunc(cfg.topTier)
		}
		// first, so that a host.WithInterpreter given overrides it
		wasmOpts = append([]host.Option{up, host.WithTierUpReport(func(r host.TierUp) {
			select {
			case <-ready:
				s.reportTier(r)
			case <-abandoned:
			}
		})}, wasmOpts...)
	}
	mod, err := host.Load(ctx, wasmBytes, wasmOpts...)
	if err != nil {
		return nil, fmt.Errorf("functions: load model: %w", err)
	}
	closeMod := func() {
		close(abandoned)
		_ = mod.Close(ctx)
	}
	md := mod.SharedMetadata() // not modified here or after
	if err := checkSample(&md.Schema, cfg.sample); err != nil {
		closeMod()
		return nil, fmt.Errorf("functions: %w", err)
	}
	signer, used, err := newSigner(&cfg, md.ModelSHA256)
	if err != nil {
		closeMod()
		return nil, err
	}
	au, err := newAuth(&cfg)
	if err != nil {
		closeMod()
		return nil, err
	}
	s = &Server{
		signer: signer, seen: used, auth: au,
		cfg: cfg, mod: mod, tier: mod.Tier, meta: md, wasm: wasmBytes,
		metaJSON: sync.OnceValues(func() ([]byte, error) {
			mj, err := json.MarshalIndent(md, "", "  ")
			if err != nil {
				return nil, fmt.Errorf("%w: model metadata: %v", ErrModel, err)
			}
			return append(mj, '\n'), nil
		}),
		etag: sync.OnceValue(func() string {
			sum := sha256.Sum256(wasmBytes)
			return `"` + hex.EncodeToString(sum[:]) + `"`
		}),
		schema: sync.OnceValues(func() ([]byte, error) {
			b, err := cloudevents.FlowSchema(&md.Schema, "")
			if err != nil {
				return nil, fmt.Errorf("%w: flow schema: %v", ErrModel, err)
			}
			return append(b, '\n'), nil
		}),
		fschema: sync.OnceValues(func() ([]byte, error) {
			b, err := cloudevents.FeedbackSchema(md.Classes, "")
			if err != nil {
				return nil, fmt.Errorf("%w: feedback schema: %v", ErrModel, err)
			}
			return append(b, '\n'), nil
		}),
		ref:  cloudevents.ModelRef{Name: md.Name, SHA256: md.ModelSHA256},
		dec:  cloudevents.NewFlowDecoder(&md.Schema, cfg.maxFlows),
		enc:  cloudevents.NewClassificationEncoder(md.Classes, cloudevents.ModelRef{Name: md.Name, SHA256: md.ModelSHA256}),
		nf:   len(md.Schema.Features),
		fdec: cloudevents.NewFeedbackDecoder(md.Classes, cfg.maxFlows),
	}
	// A GET pattern serves HEAD too; "/{$}" is the root alone.
	patterns := map[string]route{
		"POST /{$}":                  (*Server).serveEvents,
		"POST /predict":              (*Server).servePredict,
		"GET /health/readiness":      (*Server).serveReadiness,
		"GET /health/liveness":       (*Server).serveLiveness,
		"GET /model":                 (*Server).serveModel,
		"GET /model.wasm":            (*Server).serveWasm,
		"GET /schema/flow":           (*Server).serveFlowSchema,
		"GET /schema/classification": (*Server).serveClassificationSchema,
		"GET /schema/feedback":       (*Server).serveFeedbackSchema,
		"POST /feedback":             (*Server).serveFeedback,
		"GET /metrics":               (*Server).serveMetrics,
		"GET /sample.csv":            (*Server).serveSample,
	}
	for p, h := range oipRoutes { // the Open Inference Protocol (oip_rest.go)
		patterns[p] = h
	}
	s.oip = newOIPState(md, cfg.modelName)
	if _, err := s.canExplain(); err == nil {
		// clients can tell whether the parameter explain will be answered
		s.oip.meta.Parameters[ParamExplain] = "true"
	}
	for _, p := range web.Paths() {
		if p == "/" {
			p = "/{$}"
		}
		patterns["GET "+p] = (*Server).servePage
	}
	s.guard.heavy = make(chan struct{}, cfg.maxHeavy)
	s.mux = http.NewServeMux()
	seen := map[string]bool{}
	var routes []string
	for pat, h := range patterns {
		s.mux.Handle(pat, h)
		if p := routePath(pat); !seen[p] {
			seen[p] = true
			routes = append(routes, p)
		}
	}
	s.metrics = newMetrics(md, routes)
	s.registerTier()
	s.metrics.coldStart.Set(time.Since(cfg.start).Seconds()) // ready: New returns
	close(ready)
	return s, nil
}

// Tiers are the values of the flowsense_wasm_tier metric's tier label.
var Tiers = []string{host.TierInterpreter, host.TierCompiler, host.TierTop}

// registerTier adds flowsense_wasm_tier: 1 for the tier serving the
// module, 0 for the others.
func (s *Server) registerTier() {
	for _, t := range Tiers {
		s.metrics.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name:        "flowsense_wasm_tier",
			Help:        "The wazero tier serving the model's module (1): interpreter (the first requests), compiler or top (compiler.TopTier's module), swapped in by the tier-up once it answers with the same bits.",
			ConstLabels: prometheus.Labels{"tier": t},
		}, func() float64 {
			if s.tier() == t {
				return 1
			}
			return 0
		}))
	}
}

// reportTier logs the tier-up's outcome.
func (s *Server) reportTier(r host.TierUp) {
	if s.cfg.log == nil || errors.Is(r.Err, context.Canceled) {
		return
	}
	attrs := []any{slog.String("tier", r.Tier), slog.String("from", r.From),
		slog.Float64("compile_ms", float64(r.Compile.Microseconds())/1000), slog.Float64("verify_ms", float64(r.Verify.Microseconds())/1000),
		slog.Float64("since_ready_ms", float64(r.Since.Microseconds())/1000), slog.Int64("first_tier_calls", r.FirstTierCalls)}
	if r.Err != nil {
		s.cfg.log.Warn("wasm tier-up failed: the first tier serves on", append(attrs, slog.String("error", r.Err.Error()))...)
		return
	}
	s.cfg.log.Info("wasm tier-up", attrs...)
}

// Metadata returns a copy of the model's metadata.
func (s *Server) Metadata() *abi.Metadata { return s.mod.Metadata() }

// Tier is the wazero tier serving the model's module (host.TierInterpreter
// until the tier-up, then host.TierCompiler or host.TierTop).
func (s *Server) Tier() string { return s.tier() }

// Ready reports whether the server answers classifications: it is loaded,
// not closed, and its module, if a call failed since the last probe,
// passes its smoke test again.
func (s *Server) Ready() bool { return !s.closed.Load() && s.moduleSound() == nil }

// Close releases the model. Requests after Close are answered 503; call
// it once the requests in flight are done (after Serve returns).
func (s *Server) Close(ctx context.Context) error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.mod.Close(ctx)
}

var _ http.Handler = (*Server)(nil)

// ServeHTTP routes a request. A panic below it (which would be a bug) is
// answered 500 and logged rather than killing the connection.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if v := recover(); v != nil {
			s.logf("panic serving %s %s: %v", r.Method, r.URL.Path, v)
			writeProblem(w, fmt.Errorf("panic: %v", v))
		}
	}()
	start := time.Now()
	h, pattern := s.mux.Handler(r)
	sw := s.watch(w, r) // status, request id, admission slot (observe.go)
	defer sw.done()
	w = sw
	var err error
	if s.cfg.metricsOffMain && pattern == "GET /metrics" {
		h, pattern = http.NotFoundHandler(), ""
	}
	rt, ok := h.(route)
	if ok {
		r, err = s.authorize(r, pattern)
	}
	switch {
	case err != nil:
		if errors.Is(err, ErrUnauthorized) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="flowsense"`)
		}
	case ok:
		err = rt(s, w, r)
	default:
		err = unrouted(h, w, r)
	}
	if err != nil {
		writeErrorFor(w, r, err)
	}
	s.observe(sw, r, routePath(pattern), err, time.Since(start))
}

// routePath is the path of a "METHOD /path" pattern as the metrics label
// it ("/" for "/{$}"); "" (no pattern) is labelled "other".
func routePath(pattern string) string {
	_, p, _ := strings.Cut(pattern, " ")
	if p == "/{$}" {
		return "/"
	}
	return p
}

// unrouted answers a request no pattern matched with a problem: ServeMux's
// own answer, run into a recorder, tells 405 (with the Allow header it
// computed) from 404. Routes are exact: a path ServeMux would redirect to
// its clean form ("//predict", "/model/") is 404 too.
func unrouted(h http.Handler, w http.ResponseWriter, r *http.Request) error {
	rec := &statusRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.code == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", rec.header.Get("Allow"))
		return fmt.Errorf("%w: %s %s", ErrMethod, r.Method, r.URL.Path)
	}
	return &Error{Problem: withDetail(problemFor(ErrNotFound).Problem, "no endpoint "+r.URL.Path), Err: ErrNotFound}
}

// statusRecorder keeps the status and headers of ServeMux's own answer
// and drops its body.
type statusRecorder struct {
	header http.Header
	code   int
}

func (r *statusRecorder) Header() http.Header         { return r.header }
func (r *statusRecorder) Write(b []byte) (int, error) { return len(b), nil }
func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.log != nil {
		s.cfg.log.Error(fmt.Sprintf(format, args...))
	}
}

// readBody reads the whole body within the byte limit.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > s.cfg.maxBody {
		return nil, &http.MaxBytesError{Limit: s.cfg.maxBody}
	}
	sw, _ := w.(*statusWriter)
	if sw != nil {
		w = sw.ResponseWriter // MaxBytesReader closes the connection through it
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.maxBody))
	if err == nil {
		err = s.admit(sw, r, len(b)) // limits.go
		if err != nil {
			return nil, err
		}
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: reading the body: %v", cloudevents.ErrMalformed, err)
	}
	return b, nil
}

// requestContext bounds a request's time.
func (s *Server) requestContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.cfg.timeout > 0 {
		return context.WithTimeout(ctx, s.cfg.timeout)
	}
	return context.WithCancel(ctx)
}

func (s *Server) serveLiveness(w http.ResponseWriter, r *http.Request) error {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

func (s *Server) serveReadiness(w http.ResponseWriter, r *http.Request) error {
	if !s.Ready() {
		return ErrClosed
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// servePage serves the web page and its assets (package web).
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) error {
	return web.Serve(w, r)
}

func (s *Server) serveModel(w http.ResponseWriter, r *http.Request) error {
	b, err := s.metaJSON()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("ETag", s.etag())
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	return nil
}

func (s *Server) serveWasm(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/wasm")
	w.Header().Set("ETag", s.etag())
	w.Header().Set("Cache-Control", "no-cache") // keep it, but revalidate (ETag): a deploy changes it
	http.ServeContent(w, r, "model.wasm", time.Time{}, bytes.NewReader(s.wasm))
	return nil
}

func (s *Server) serveFlowSchema(w http.ResponseWriter, r *http.Request) error {
	b, err := s.schema()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/schema+json")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	return nil
}

func (s *Server) serveFeedbackSchema(w http.ResponseWriter, r *http.Request) error {
	b, err := s.fschema()
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/schema+json")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(b))
	return nil
}

func (s *Server) serveClassificationSchema(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/schema+json")
	http.ServeContent(w, r, "", time.Time{}, strings.NewReader(cloudevents.ClassificationSchema))
	return nil
}

// writeResults answers with classifications.
func (s *Server) writeResults(w http.ResponseWriter, results []cloudevents.Classification, single bool) error {
	b, err := s.enc.Marshal(results, single)
	if err != nil {
		return fmt.Errorf("%w: encoding the answer: %v", ErrModel, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, '\n'))
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
