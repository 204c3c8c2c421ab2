package functions

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/sensor"
)

// authServer is a test server configured by a's environment, on the real
// clock (tokens are checked against it).
func authServer(t testing.TB, a *functionstest.AuthSetup, extra ...Option) *Server {
	t.Helper()
	opts, err := OptionsFromEnv(func(k string) string { return a.Env[k] })
	if err != nil {
		t.Fatal(err)
	}
	return newTestServer(t, append(append(opts, withClock(time.Now)), extra...)...)
}

// TestAuth: the credential suite (functionstest.RunAuth) in process and
// over a real listener.
func TestAuth(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	t.Run("handler", func(t *testing.T) {
		functionstest.RunAuth(t, behaviourDir, functionstest.HandlerDoer(authServer(t, a)), a)
	})
	t.Run("listener", func(t *testing.T) {
		ts := httptest.NewServer(authServer(t, a))
		defer ts.Close()
		functionstest.RunAuth(t, behaviourDir, functionstest.URLDoer(ts.URL, ts.Client()), a)
	})
}

// TestAuthDiscoveryOnce: the discovery document and keys are fetched on
// the first OIDC token, not at start, and then cached (a token of an
// unknown key refetches the keys once).
func TestAuthDiscoveryOnce(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	s := authServer(t, a)
	if n := a.Issuer.Fetches.Load(); n != 0 {
		t.Fatalf("%d fetches before any token", n)
	}
	tok := a.Issuer.Token(t, a.ClassifySender, a.Audience)
	for range 20 {
		req := httptest.NewRequest("GET", "/model.wasm", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
	if n := a.Issuer.Fetches.Load(); n != 2 {
		t.Errorf("%d fetches for 20 requests, want 2 (discovery and keys)", n)
	}
}

// TestAuthIssuerDown: an issuer that cannot be reached is 503 (the sender
// retries), never 200 and never a crash.
func TestAuthIssuerDown(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	tok := a.Issuer.Token(t, a.ClassifySender, a.Audience)
	ts := httptest.NewServer(http.NotFoundHandler())
	ts.Close()
	a.Env["FLOWSENSE_OIDC_ISSUER"] = ts.URL
	s := authServer(t, a)
	req := httptest.NewRequest("GET", "/model.wasm", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "auth-unavailable") {
		t.Errorf("%d %s, want 503 auth-unavailable", rec.Code, rec.Body)
	}
}

// TestSeparateMetrics: with FLOWSENSE_METRICS_ADDR set, GET /metrics is
// 404 on the main handler and served, under the metrics policy, by
// MetricsHandler, which serves nothing else.
func TestSeparateMetrics(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	a.Env[EnvMetricsAddr] = "127.0.0.1:0"
	s := authServer(t, a)
	get := func(h http.Handler, path, tok string) int {
		req := httptest.NewRequest("GET", path, nil)
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	m := s.MetricsHandler()
	for name, c := range map[string]struct {
		h          http.Handler
		path, tok  string
		wantStatus int
	}{
		"main port":                  {s, "/metrics", a.MetricsToken, 404},
		"metrics port":               {m, "/metrics", a.MetricsToken, 200},
		"metrics port, no key":       {m, "/metrics", "", 401},
		"metrics port, classify key": {m, "/metrics", a.ClassifyToken, 403},
		"metrics port, predict":      {m, "/predict", a.MetricsToken, 404},
		"metrics port, model":        {m, "/model", a.ClassifyToken, 404},
	} {
		if got := get(c.h, c.path, c.tok); got != c.wantStatus {
			t.Errorf("%s: %d, want %d", name, got, c.wantStatus)
		}
	}
}

func TestParsePolicy(t *testing.T) {
	dir := t.TempDir()
	tok := filepath.Join(dir, "tok")
	if err := os.WriteFile(tok, []byte("0123456789abcdef0123\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := filepath.Join(dir, "short")
	if err := os.WriteFile(short, []byte("abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ParsePolicy("token="+tok+", oidc=trigger-sa ,oidc=*", "ns")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.TokenFiles) != 1 || p.TokenFiles[0] != tok || len(p.Tokens) != 0 || len(p.Subjects) != 2 ||
		p.Subjects[0] != "system:serviceaccount:ns:trigger-sa" || p.Subjects[1] != "*" || p.Public {
		t.Errorf("policy %+v", p)
	}
	if p, err := ParsePolicy("none", ""); err != nil || !p.Public {
		t.Errorf("none: %+v %v", p, err)
	}
	for name, v := range map[string]string{
		"empty kind":            "=x",
		"unknown kind":          "password=x",
		"missing file":          "token=" + filepath.Join(dir, "absent"),
		"short token":           "token=" + short,
		"no namespace":          "oidc=trigger-sa",
		"empty value":           "oidc=",
		"none and a credential": "none,token=" + tok,
	} {
		ns := "ns"
		if name == "no namespace" {
			ns = ""
		}
		if _, err := ParsePolicy(v, ns); err == nil {
			t.Errorf("%s: %q accepted", name, v)
		}
	}
	// OIDC subjects without an issuer cannot be checked: New refuses.
	if _, err := New(t.Context(), testModule(t), WithAuth(RouteFeedback, Policy{Subjects: []string{"*"}})); !errors.Is(err, ErrConfig) {
		t.Errorf("subjects without an issuer: %v, want ErrConfig", err)
	}
	if _, err := OptionsFromEnv(func(k string) string {
		return map[string]string{EnvOIDCIssuer: "https://issuer.example"}[k]
	}); !errors.Is(err, ErrConfig) {
		t.Errorf("an issuer without an audience: %v, want ErrConfig", err)
	}
}

// clock is a settable clock for the tests of refetch limits.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestAuthKeyRefetchLimited: tokens whose signature no published key
// verifies (an unknown kid, or the issuer's kid over another key), with
// claims anyone can guess, do not make the function ask the issuer for
// its key set more than once per DefaultMinRefetch, one at a time or
// many at once; a key the issuer rotated in is still found (after the
// interval), and its tokens open the route.
func TestAuthKeyRefetchLimited(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	clk := &clock{t: time.Now()}
	s := authServer(t, a, withClock(clk.Now))
	do := func(tok string) int {
		req := httptest.NewRequest("GET", "/model.wasm", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	iss := a.Issuer
	claims := functionstest.Claims{Issuer: iss.URL, Subject: a.ClassifySender, Audience: a.Audience, Expiry: time.Now().Add(time.Hour)}
	if code := do(iss.Token(t, a.ClassifySender, a.Audience)); code != 200 {
		t.Fatalf("a good token: %d", code)
	}
	if n := iss.KeyFetches.Load(); n != 1 {
		t.Fatalf("%d key fetches for the first token, want 1", n)
	}
	attacker, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	bad := []string{iss.Sign(t, attacker, "made-up", claims), iss.Sign(t, attacker, "k1", claims), iss.Sign(t, attacker, "", claims)}
	for i := range 150 {
		if code := do(bad[i%len(bad)]); code != http.StatusUnauthorized {
			t.Fatalf("a token of another key: %d, want 401", code)
		}
	}
	if n := iss.KeyFetches.Load(); n != 1 {
		t.Errorf("%d key fetches after 150 tokens of unknown keys within %s, want still 1", n, DefaultMinRefetch)
	}

	// rotation: the issuer publishes k2; tokens of k2 open the route once
	// the interval since the last fetch has passed
	k2 := iss.AddKey(t, "k2")
	rotated := iss.Sign(t, k2, "k2", claims)
	if code := do(rotated); code != http.StatusUnauthorized {
		t.Errorf("a token of a key published after the last fetch, within %s: %d, want 401", DefaultMinRefetch, code)
	}
	// go-oidc's RemoteKeySet hands a fetch's result to its waiters before
	// its goroutine forgets the fetch, so a request right after one can get
	// that fetch's (old) keys again without asking: settle first.
	settle := func() { time.Sleep(50 * time.Millisecond) }
	clk.Add(DefaultMinRefetch)
	settle()
	if code := do(rotated); code != 200 {
		t.Errorf("a token of the rotated key after %s: %d, want 200", DefaultMinRefetch, code)
	}
	if n := iss.KeyFetches.Load(); n != 2 {
		t.Errorf("%d key fetches after the rotation, want 2", n)
	}

	// many at once after the interval: one fetch between them
	clk.Add(DefaultMinRefetch)
	settle()
	var wg sync.WaitGroup
	codes := make([]int, 64)
	for i := range codes {
		wg.Add(1)
		go func() { defer wg.Done(); codes[i] = do(bad[i%len(bad)]) }()
	}
	wg.Wait()
	for i, c := range codes {
		if c != http.StatusUnauthorized {
			t.Errorf("concurrent bad token %d: %d, want 401", i, c)
		}
	}
	if n := iss.KeyFetches.Load(); n != 3 {
		t.Errorf("%d key fetches after 64 concurrent bad tokens, want 3", n)
	}
	if code := do(iss.Token(t, a.ClassifySender, a.Audience)); code != 200 {
		t.Errorf("a good token after all that: %d", code)
	}
	if n := iss.Fetches.Load() - iss.KeyFetches.Load(); n != 1 {
		t.Errorf("%d discovery fetches, want 1", n)
	}
}

// TestAuthIssuerDownRetry: while the issuer fails, it is asked again at
// most once per RetryAfterFailure (the answers in between are 503 at
// once), and once it is back the next request after that finds it.
func TestAuthIssuerDownRetry(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	var down atomic.Bool
	var asked atomic.Int64
	target, _ := url.Parse(a.Issuer.URL)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked.Add(1)
		if down.Load() {
			http.Error(w, "down", http.StatusBadGateway)
			return
		}
		httputil.NewSingleHostReverseProxy(target).ServeHTTP(w, r)
	}))
	defer proxy.Close()
	clk := &clock{t: time.Now()}
	down.Store(true)
	tok := a.Issuer.Token(t, a.ClassifySender, a.Audience)
	s := authServer(t, a, withClock(clk.Now), WithOIDC(OIDCConfig{Issuer: a.Issuer.URL, Audience: a.Audience, Client: &http.Client{Transport: rewriteHost{proxy.URL}}}))
	do := func() int {
		req := httptest.NewRequest("GET", "/model.wasm", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	for range 20 {
		if code := do(); code != http.StatusServiceUnavailable {
			t.Fatalf("issuer down: %d, want 503", code)
		}
	}
	if n := asked.Load(); n != 1 {
		t.Errorf("the failing issuer was asked %d times for 20 requests within %s, want 1", n, RetryAfterFailure)
	}
	down.Store(false)
	if code := do(); code != http.StatusServiceUnavailable {
		t.Errorf("within %s of the failure: %d, want 503 again", RetryAfterFailure, code)
	}
	clk.Add(RetryAfterFailure)
	if code := do(); code != 200 {
		t.Errorf("the issuer back, %s later: %d, want 200", RetryAfterFailure, code)
	}
}

// rewriteHost sends every request to base (the issuer's documents keep
// their URLs, so the issuer check still holds).
type rewriteHost struct{ base string }

func (h rewriteHost) RoundTrip(r *http.Request) (*http.Response, error) {
	u, _ := url.Parse(h.base)
	r = r.Clone(r.Context())
	r.URL.Scheme, r.URL.Host = u.Scheme, u.Host
	return http.DefaultTransport.RoundTrip(r)
}

// TestAuthMetadata: FLOWSENSE_AUTH_METADATA puts GET /model and /schema/*
// behind their own credential (unset they stay open, RunAuth); the
// classify route's token does not open them, nor theirs classify.
func TestAuthMetadata(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	const metaTok = "metadata-token-0123456789abcdef"
	file := filepath.Join(t.TempDir(), "metadata-token")
	if err := os.WriteFile(file, []byte(metaTok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	a.Env[EnvAuthMetadata] = "token=" + file
	s := authServer(t, a)
	for name, c := range map[string]struct {
		path, tok string
		want      int
	}{
		"model, no credential":          {"/model", "", 401},
		"model, metadata token":         {"/model", metaTok, 200},
		"model, classify token":         {"/model", a.ClassifyToken, 403},
		"flow schema, no credential":    {"/schema/flow", "", 401},
		"flow schema, metadata token":   {"/schema/flow", metaTok, 200},
		"feedback schema, metrics key":  {"/schema/feedback", a.MetricsToken, 403},
		"classification schema, token":  {"/schema/classification", metaTok, 200},
		"model.wasm, metadata token":    {"/model.wasm", metaTok, 403},
		"model.wasm, classify token":    {"/model.wasm", a.ClassifyToken, 200},
		"readiness, no credential":      {"/health/readiness", "", 200},
		"model, a bad token":            {"/model", "metadata-token-0123456789abcdeX", 401},
		"model, the classify sender":    {"/model", a.Issuer.Token(t, a.ClassifySender, a.Audience), 403},
		"model with the metadata token": {"/model", metaTok, 200},
	} {
		req := httptest.NewRequest("GET", c.path, nil)
		if c.tok != "" {
			req.Header.Set("Authorization", "Bearer "+c.tok)
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != c.want {
			b := rec.Body.String()
			t.Errorf("%s: %d %s, want %d", name, rec.Code, b[:min(len(b), 200)], c.want)
		}
	}
}

// TestAuthTokenFileRotation: a token file replaced in place (a mounted
// Secret rotated: kubelet swaps the files) is read again within
// TokenReload: the new token opens the route and the old one no longer
// does. A file that vanishes (a key removed from the Secret) or shrinks
// below MinTokenBytes revokes the token, logged once; a file that holds a
// token again opens the route again; a read that fails otherwise (here:
// a directory where the file was) keeps the token read last, logged once.
func TestAuthTokenFileRotation(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "classify-token")
	write := func(v string) {
		t.Helper()
		tmp := filepath.Join(dir, ".tmp")
		if err := os.WriteFile(tmp, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	const old, rotated = "classify-old-0123456789abcdef", "classify-new-0123456789abcdef"
	write(old)
	a.Env[EnvAuthClassify] = "token=" + file
	clk := &clock{t: time.Now()}
	var logs bytes.Buffer
	s := authServer(t, a, withClock(clk.Now), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	code := func(tok string) int {
		req := httptest.NewRequest("GET", "/model.wasm", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		return rec.Code
	}
	check := func(when string, want map[string]int) {
		t.Helper()
		for tok, w := range want {
			if got := code(tok); got != w {
				t.Errorf("%s: token %s: %d, want %d", when, tok[:12], got, w)
			}
		}
	}
	logged := func(when, msg string, n int) {
		t.Helper()
		if got := strings.Count(logs.String(), msg); got != n {
			t.Errorf("%s: %d log lines with %q, want %d:\n%s", when, got, msg, n, logs.String())
		}
	}
	check("before the rotation", map[string]int{old: 200, rotated: 401})
	write(rotated)
	check("rotated, within TokenReload", map[string]int{old: 200, rotated: 401})
	clk.Add(TokenReload)
	check("rotated, TokenReload later", map[string]int{old: 401, rotated: 200})
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	clk.Add(TokenReload)
	check("file gone", map[string]int{old: 401, rotated: 401})
	clk.Add(TokenReload)
	check("file still gone", map[string]int{old: 401, rotated: 401})
	logged("file gone", "the token is revoked", 1)
	write(rotated)
	clk.Add(TokenReload)
	check("file back", map[string]int{old: 401, rotated: 200})
	write("short")
	clk.Add(TokenReload)
	check("file too short", map[string]int{old: 401, rotated: 401})
	logged("file too short", "the token is revoked", 2)
	write(rotated)
	clk.Add(TokenReload)
	check("file back again", map[string]int{old: 401, rotated: 200})
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(file, 0o700); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		clk.Add(TokenReload)
		check("file unreadable", map[string]int{old: 401, rotated: 200})
	}
	logged("file unreadable", "keeping the token read last", 1)
}

// TestAuthTokenFileRule: the function reads a token file by the rule the
// sensor sends it with (internal/tokenfile): "tok \n", "tok\r\n" and
// " tok" all hold the token "tok", which the sensor's ReadToken of the
// same file sends.
func TestAuthTokenFileRule(t *testing.T) {
	const tok = "classify-0123456789abcdef"
	for name, content := range map[string]string{
		"space and newline": tok + " \n",
		"CRLF":              tok + "\r\n",
		"leading space":     " " + tok,
		"no newline":        tok,
	} {
		a := functionstest.NewAuthSetup(t)
		file := filepath.Join(t.TempDir(), "classify-token")
		if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		sent, err := sensor.ReadToken(file)
		if err != nil {
			t.Fatal(err)
		}
		a.Env[EnvAuthClassify] = "token=" + file
		s := authServer(t, a)
		req := httptest.NewRequest("GET", "/model.wasm", nil)
		req.Header.Set("Authorization", "Bearer "+sent)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			t.Errorf("%s: the sensor's token %q: %d, want 200", name, sent, rec.Code)
		}
	}
}

// FuzzAuthorization: whatever the Authorization header holds (seeded with
// good, expired, forged, unsigned and mangled tokens), the function never
// answers 5xx (the issuer is up) and never opens a route to a header that
// is not one of its credentials: /model.wasm (classify) is 200 only for
// the classify token or a valid token of the classify sender, /metrics
// only for the scraper's token.
func FuzzAuthorization(f *testing.F) {
	a := functionstest.NewAuthSetup(f)
	s := authServer(f, a)
	good := a.Issuer.Token(f, a.ClassifySender, a.Audience)
	f.Add("Bearer " + good)
	f.Add("Bearer " + a.ClassifyToken)
	f.Add("Bearer " + a.MetricsToken)
	f.Add("Bearer " + a.Issuer.Unsigned(a.ClassifySender, a.Audience))
	f.Add("Bearer " + a.Issuer.Sign(f, mustKey(f), "k1", functionstest.Claims{Issuer: a.Issuer.URL, Subject: a.ClassifySender, Audience: a.Audience, Expiry: time.Now().Add(time.Hour)}))
	f.Add("Bearer " + good[:len(good)-3] + "abc")
	f.Add("bearer  " + good + " ")
	f.Add("Basic Zm9vOmJhcg==")
	f.Add("Bearer a.b.c")
	f.Add("Bearer ..")
	f.Add("Bearer eyJhbGciOiJub25lIn0.e30.")
	f.Fuzz(func(t *testing.T, h string) {
		tok := strings.TrimSpace(h)
		if scheme, rest, ok := strings.Cut(tok, " "); ok && strings.EqualFold(scheme, "Bearer") {
			tok = strings.TrimSpace(rest)
		}
		for _, c := range []struct {
			path string
			may  func() bool
		}{
			{"/model.wasm", func() bool { return tok == a.ClassifyToken || tok == good || validFor(a, tok) }},
			{"/metrics", func() bool { return tok == a.MetricsToken }},
		} {
			req := httptest.NewRequest("GET", c.path, nil)
			req.Header["Authorization"] = []string{h}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			switch {
			case rec.Code >= 500:
				t.Fatalf("%s with Authorization %q: %d %s", c.path, h, rec.Code, rec.Body)
			case rec.Code == 200 && !c.may():
				t.Fatalf("%s opened to Authorization %q", c.path, h)
			case rec.Code != 200 && rec.Code != 401 && rec.Code != 403:
				t.Fatalf("%s with Authorization %q: %d, want 200, 401 or 403", c.path, h, rec.Code)
			}
		}
	})
}

// validFor reports whether tok is a JWT of the test issuer for the
// classify sender that go-jose verifies with the issuer's key (a mutation
// the fuzzer finds that still verifies, e.g. a different base64 of the
// same bytes, is a valid token, not a bypass).
func validFor(a *functionstest.AuthSetup, tok string) bool {
	return a.Issuer.Verify(tok, a.ClassifySender, a.Audience)
}

func mustKey(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
