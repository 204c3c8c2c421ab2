package functionstest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuer is an OIDC issuer the test makes: a discovery document and a key
// set (one RSA key) served over HTTP, and tokens signed with its key, as
// a cluster's service account issuer gives Knative Eventing's senders.
type Issuer struct {
	URL string
	key *rsa.PrivateKey
	// Fetches counts requests for the discovery document and the keys;
	// KeyFetches those for the keys alone.
	Fetches, KeyFetches atomic.Int64

	mu   sync.Mutex
	keys []jose.JSONWebKey // published
}

// NewIssuer starts an issuer for the test.
func NewIssuer(t testing.TB) *Issuer {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := &Issuer{key: key, keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss.Fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": iss.URL, "jwks_uri": iss.URL + "/openid/v1/jwks",
			"response_types_supported": []string{"id_token"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /openid/v1/jwks", func(w http.ResponseWriter, r *http.Request) {
		iss.Fetches.Add(1)
		iss.KeyFetches.Add(1)
		iss.mu.Lock()
		set := jose.JSONWebKeySet{Keys: append([]jose.JSONWebKey(nil), iss.keys...)}
		iss.mu.Unlock()
		w.Header().Set("Content-Type", "application/jwk-set+json")
		_ = json.NewEncoder(w).Encode(set)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	iss.URL = srv.URL
	return iss
}

// AddKey publishes a new signing key under kid (a rotation: the issuer
// publishes a key before it signs with it) and returns it for Sign.
func (iss *Issuer) AddKey(t testing.TB, kid string) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss.mu.Lock()
	iss.keys = append(iss.keys, jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"})
	iss.mu.Unlock()
	return key
}

// Claims of a test token.
type Claims struct {
	Issuer, Subject, Audience string
	Expiry                    time.Time
}

// Token is a token of the issuer for subject and audience, valid for an
// hour.
func (iss *Issuer) Token(t testing.TB, subject, audience string) string {
	return iss.Sign(t, iss.key, "k1", Claims{Issuer: iss.URL, Subject: subject, Audience: audience, Expiry: time.Now().Add(time.Hour)})
}

// Sign signs claims with key (RS256) under key id kid.
func (iss *Issuer) Sign(t testing.TB, key *rsa.PrivateKey, kid string, c Claims) string {
	t.Helper()
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	raw, err := jwt.Signed(sig).Claims(jwt.Claims{
		Issuer: c.Issuer, Subject: c.Subject, Audience: jwt.Audience{c.Audience},
		Expiry: jwt.NewNumericDate(c.Expiry), IssuedAt: jwt.NewNumericDate(now.Add(-time.Minute)), NotBefore: jwt.NewNumericDate(now.Add(-time.Minute)),
	}).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// Verify reports whether raw is a token signed by the issuer's first key
// (RS256) for subject and audience, of this issuer and unexpired: the
// oracle of fuzz tests (what the function under test must accept).
func (iss *Issuer) Verify(raw, subject, audience string) bool {
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		return false
	}
	var c jwt.Claims
	if err := tok.Claims(&iss.key.PublicKey, &c); err != nil {
		return false
	}
	return c.ValidateWithLeeway(jwt.Expected{Issuer: iss.URL, Subject: subject, AnyAudience: jwt.Audience{audience}, Time: time.Now()}, 0) == nil
}

// Unsigned is a token with alg "none" and no signature, claiming what a
// good token would.
func (iss *Issuer) Unsigned(subject, audience string) string {
	enc := base64.RawURLEncoding.EncodeToString
	head, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": "k1"})
	body, _ := json.Marshal(map[string]any{"iss": iss.URL, "sub": subject, "aud": audience, "exp": time.Now().Add(time.Hour).Unix(), "iat": time.Now().Unix()})
	return enc(head) + "." + enc(body) + "."
}

// AuthSetup is the configuration RunAuth expects of the host under test:
// Env holds the variables that make it (functions.OptionsFromEnv).
type AuthSetup struct {
	Issuer *Issuer
	// Audience of the host; the senders' subjects.
	Audience, ClassifySender, FeedbackSender string
	// ClassifyToken opens classify, MetricsToken metrics (bearer tokens
	// from files).
	ClassifyToken, MetricsToken string
	Env                         map[string]string
}

// NewAuthSetup makes an issuer, token files and the environment of a host
// where classify takes a bearer token or the OIDC sender "flowsense-classify"
// (a service account of namespace "flowsense-test"), feedback only the
// sender "flowsense-feedback", and metrics only the scraper's token.
func NewAuthSetup(t testing.TB) *AuthSetup {
	t.Helper()
	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := &AuthSetup{
		Issuer:         NewIssuer(t),
		Audience:       "flowsense",
		ClassifySender: "system:serviceaccount:flowsense-test:flowsense-classify",
		FeedbackSender: "system:serviceaccount:flowsense-test:flowsense-feedback",
		ClassifyToken:  "classify-token-0123456789abcdef",
		MetricsToken:   "metrics-token-0123456789abcdef",
	}
	a.Env = map[string]string{
		"FLOWSENSE_OIDC_ISSUER":   a.Issuer.URL,
		"FLOWSENSE_OIDC_AUDIENCE": a.Audience,
		"FLOWSENSE_NAMESPACE":     "flowsense-test",
		"FLOWSENSE_AUTH_CLASSIFY": "token=" + write("classify-token", a.ClassifyToken) + ",oidc=flowsense-classify",
		"FLOWSENSE_AUTH_FEEDBACK": "oidc=" + a.FeedbackSender,
		"FLOWSENSE_AUTH_METRICS":  "token=" + write("metrics-token", a.MetricsToken),
	}
	return a
}

// RunAuth is the credential suite of every host configured by a (its
// Env): OIDC tokens of the test's issuer are accepted only when signed by
// its key, unexpired, for the host's audience and of the issuer, and each
// route takes only its own credentials. Refusals are 401 (with
// WWW-Authenticate: Bearer) or 403, as problem documents, and move no
// metrics; the health probes stay open. dir holds the behaviour goldens.
func RunAuth(t *testing.T, dir string, do Doer, a *AuthSetup) {
	t.Helper()
	flows := SampleFlows(t, dir)
	flow, _ := json.Marshal(flows["PortScan"])
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	iss := a.Issuer
	good := func(sub string) string { return iss.Token(t, sub, a.Audience) }
	classifier := good(a.ClassifySender)
	expired := iss.Sign(t, iss.key, "k1", Claims{Issuer: iss.URL, Subject: a.ClassifySender, Audience: a.Audience, Expiry: time.Now().Add(-time.Minute)})
	wrongAud := iss.Sign(t, iss.key, "k1", Claims{Issuer: iss.URL, Subject: a.ClassifySender, Audience: "someone-else", Expiry: time.Now().Add(time.Hour)})
	wrongKey := iss.Sign(t, other, "k1", Claims{Issuer: iss.URL, Subject: a.ClassifySender, Audience: a.Audience, Expiry: time.Now().Add(time.Hour)})
	unknownKid := iss.Sign(t, other, "k2", Claims{Issuer: iss.URL, Subject: a.ClassifySender, Audience: a.Audience, Expiry: time.Now().Add(time.Hour)})
	wrongIss := iss.Sign(t, iss.key, "k1", Claims{Issuer: "https://evil.example", Subject: a.ClassifySender, Audience: a.Audience, Expiry: time.Now().Add(time.Hour)})
	none := iss.Unsigned(a.ClassifySender, a.Audience)
	tampered := func() string { // a good token whose claims were edited
		parts := strings.Split(classifier, ".")
		body, _ := json.Marshal(map[string]any{"iss": iss.URL, "sub": a.FeedbackSender, "aud": a.Audience, "exp": time.Now().Add(time.Hour).Unix()})
		return parts[0] + "." + base64.RawURLEncoding.EncodeToString(body) + "." + parts[2]
	}()

	type call struct {
		method, path, ct, auth string
		body                   []byte
	}
	predict := func(auth string) call { return call{"POST", "/predict", "application/json", auth, flow} }
	event := func(auth, typ string, data any) call {
		d, _ := json.Marshal(data)
		b, _ := json.Marshal(map[string]any{"specversion": "1.0", "id": "auth-1", "source": "/flowsense/test/auth", "type": typ, "datacontenttype": "application/json", "data": json.RawMessage(d)})
		return call{"POST", "/", "application/cloudevents+json", auth, b}
	}
	doCall := func(c call) (*http.Response, []byte) {
		t.Helper()
		req := httptest.NewRequest(c.method, c.path, strings.NewReader(string(c.body)))
		if c.ct != "" {
			req.Header.Set("Content-Type", c.ct)
		}
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		resp, err := do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		defer resp.Body.Close()
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			b.WriteString(string(buf[:n]))
			if err != nil {
				break
			}
		}
		return resp, []byte(b.String())
	}
	bearer := func(tok string) string { return "Bearer " + tok }
	metrics := func() map[string]float64 {
		t.Helper()
		resp, b := doCall(call{"GET", "/metrics", "", bearer(a.MetricsToken), nil})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("/metrics with the scraper's token: %d %s", resp.StatusCode, b)
		}
		out := map[string]float64{}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "flowsense_predictions_total{") || strings.HasPrefix(line, "flowsense_feedback_total{") {
				i := strings.LastIndexByte(line, ' ')
				var v float64
				_ = json.Unmarshal([]byte(line[i+1:]), &v)
				out[line[:i]] = v
			}
		}
		return out
	}

	// what opens: a genuine prediction, whose id the feedback sender quotes
	resp, b := doCall(predict(bearer(classifier)))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/predict with the classify sender's token: %d %s", resp.StatusCode, b)
	}
	var c struct{ ID string }
	if err := json.Unmarshal(b, &c); err != nil || c.ID == "" {
		t.Fatalf("/predict: %v %s", err, b)
	}
	before := metrics()

	refused := map[string]struct {
		c      call
		status int
	}{
		"no credential":                  {predict(""), 401},
		"not a bearer token":             {predict("Basic Zm9vOmJhcg=="), 401},
		"unknown static token":           {predict(bearer("not-a-token-of-this-deployment")), 401},
		"expired":                        {predict(bearer(expired)), 401},
		"wrong audience":                 {predict(bearer(wrongAud)), 401},
		"wrong key":                      {predict(bearer(wrongKey)), 401},
		"unknown key id":                 {predict(bearer(unknownKid)), 401},
		"another issuer":                 {predict(bearer(wrongIss)), 401},
		"alg none":                       {predict(bearer(none)), 401},
		"tampered claims":                {predict(bearer(tampered)), 401},
		"garbage jwt":                    {predict(bearer("a.b.c")), 401},
		"feedback with no credential":    {call{"POST", "/feedback", "application/json", "", []byte(`{"id": "` + c.ID + `", "truth": "BENIGN"}`)}, 401},
		"feedback by the classifier":     {call{"POST", "/feedback", "application/json", bearer(classifier), []byte(`{"id": "` + c.ID + `", "truth": "BENIGN"}`)}, 403},
		"feedback with the classify key": {call{"POST", "/feedback", "application/json", bearer(a.ClassifyToken), []byte(`{"id": "` + c.ID + `", "truth": "BENIGN"}`)}, 403},
		"feedback event by classifier":   {event(bearer(classifier), "io.flowsense.feedback.v1", map[string]string{"id": c.ID, "truth": "BENIGN"}), 403},
		"flow event by feedback sender":  {event(bearer(good(a.FeedbackSender)), "io.flowsense.flow.v1", flows["PortScan"]), 403},
		"flow event with no credential":  {event("", "io.flowsense.flow.v1", flows["PortScan"]), 401},
		"model with no credential":       {call{"GET", "/model.wasm", "", "", nil}, 401},
		"v2 infer with no credential":    {call{"POST", "/v2/models/flowsense/infer", "application/json", "", []byte(`{"inputs": []}`)}, 401},
		"v2 metadata by feedback sender": {call{"GET", "/v2", "", bearer(good(a.FeedbackSender)), nil}, 403},
		"metrics with no credential":     {call{"GET", "/metrics", "", "", nil}, 401},
		"metrics with the classify key":  {call{"GET", "/metrics", "", bearer(a.ClassifyToken), nil}, 403},
		"metrics by the classifier":      {call{"GET", "/metrics", "", bearer(classifier), nil}, 403},
		"predict by a stranger":          {predict(bearer(good("system:serviceaccount:other:flowsense-classify"))), 403},
		"predict with the metrics key":   {predict(bearer(a.MetricsToken)), 403},
	}
	for name, r := range refused {
		resp, b := doCall(r.c)
		var p struct {
			Type   string
			Status int
		}
		_ = json.Unmarshal(b, &p)
		if resp.StatusCode != r.status || p.Status != r.status || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
			t.Errorf("%s: %d %s %s, want %d as a problem document", name, resp.StatusCode, resp.Header.Get("Content-Type"), b, r.status)
		}
		if r.status == 401 && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: 401 without WWW-Authenticate: Bearer", name)
		}
	}
	if after := metrics(); !equalMaps(before, after) {
		t.Errorf("refused requests moved the metrics")
	}

	opened := map[string]struct {
		c      call
		status int
	}{
		"predict with the classify key":    {predict(bearer(a.ClassifyToken)), 200},
		"predict by the classify sender":   {predict(bearer(classifier)), 200},
		"flow event by the classifier":     {event(bearer(classifier), "io.flowsense.flow.v1", flows["PortScan"]), 200},
		"model.wasm with the classify key": {call{"GET", "/model.wasm", "", bearer(a.ClassifyToken), nil}, 200},
		"metadata with no credential":      {call{"GET", "/model", "", "", nil}, 200},
		"flow schema with no credential":   {call{"GET", "/schema/flow", "", "", nil}, 200},
		"feedback by the feedback sender":  {call{"POST", "/feedback", "application/json", bearer(good(a.FeedbackSender)), []byte(`{"id": "` + c.ID + `", "truth": "BENIGN"}`)}, 200},
		"liveness with no credential":      {call{"GET", "/health/liveness", "", "", nil}, 200},
		"readiness with no credential":     {call{"GET", "/health/readiness", "", "", nil}, 200},
		"v2 liveness with no credential":   {call{"GET", "/v2/health/live", "", "", nil}, 200},
		"v2 readiness with a bad token":    {call{"GET", "/v2/health/ready", "", bearer("not-a-token-of-this-deployment"), nil}, 200},
		"readiness with an expired token":  {call{"GET", "/health/readiness", "", bearer(expired), nil}, 200},
		"metrics with the scraper's token": {call{"GET", "/metrics", "", bearer(a.MetricsToken), nil}, 200},
	}
	for name, o := range opened {
		if resp, b := doCall(o.c); resp.StatusCode != o.status {
			t.Errorf("%s: %d %s, want %d", name, resp.StatusCode, b, o.status)
		}
	}
	if after := metrics(); after[`flowsense_feedback_total{predicted="`+labelOf(t, do, a, flow)+`",truth="BENIGN"}`] <= before[`flowsense_feedback_total{predicted="`+labelOf(t, do, a, flow)+`",truth="BENIGN"}`] {
		t.Errorf("the feedback sender's feedback was not counted")
	}
}

func labelOf(t *testing.T, do Doer, a *AuthSetup, flow []byte) string {
	t.Helper()
	req := httptest.NewRequest("POST", "/predict", strings.NewReader(string(flow)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+a.ClassifyToken)
	resp, err := do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ Label string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		t.Fatal(err)
	}
	return c.Label
}

func equalMaps(a, b map[string]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
