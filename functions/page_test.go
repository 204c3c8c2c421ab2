package functions

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/functions/web"
)

// TestPageRoutes: the page and its assets answer GET and HEAD with their
// content types; POST / stays the CloudEvents endpoint; other methods are
// 405 with an Allow header naming what the path takes.
func TestPageRoutes(t *testing.T) {
	s := newTestServer(t)
	event := readReq(t, "ce_structured")
	eventBody, err := io.ReadAll(event.Body)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		method, path, ctype string
		body                []byte
		header              http.Header
		status              int
		wantType            string // prefix of the answer's Content-Type
		wantBody            string // substring of the answer
		allow               string
	}{
		"GET / is the page":         {method: "GET", path: "/", status: 200, wantType: "text/html", wantBody: `<script src="static/app.js"`},
		"HEAD / has no body":        {method: "HEAD", path: "/", status: 200, wantType: "text/html"},
		"GET the script":            {method: "GET", path: "/static/app.js", status: 200, wantType: "text/javascript", wantBody: "WebAssembly"},
		"GET the style sheet":       {method: "GET", path: "/static/style.css", status: 200, wantType: "text/css", wantBody: "--malicious"},
		"POST / is CloudEvents":     {method: "POST", path: "/", ctype: event.Header.Get("Content-Type"), body: eventBody, status: 200, wantType: "application/cloudevents+json", wantBody: "io.flowsense.flow.classified.v1"},
		"PUT / is 405":              {method: "PUT", path: "/", status: 405, wantType: MediaTypeProblem, allow: "GET, HEAD, POST"},
		"DELETE / is 405":           {method: "DELETE", path: "/", status: 405, wantType: MediaTypeProblem, allow: "GET, HEAD, POST"},
		"POST the script is 405":    {method: "POST", path: "/static/app.js", body: []byte("x"), status: 405, wantType: MediaTypeProblem, allow: "GET, HEAD"},
		"a trailing slash is 404":   {method: "POST", path: "/predict/", body: []byte("{}"), status: 404, wantType: MediaTypeProblem},
		"an unclean path is 404":    {method: "GET", path: "//model", status: 404, wantType: MediaTypeProblem},
		"a dot segment is 404":      {method: "GET", path: "/static/../model", status: 404, wantType: MediaTypeProblem},
		"an unknown asset is 404":   {method: "GET", path: "/static/nope.js", status: 404, wantType: MediaTypeProblem},
		"the extractor, gzip":       {method: "GET", path: "/static/extract.wasm", header: http.Header{"Accept-Encoding": {"gzip, br"}}, status: 200, wantType: "application/wasm"},
		"the extractor refused 406": {method: "GET", path: "/static/extract.wasm", header: http.Header{"Accept-Encoding": {"identity"}}, status: 406, wantType: MediaTypeProblem, wantBody: `"type":"urn:flowsense:problem:not-acceptable"`},
		"HEAD the extractor, 406":   {method: "HEAD", path: "/static/extract.wasm", status: 406, wantType: MediaTypeProblem},
		"GET /predict is still 405": {method: "GET", path: "/predict", status: 405, wantType: MediaTypeProblem, allow: "POST"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := httptest.NewRequest(c.method, c.path, bytes.NewReader(c.body))
			if c.ctype != "" {
				r.Header.Set("Content-Type", c.ctype)
			}
			for k, v := range c.header {
				r.Header[k] = v
			}
			if c.method == "POST" && c.path == "/" {
				for k, v := range event.Header {
					r.Header[k] = v
				}
			}
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != c.status {
				t.Fatalf("status %d, want %d: %s", w.Code, c.status, w.Body.String())
			}
			if got := w.Header().Get("Content-Type"); !strings.HasPrefix(got, c.wantType) {
				t.Errorf("Content-Type %q, want %q", got, c.wantType)
			}
			if !strings.Contains(w.Body.String(), c.wantBody) {
				t.Errorf("body does not contain %q:\n%.300s", c.wantBody, w.Body.String())
			}
			if c.allow != "" {
				if got := w.Header().Get("Allow"); got != c.allow {
					t.Errorf("Allow %q, want %q", got, c.allow)
				}
			}
			if c.method == "HEAD" && c.status == 200 && w.Body.Len() != 0 { // net/http drops the body of an error answer to HEAD
				t.Errorf("HEAD answered %d body bytes", w.Body.Len())
			}
		})
	}
}

// TestPageConditional: the page's files carry an ETag, and a request
// that already has it gets 304.
func TestPageConditional(t *testing.T) {
	s := newTestServer(t)
	for _, p := range web.Paths() {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", p, nil)
		r.Header.Set("Accept-Encoding", "gzip") // the extractor is served gzip only
		s.ServeHTTP(w, r)
		etag := w.Header().Get("ETag")
		if w.Code != 200 || etag == "" {
			t.Fatalf("GET %s: status %d, ETag %q", p, w.Code, etag)
		}
		r = httptest.NewRequest("GET", p, nil)
		r.Header.Set("Accept-Encoding", "gzip")
		r.Header.Set("If-None-Match", etag)
		w = httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusNotModified {
			t.Errorf("GET %s with If-None-Match: status %d, want 304", p, w.Code)
		}
	}
}

// TestPageProblem: a 405 on the page is a problem document like any other.
func TestPageProblem(t *testing.T) {
	s := newTestServer(t)
	w := httptest.NewRecorder()
	s.ServeHTTP(w, httptest.NewRequest("PATCH", "/", nil))
	var p Problem
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatalf("405 body is not JSON: %v\n%s", err, w.Body.String())
	}
	if p.Status != http.StatusMethodNotAllowed || !strings.Contains(p.Detail, "PATCH /") {
		t.Errorf("problem %+v, want status 405 naming PATCH /", p)
	}
}
