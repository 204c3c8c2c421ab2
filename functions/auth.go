package functions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/flowsense/flowsense/internal/tokenfile"
)

// Route is a group of endpoints that one credential opens.
type Route string

// The routes of per-route credentials (WithAuth). Health probes (also
// the Open Inference Protocol's /v2/health/*) are always open.
const (
	// RouteClassify: POST /predict, flow events on POST /, the Open
	// Inference Protocol's /v2 paths, GET /model.wasm and the page (the
	// module is what an attacker would probe offline).
	RouteClassify Route = "classify"
	// RouteFeedback: POST /feedback and feedback events on POST /.
	RouteFeedback Route = "feedback"
	// RouteMetrics: GET /metrics (on the main port, or on the metrics
	// port of MetricsHandler).
	RouteMetrics Route = "metrics"
	// RouteMetadata: GET /model and /schema/* (the model's name, version,
	// features, classes and evaluation figures; no trees). Public unless
	// set: a sender such as flowsense sensor reads them to form its
	// events (its --token-file or --schema-token-file then carries the
	// credential); setting it keeps a stranger from learning which
	// features and classes the model knows.
	RouteMetadata Route = "metadata"
)

// Routes lists the routes in a fixed order.
var Routes = []Route{RouteClassify, RouteFeedback, RouteMetrics, RouteMetadata}

var (
	// ErrUnauthorized: a protected route without a valid credential: no
	// Authorization header, a bearer token no policy knows, or an OIDC
	// token that fails verification (signature, issuer, audience, expiry,
	// algorithm). 401 with WWW-Authenticate: Bearer.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: a valid credential that does not open this route (a
	// classify token on /feedback, a sender not named). 403.
	ErrForbidden = errors.New("forbidden")
	// ErrAuthUnavailable: the OIDC discovery document or key set could not
	// be fetched (503: the sender retries).
	ErrAuthUnavailable = errors.New("token verification unavailable")
)

// Policy says who may call one route: anyone (Public), or a caller with
// one of Tokens or the content of one of TokenFiles as its bearer token,
// or an OIDC token (verified against WithOIDC's issuer and audience) whose
// subject is one of Subjects ("*": any subject).
//
// A token file (a mounted Secret's key) is read when the Server is made
// and again at most once per TokenReload while requests come: a Secret
// updated in place (a rotated token) is taken up without a restart. A
// re-read that finds the file gone or holding fewer than MinTokenBytes
// revokes the token (401) until the file holds one again; a re-read that
// fails otherwise (an I/O error) keeps the token read last
// (tokenFile.current): a key removed from the Secret stops opening the
// route within TokenReload.
type Policy struct {
	Public     bool
	Tokens     [][]byte
	TokenFiles []string
	Subjects   []string
}

// TokenReload is how often a policy's token files are read again.
const TokenReload = 10 * time.Second

// tokenFile is one of a policy's token files and the token read last.
// Requests read the digest without a lock (sum); when TokenReload has
// passed, the one request that wins reloading (TryLock) reads the file,
// and the others go on with the digest they find meanwhile.
type tokenFile struct {
	path string
	now  func() time.Time
	log  *slog.Logger

	sum atomic.Pointer[[sha256.Size]byte] // of the token; nil: revoked
	at  atomic.Int64                      // of the last read, Unix ns

	reloading sync.Mutex // held by the one goroutine reading the file; guards ioError
	ioError   bool       // the last read failed (logged once)
}

func newTokenFile(path string, now func() time.Time, log *slog.Logger) (*tokenFile, error) {
	tok, err := ReadTokenFile(path)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(tok)
	f := &tokenFile{path: path, now: now, log: log}
	f.sum.Store(&sum)
	f.at.Store(now().UnixNano())
	return f, nil
}

// current is the digest of the file's token, read again when TokenReload
// has passed; nil when the file holds no token.
//
// A file that is gone (fs.ErrNotExist) or holds no usable token (empty,
// shorter than MinTokenBytes, white space inside) revokes the token: a
// key removed from the Secret, or emptied, must stop opening the route.
// This costs no availability during a rotation: kubelet updates a Secret
// volume atomically (the files are symlinks into a ..data directory that
// is swapped by one rename), so a reader sees the old file or the new
// one, never a missing or half-written one. Only another error (EIO, a
// permission change, too many open files: transient, and not a statement
// about the Secret) keeps the token read last, logged once until a read
// succeeds.
//
// No request waits for another's read: one that finds a reload due but
// another goroutine reading uses the current digest.
func (f *tokenFile) current() *[sha256.Size]byte {
	if now := f.now(); f.due(now) && f.reloading.TryLock() {
		if f.due(now) { // not just reloaded by another goroutine
			f.at.Store(now.UnixNano())
			f.reload()
		}
		f.reloading.Unlock()
	}
	return f.sum.Load()
}

// due reports whether TokenReload has passed since the last read.
func (f *tokenFile) due(now time.Time) bool {
	return now.Sub(time.Unix(0, f.at.Load())) >= TokenReload
}

// reload reads the file again and takes up, revokes or keeps the token
// (with f.reloading held).
func (f *tokenFile) reload() {
	tok, err := ReadTokenFile(f.path)
	switch {
	case err == nil:
		if f.sum.Load() == nil || f.ioError {
			f.log.Info("auth: token file readable again", slog.String("file", f.path))
		}
		sum := sha256.Sum256(tok)
		f.sum.Store(&sum)
		f.ioError = false
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, tokenfile.ErrInvalid) || errors.Is(err, ErrShortToken):
		if f.sum.Load() != nil {
			f.log.Warn("auth: token file holds no token: the token is revoked", slog.String("file", f.path), slog.String("error", err.Error()))
		}
		f.sum.Store(nil)
		f.ioError = false
	default:
		if !f.ioError {
			f.log.Error("auth: token file unreadable: keeping the token read last", slog.String("file", f.path), slog.String("error", err.Error()))
		}
		f.ioError = true
	}
}

func (p Policy) String() string {
	if p.Public {
		return "none"
	}
	var parts []string
	for range p.Tokens {
		parts = append(parts, "token")
	}
	for _, f := range p.TokenFiles {
		parts = append(parts, "token="+f)
	}
	for _, s := range p.Subjects {
		parts = append(parts, "oidc="+s)
	}
	return strings.Join(parts, ",")
}

// OIDCConfig is where sender tokens come from: Knative Eventing's
// authentication-oidc feature has the Broker's filter send, per Trigger,
// a service account token of the cluster's issuer whose audience is the
// subscriber's.
type OIDCConfig struct {
	// Issuer is the issuer URL; its discovery document is
	// Issuer/.well-known/openid-configuration (`kubectl get --raw
	// /.well-known/openid-configuration` shows the cluster's).
	Issuer string
	// Audience is the audience a token must carry (the Trigger's
	// subscriber.audience).
	Audience string
	// CAFile, when set, holds the PEM certificates that the issuer's TLS
	// certificate is checked against (in a pod, the service account's
	// ca.crt) instead of the system roots.
	CAFile string
	// TokenFile, when set, holds a bearer token sent when fetching the
	// discovery document and the key set (a Kubernetes API server serves
	// them to authenticated callers: the pod's own service account token).
	TokenFile string
	// Client, when set, is the HTTP client of those fetches (tests);
	// CAFile and TokenFile are then ignored.
	Client *http.Client
	// MinRefetch is the least time between two fetches of one of the
	// issuer's documents (DefaultMinRefetch when 0); a failed fetch is
	// tried again after at most RetryAfterFailure. Within it the last
	// answer is used again.
	MinRefetch time.Duration
}

// DefaultMinRefetch and RetryAfterFailure bound how often the issuer is
// asked for its key set. go-oidc (v3.21.0, RemoteKeySet.verify) fetches
// the key set again for every token whose signature no cached key
// verifies, deduplicating only fetches in flight: without a bound, each
// request carrying a token with a made-up kid or signature (and claims
// anyone can guess: the issuer and the audience are no secret) would be
// one request to the cluster's API server. With it, such tokens cost at
// most one fetch per DefaultMinRefetch whatever their rate; a key the
// issuer rotated in is found by the first token naming it after that
// (the issuer publishes a key before it signs with it).
const (
	DefaultMinRefetch = 30 * time.Second
	RetryAfterFailure = 5 * time.Second
)

// maxIssuerDocument bounds the discovery document and the key set.
const maxIssuerDocument = 1 << 20

// WithAuth sets the policy of a route (default: Public). A route that is
// not public answers 401 to a request without a credential it accepts.
func WithAuth(r Route, p Policy) Option {
	return func(c *config) {
		if c.auth == nil {
			c.auth = map[Route]Policy{}
		}
		c.auth[r] = p
	}
}

// WithOIDC verifies OIDC sender tokens (for policies naming subjects).
func WithOIDC(o OIDCConfig) Option { return func(c *config) { c.oidc = &o } }

// auth is the Server's credential checker.
type auth struct {
	policies map[Route]Policy
	tokens   []routeToken
	oidc     *oidcVerifier
}

// routeToken is a bearer token that opens route: its digest, or the file
// holding it.
type routeToken struct {
	route Route
	sum   [sha256.Size]byte
	file  *tokenFile
}

// identity is what a request proved.
type identity struct {
	present bool           // an Authorization header was given
	tokens  map[Route]bool // routes whose token it carried
	subject string         // the verified OIDC subject
}

type identityKey struct{}

func newAuth(cfg *config) (*auth, error) {
	if len(cfg.auth) == 0 && cfg.oidc == nil {
		return nil, nil
	}
	a := &auth{policies: map[Route]Policy{}}
	log := cfg.log
	if log == nil {
		log = discardLogger
	}
	needOIDC := false
	for r, p := range cfg.auth {
		creds := len(p.Tokens) + len(p.TokenFiles) + len(p.Subjects)
		if p.Public && creds > 0 {
			return nil, fmt.Errorf("%w: route %s: public and with credentials", ErrConfig, r)
		}
		if !p.Public && creds == 0 {
			return nil, fmt.Errorf("%w: route %s: no credential opens it", ErrConfig, r)
		}
		needOIDC = needOIDC || len(p.Subjects) > 0
		a.policies[r] = p
		for _, t := range p.Tokens {
			a.tokens = append(a.tokens, routeToken{route: r, sum: sha256.Sum256(t)})
		}
		for _, path := range p.TokenFiles {
			f, err := newTokenFile(path, cfg.now, log)
			if err != nil {
				return nil, fmt.Errorf("%w: route %s: %v", ErrConfig, r, err)
			}
			a.tokens = append(a.tokens, routeToken{route: r, file: f})
		}
	}
	if needOIDC && cfg.oidc == nil {
		return nil, fmt.Errorf("%w: a route names OIDC senders, but no issuer is configured (%s)", ErrConfig, EnvOIDCIssuer)
	}
	if cfg.oidc != nil {
		v, err := newOIDCVerifier(*cfg.oidc, cfg.now)
		if err != nil {
			return nil, err
		}
		a.oidc = v
	}
	return a, nil
}

// policy is a route's policy; an unset one is public.
func (a *auth) policy(r Route) Policy {
	if p, ok := a.policies[r]; ok {
		return p
	}
	return Policy{Public: true}
}

// identify checks the Authorization header: no header is the anonymous
// identity; a header that is not a known token or a valid OIDC token is
// ErrUnauthorized.
func (a *auth) identify(ctx context.Context, h http.Header) (identity, error) {
	v := h.Get("Authorization")
	if v == "" {
		return identity{}, nil
	}
	scheme, tok, ok := strings.Cut(v, " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return identity{}, fmt.Errorf("%w: the Authorization header is not a bearer token", ErrUnauthorized)
	}
	id := identity{present: true}
	sum := sha256.Sum256([]byte(tok))
	for _, t := range a.tokens {
		want := &t.sum
		if t.file != nil {
			if want = t.file.current(); want == nil {
				continue // revoked
			}
		}
		if subtle.ConstantTimeCompare(sum[:], want[:]) == 1 {
			if id.tokens == nil {
				id.tokens = map[Route]bool{}
			}
			id.tokens[t.route] = true
		}
	}
	if len(id.tokens) > 0 {
		return id, nil
	}
	if a.oidc == nil || strings.Count(tok, ".") != 2 {
		return identity{}, fmt.Errorf("%w: unknown bearer token", ErrUnauthorized)
	}
	sub, err := a.oidc.verify(ctx, tok)
	if err != nil {
		return identity{}, err
	}
	id.subject = sub
	return id, nil
}

// allows reports whether id may call route r: nil, ErrUnauthorized (no
// credential) or ErrForbidden (a credential for something else).
func (a *auth) allows(id identity, r Route) error {
	p := a.policy(r)
	if p.Public || id.tokens[r] {
		return nil
	}
	if id.subject != "" {
		for _, s := range p.Subjects {
			if s == "*" || s == id.subject {
				return nil
			}
		}
	}
	if !id.present {
		return fmt.Errorf("%w: %s needs a bearer token", ErrUnauthorized, r)
	}
	who := "this token"
	if id.subject != "" {
		who = "sender " + id.subject
	}
	return fmt.Errorf("%w: %s may not call %s", ErrForbidden, who, r)
}

// routeOf is the route of a pattern; "" for the always-open probes and
// for POST /, whose events say (allowEvent).
func routeOf(pattern string, r *http.Request) Route {
	switch pattern {
	case "GET /health/readiness", "GET /health/liveness", "GET /v2/health/live", "GET /v2/health/ready":
		return "" // the probes, also the Open Inference Protocol's
	case "GET /model", "GET /schema/flow", "GET /schema/classification", "GET /schema/feedback":
		return RouteMetadata // what a sender needs to form events (the sensor's --schema); no trees
	case "POST /feedback":
		return RouteFeedback
	case "GET /metrics":
		return RouteMetrics
	case "POST /{$}":
		if eventEncoding(r.Header) == encNone {
			return RouteClassify // as /predict
		}
		return ""
	}
	return RouteClassify
}

// authorize checks a request before its handler runs and puts what it
// proved into its context for allowEvent. It lets POST / with events
// through when any of classify and feedback may be open to the caller.
func (s *Server) authorize(r *http.Request, pattern string) (*http.Request, error) {
	if s.auth == nil {
		return r, nil
	}
	route := routeOf(pattern, r)
	if route == "" && pattern != "POST /{$}" {
		return r, nil // a probe: open whatever the Authorization header says
	}
	id, err := s.auth.identify(r.Context(), r.Header)
	if err != nil {
		return r, err
	}
	switch {
	case route != "":
		if err := s.auth.allows(id, route); err != nil {
			return r, err
		}
	case pattern == "POST /{$}":
		errC, errF := s.auth.allows(id, RouteClassify), s.auth.allows(id, RouteFeedback)
		if errC != nil && errF != nil {
			return r, errC
		}
	}
	return r.WithContext(context.WithValue(r.Context(), identityKey{}, id)), nil
}

// allowEvent checks that the caller of POST / may send an event of this
// kind (a flow event: classify; feedback: feedback).
func (s *Server) allowEvent(ctx context.Context, r Route) error {
	if s.auth == nil {
		return nil
	}
	id, _ := ctx.Value(identityKey{}).(identity)
	return s.auth.allows(id, r)
}

// oidcVerifier verifies tokens with go-oidc: the discovery document and
// key set are fetched on first use (so a cold start does not wait on the
// issuer, and an issuer briefly down is a 503, retried, not a crash), and
// the key set is refetched when a token names an unknown key.
type oidcVerifier struct {
	cfg    OIDCConfig
	client *http.Client
	now    func() time.Time
	// fetches limits how often the issuer is asked (fetchLimiter).
	fetches *fetchLimiter

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
}

func newOIDCVerifier(o OIDCConfig, now func() time.Time) (*oidcVerifier, error) {
	if o.Issuer == "" || o.Audience == "" {
		return nil, fmt.Errorf("%w: OIDC needs an issuer and an audience (%s, %s)", ErrConfig, EnvOIDCIssuer, EnvOIDCAudience)
	}
	v := &oidcVerifier{cfg: o, client: o.Client, now: now}
	if v.client == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		if o.CAFile != "" {
			pem, err := os.ReadFile(o.CAFile)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrConfig, EnvOIDCCAFile, err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%w: %s: %s holds no PEM certificate", ErrConfig, EnvOIDCCAFile, o.CAFile)
			}
			tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
		}
		var rt http.RoundTripper = tr
		if o.TokenFile != "" {
			if _, err := os.Stat(o.TokenFile); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrConfig, EnvOIDCTokenFile, err)
			}
			rt = &bearerTransport{file: o.TokenFile, next: tr}
		}
		v.client = &http.Client{Transport: rt, Timeout: 10 * time.Second}
	}
	every := o.MinRefetch
	if every <= 0 {
		every = DefaultMinRefetch
	}
	c := *v.client
	next := c.Transport
	if next == nil {
		next = http.DefaultTransport
	}
	v.fetches = &fetchLimiter{next: next, now: now, every: every, retry: min(every, RetryAfterFailure), last: map[string]*fetched{}}
	c.Transport = v.fetches
	v.client = &c
	return v, nil
}

// fetchLimiter is the transport of the issuer's documents: it sends a GET
// of one URL at most once per every after a success, once per retry after
// a failure, and answers the others in between with that outcome (the
// document it got, or the failure). Concurrent requests of one URL wait
// for one fetch.
type fetchLimiter struct {
	next         http.RoundTripper
	now          func() time.Time
	every, retry time.Duration

	mu   sync.Mutex
	last map[string]*fetched
}

// fetched is the last fetch of one URL.
type fetched struct {
	mu     sync.Mutex // held during a fetch
	at     time.Time  // zero: never fetched
	err    error      // the failure, or nil
	header http.Header
	body   []byte // the 200's
}

func (l *fetchLimiter) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet {
		return l.next.RoundTrip(r)
	}
	key := r.URL.String()
	l.mu.Lock()
	f := l.last[key]
	if f == nil {
		f = &fetched{}
		l.last[key] = f
	}
	l.mu.Unlock()
	f.mu.Lock()
	defer f.mu.Unlock()
	now := l.now()
	if !f.at.IsZero() {
		if age := now.Sub(f.at); (f.err == nil && age < l.every) || (f.err != nil && age < l.retry) {
			return f.answer(r)
		}
	}
	f.at = now
	resp, err := l.next.RoundTrip(r)
	if err == nil && resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		err = fmt.Errorf("GET %s: %s %s", key, resp.Status, strings.TrimSpace(string(b)))
	}
	if err == nil {
		var b []byte
		b, err = io.ReadAll(io.LimitReader(resp.Body, maxIssuerDocument+1))
		resp.Body.Close()
		if err == nil && len(b) > maxIssuerDocument {
			err = fmt.Errorf("GET %s: over %d bytes", key, maxIssuerDocument)
		}
		if err == nil {
			f.header, f.body = resp.Header.Clone(), b
		}
	}
	f.err = err
	return f.answer(r)
}

// answer is the last outcome again: the failure, or a new response with
// the document.
func (f *fetched) answer(r *http.Request) (*http.Response, error) {
	if f.err != nil {
		return nil, f.err
	}
	return &http.Response{
		Status: "200 OK", StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: f.header.Clone(), Body: io.NopCloser(bytes.NewReader(f.body)), ContentLength: int64(len(f.body)), Request: r,
	}, nil
}

// bearerTransport sends the token of a file (reread each time: a
// projected service account token is rotated in place).
type bearerTransport struct {
	file string
	next http.RoundTripper
}

func (b *bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tok, err := os.ReadFile(b.file)
	if err != nil {
		return nil, err
	}
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(tok)))
	return b.next.RoundTrip(r)
}

func (v *oidcVerifier) get(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.verifier != nil {
		return v.verifier, nil
	}
	cctx := oidc.ClientContext(context.WithoutCancel(ctx), v.client)
	p, err := oidc.NewProvider(cctx, v.cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("%w: discovery of %s: %v", ErrAuthUnavailable, v.cfg.Issuer, err)
	}
	v.verifier = p.VerifierContext(cctx, &oidc.Config{ClientID: v.cfg.Audience, Now: v.now})
	return v.verifier, nil
}

// verify returns the subject of a valid token.
func (v *oidcVerifier) verify(ctx context.Context, raw string) (string, error) {
	ver, err := v.get(ctx)
	if err != nil {
		return "", err
	}
	tok, err := ver.Verify(ctx, raw)
	if err != nil {
		var exp *oidc.TokenExpiredError
		switch {
		case errors.As(err, &exp):
			return "", fmt.Errorf("%w: the token expired at %s", ErrUnauthorized, exp.Expiry.UTC().Format(time.RFC3339))
		case strings.Contains(err.Error(), "fetching keys"):
			return "", fmt.Errorf("%w: %v", ErrAuthUnavailable, err)
		}
		return "", fmt.Errorf("%w: %s", ErrUnauthorized, strings.TrimPrefix(err.Error(), "oidc: "))
	}
	if tok.Subject == "" {
		return "", fmt.Errorf("%w: the token has no subject", ErrUnauthorized)
	}
	return tok.Subject, nil
}

// WithSeparateMetrics takes GET /metrics off the main handler (it answers
// 404 there); the host serves MetricsHandler on a port of its own, for
// the scraper only (FLOWSENSE_METRICS_ADDR).
func WithSeparateMetrics() Option { return func(c *config) { c.metricsOffMain = true } }

// MetricsHandler serves GET /metrics alone, under the metrics route's
// policy: for a metrics port apart from the traffic (WithSeparateMetrics).
// Every other path is 404, another method 405, as problem documents.
func (s *Server) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var err error
		switch {
		case r.URL.Path != "/metrics":
			err = &Error{Problem: withDetail(problemFor(ErrNotFound).Problem, "no endpoint "+r.URL.Path+" on the metrics port"), Err: ErrNotFound}
		case r.Method != http.MethodGet && r.Method != http.MethodHead:
			w.Header().Set("Allow", "GET, HEAD")
			err = fmt.Errorf("%w: %s %s", ErrMethod, r.Method, r.URL.Path)
		default:
			r, err = s.authorize(r, "GET /metrics")
		}
		if err != nil {
			if errors.Is(err, ErrUnauthorized) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="flowsense"`)
			}
			writeProblem(w, err)
			return
		}
		s.metrics.handler.ServeHTTP(w, r)
	})
}

// Authorize checks r's credential for route, for a handler outside the
// Server's own routes (the gRPC service on the same port): nil when the
// route is open to the caller, else an error wrapping ErrUnauthorized,
// ErrForbidden or ErrAuthUnavailable.
func (s *Server) Authorize(r *http.Request, route Route) error {
	if s.auth == nil {
		return nil
	}
	id, err := s.auth.identify(r.Context(), r.Header)
	if err != nil {
		return err
	}
	return s.auth.allows(id, route)
}
