package function

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync/atomic"

	fhttp "knative.dev/func-go/http"

	"github.com/flowsense/flowsense/functions"
)

// Every hook of func-go's instanced HTTP function.
var (
	_ fhttp.Handler           = (*Function)(nil)
	_ fhttp.Starter           = (*Function)(nil)
	_ fhttp.Stopper           = (*Function)(nil)
	_ fhttp.ReadinessReporter = (*Function)(nil)
	_ fhttp.LivenessReporter  = (*Function)(nil)
)

// embeddedModel is the module served when FLOWSENSE_MODEL is not set: a
// small model of the project's synthetic flows, committed so that func
// build works from a clean clone. mkmodel.sh makes it (make
// knative-model); TestEmbeddedModelUpToDate checks it is what mkmodel.sh
// makes today.
//
//go:embed model.wasm
var embeddedModel []byte

// Configuration keys Start reads (func-go passes the process environment
// and the ./cfg file as one map).
const (
	// EnvModel names a model to serve instead of the embedded one: a
	// model.wasm, a model.json or a directory holding either.
	EnvModel = "FLOWSENSE_MODEL"
	// EnvSource is the source attribute of reply events.
	EnvSource = "FLOWSENSE_SOURCE"
	// EnvService is set by Knative Serving to the service's name; the
	// default source ends with it.
	EnvService = "K_SERVICE"
)

// DefaultSource is the source attribute of reply events when neither
// FLOWSENSE_SOURCE nor K_SERVICE is set.
const DefaultSource = "urn:flowsense:knative"

var (
	// ErrStarted: Start was called on a started function.
	ErrStarted = errors.New("function already started")
)

// ModelError is a model that could not be loaded at Start.
type ModelError struct {
	// Source is EnvModel's value, or "embedded".
	Source string
	Err    error
}

func (e *ModelError) Error() string {
	if e.Source == "embedded" {
		return "embedded model: " + e.Err.Error()
	}
	return EnvModel + "=" + e.Source + ": " + e.Err.Error()
}

func (e *ModelError) Unwrap() error { return e.Err }

// Function is the instanced function: func-go calls New once, then Start,
// then Handle for each request, Ready and Alive for the probes, and Stop
// at shutdown. It is safe for concurrent use.
type Function struct {
	log     *slog.Logger
	started atomic.Bool                      // Start has been called
	srv     atomic.Pointer[functions.Server] // nil until loaded, and after Stop
	// the metrics port (FLOWSENSE_METRICS_ADDR), if any
	stopMetrics context.CancelFunc
	metricsEnd  chan error
}

// New returns a function with no model; Start loads it. Its logs are JSON
// lines on stderr.
func New() *Function {
	return &Function{log: slog.New(slog.NewJSONHandler(os.Stderr, nil))}
}

// Start loads the model: the file cfg[EnvModel] names if set, else the
// embedded module. func-go calls it in a goroutine once the port is open
// (requests meanwhile are answered 503), and stops the process with its
// error if it fails. A function starts once: a second call, even after a
// failure or Stop, returns ErrStarted.
func (f *Function) Start(ctx context.Context, cfg map[string]string) error {
	if f.started.Swap(true) {
		return ErrStarted
	}
	if l, from := functions.SetMemoryLimit(); l > 0 {
		f.log.Info("memory limit", "bytes", l, "from", from)
	}
	opts, err := functions.OptionsFromEnv(func(k string) string { return cfg[k] })
	if err != nil {
		return err
	}
	opts = append(opts, functions.WithSource(sourceOf(cfg)), functions.WithLogger(f.log))
	var srv *functions.Server
	if path := cfg[EnvModel]; path != "" {
		if srv, err = functions.LoadFile(ctx, path, opts...); err != nil {
			return &ModelError{Source: path, Err: err}
		}
	} else if srv, err = functions.New(ctx, embeddedModel, opts...); err != nil {
		return &ModelError{Source: "embedded", Err: err}
	}
	if addr := cfg[functions.EnvMetricsAddr]; addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			_ = srv.Close(ctx)
			return fmt.Errorf("%s %s: %w", functions.EnvMetricsAddr, addr, err)
		}
		mctx, cancel := context.WithCancel(context.Background())
		f.stopMetrics, f.metricsEnd = cancel, make(chan error, 1)
		go func() { f.metricsEnd <- functions.Serve(mctx, ln, srv.MetricsHandler()) }()
		f.log.Info("metrics port", slog.String("addr", ln.Addr().String()))
	}
	f.srv.Store(srv)
	md := srv.Metadata()
	f.log.Info("model loaded", slog.String("model", md.Name), slog.String("sha256", md.ModelSHA256))
	return nil
}

// sourceOf is the source attribute of reply events.
func sourceOf(cfg map[string]string) string {
	if s := cfg[EnvSource]; s != "" {
		return s
	}
	if s := cfg[EnvService]; s != "" {
		return DefaultSource + ":" + s
	}
	return DefaultSource
}

// Handle serves a request with the shared handler. Before Start has
// loaded the model (func-go serves as soon as the port is open) and after
// Stop it answers 503 with a problem document.
func (f *Function) Handle(w http.ResponseWriter, r *http.Request) {
	srv := f.srv.Load()
	if srv == nil {
		writeUnavailable(w)
		return
	}
	srv.ServeHTTP(w, r)
}

// writeUnavailable answers 503 as the shared handler does for a closed
// server.
func writeUnavailable(w http.ResponseWriter) {
	p := functions.ProblemOf(functions.ErrClosed)
	p.Detail = "the model is not loaded (starting or stopping)"
	b, _ := json.Marshal(p) // plain fields: cannot fail
	w.Header().Set("Content-Type", functions.MediaTypeProblem)
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Retry-After", "1")
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write(append(b, '\n'))
}

// Ready reports whether requests are answered: the model is loaded and not
// closed. func-go answers /health/readiness 200 if so, 503 if not.
func (f *Function) Ready(ctx context.Context) (bool, error) {
	srv := f.srv.Load()
	return srv != nil && srv.Ready(), nil
}

// Alive reports that the process is able to serve (always: a model that
// failed to load stops the process through Start's error instead).
func (f *Function) Alive(ctx context.Context) (bool, error) { return true, nil }

// Stop closes the model. func-go calls it after the HTTP server has let
// the requests in flight finish.
func (f *Function) Stop(ctx context.Context) error {
	srv := f.srv.Swap(nil)
	if srv == nil {
		return nil
	}
	if f.stopMetrics != nil {
		f.stopMetrics()
		<-f.metricsEnd
	}
	if err := srv.Close(ctx); err != nil {
		return fmt.Errorf("close model: %w", err)
	}
	f.log.Info("model closed")
	return nil
}
