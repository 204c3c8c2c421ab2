package sensor

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/flowsense/flowsense/extract"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// privateFunction is a real flowsense function whose classify route takes
// one of tokens, behind a loopback server that records each request's
// Authorization header and calls after (if set) with it once a request
// is served.
func privateFunction(t *testing.T, after func(auth string), tokens ...string) (*httptest.Server, func() []string) {
	t.Helper()
	wasm, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	var p functions.Policy
	for _, tok := range tokens {
		p.Tokens = append(p.Tokens, []byte(tok))
	}
	s, err := functions.New(context.Background(), wasm, functions.WithAuth(functions.RouteClassify, p))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, r)
		mu.Lock()
		seen = append(seen, r.Header.Get("Authorization"))
		mu.Unlock()
		if after != nil {
			after(r.Header.Get("Authorization"))
		}
	}))
	t.Cleanup(func() { srv.Close(); _ = s.Close(context.Background()) })
	return srv, func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), seen...) }
}

// replaceFile writes v to path as kubelet updates a mounted Secret or a
// projected token: a new file renamed over the old one.
func replaceFile(t *testing.T, path, v string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(v), 0o600); err != nil {
		t.Error(err)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Error(err)
	}
}

// TestBearerTokenToPrivateFunction: a capture sent to a function whose
// classify route needs a token is refused without one (every flow
// rejected: 401) and delivered with BearerToken; the token file replaced
// after the first event is read again, so the next events carry the new
// token (the function knows both, as during a rotation).
func TestBearerTokenToPrivateFunction(t *testing.T) {
	const old, rotated = "sensor-token-old-0123456789", "sensor-token-new-0123456789"
	file := filepath.Join(t.TempDir(), "token")
	replaceFile(t, file, old+"\n")
	srv, seen := privateFunction(t, func(auth string) {
		if auth == "Bearer "+old {
			replaceFile(t, file, rotated)
		}
	}, old, rotated)
	mu, _ := ModelURL(srv.URL)
	fields, err := LoadFields(context.Background(), mu, http.DefaultClient)
	if err != nil {
		t.Fatal(err)
	}
	send := func(c *http.Client) Stats {
		t.Helper()
		s, err := NewSender(Config{Sink: srv.URL, Fields: fields, Batch: 4, Workers: 1, Retries: 1, Client: c})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ReadCaptures(context.Background(), []string{mixedPcap}, extract.Options{}, s); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s.Stats()
	}
	if st := send(http.DefaultClient); st.Rejected != st.Flows || st.Sent != 0 || st.Flows != 13 {
		t.Errorf("without a token: %+v, want all 13 flows rejected", st)
	}
	n := len(seen())
	bt, err := NewBearerToken(file, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	if st := send(&http.Client{Transport: bt}); st.Sent != 13 || st.Events != 4 || st.Rejected+st.Failed != 0 {
		t.Errorf("with the token: %+v, want 13 flows in 4 events delivered", st)
	}
	got := seen()[n:]
	want := []string{"Bearer " + old, "Bearer " + rotated, "Bearer " + rotated, "Bearer " + rotated}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("Authorization of each event: %q, want %q (the file re-read after the rotation)", got, want)
	}
}

// TestBearerTokenHosts: the token goes to the sink's host only; a
// request elsewhere carries none, and a token file gone fails the
// request, naming the file.
func TestBearerTokenHosts(t *testing.T) {
	var got sync.Map
	h := func(name string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Store(name, r.Header.Get("Authorization"))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	sinkSrv, other := h("sink"), h("other")
	file := filepath.Join(t.TempDir(), "token")
	replaceFile(t, file, "tok-0123456789")
	bt, err := NewBearerToken(file, sinkSrv.URL+"/", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: bt}
	for _, u := range []string{sinkSrv.URL + "/model", other.URL + "/model"} {
		resp, err := c.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if v, _ := got.Load("sink"); v != "Bearer tok-0123456789" {
		t.Errorf("the sink got %q", v)
	}
	if v, _ := got.Load("other"); v != "" {
		t.Errorf("another host got the sink's token: %q", v)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(sinkSrv.URL + "/model"); err == nil || !strings.Contains(err.Error(), file) {
		t.Errorf("token file gone: %v, want an error naming %s", err, file)
	}
}

func TestReadToken(t *testing.T) {
	dir := t.TempDir()
	write := func(name, v string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for content, want := range map[string]string{"  abc.def.ghi\n": "abc.def.ghi", "tok-0123456789 \n": "tok-0123456789", "tok\r\n": "tok"} {
		if tok, err := ReadToken(write("good", content)); err != nil || tok != want {
			t.Errorf("ReadToken(%q): %q %v, want %q", content, tok, err, want)
		}
	}
	for name, path := range map[string]string{
		"missing":   filepath.Join(dir, "absent"),
		"empty":     write("empty", "\n"),
		"two lines": write("two", "a\nb\n"),
		"too long":  write("long", strings.Repeat("x", MaxTokenBytes+1)),
	} {
		if _, err := ReadToken(path); err == nil || !strings.Contains(err.Error(), "token") {
			t.Errorf("%s: %v, want ErrToken", name, err)
		}
	}
}

// TestBearerTokenOrigin: the token goes to the sink's origin only: a
// request to http:// on the host and port of an https:// sink (a
// redirect, say) carries none, so the token is never sent in clear text.
func TestBearerTokenOrigin(t *testing.T) {
	var got sync.Map
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.URL.Path, r.Header.Get("Authorization"))
	}))
	t.Cleanup(plain.Close)
	file := filepath.Join(t.TempDir(), "token")
	replaceFile(t, file, "tok-0123456789")
	host := strings.TrimPrefix(plain.URL, "http://")
	for path, target := range map[string]string{"/https-sink": "https://" + host, "/http-sink": "http://" + host} {
		bt, err := NewBearerToken(file, target+"/", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := (&http.Client{Transport: bt}).Get(plain.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if v, _ := got.Load("/https-sink"); v != "" {
		t.Errorf("the token of https://%s went to http://%s: %q", host, host, v)
	}
	if v, _ := got.Load("/http-sink"); v != "Bearer tok-0123456789" {
		t.Errorf("the token of http://%s, to it: %q", host, v)
	}

	b := &BearerToken{Scheme: "https", Host: "Sink.example"}
	for u, want := range map[string]bool{
		"https://sink.example/":      true,
		"https://SINK.example:443/x": true,
		"http://sink.example/":       false,
		"http://sink.example:443/":   false,
		"https://sink.example:8443/": false,
		"https://other.example/":     false,
	} {
		pu, err := url.Parse(u)
		if err != nil {
			t.Fatal(err)
		}
		if got := b.matches(pu); got != want {
			t.Errorf("token for https://Sink.example, request %s: sent %v, want %v", u, got, want)
		}
	}
	if _, err := NewBearerToken(file, "ftp://sink.example/", nil); err == nil {
		t.Error("a token for ftp://: no error")
	}
}
