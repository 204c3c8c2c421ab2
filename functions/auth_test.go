package functions

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// authServer is a test server configured by a's environment, on the real
// clock (tokens are checked against it).
func authServer(t *testing.T, a *functionstest.AuthSetup, extra ...Option) *Server {
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
	if len(p.Tokens) != 1 || string(p.Tokens[0]) != "0123456789abcdef0123" || len(p.Subjects) != 2 ||
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
