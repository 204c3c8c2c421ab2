package functions

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// fuzzServer is one server for every fuzz input (loading a module per
// input would be most of the time).
func fuzzServer(f *testing.F) *Server {
	return newTestServer(f, WithMaxFlows(50), WithMaxBodyBytes(1<<16))
}

// seedBodies adds the bodies of the golden requests whose content type
// passes keep.
func seedBodies(f *testing.F, keep func(http.Header) bool) {
	paths, _ := filepath.Glob(filepath.Join(behaviourDir, "*.req"))
	for _, p := range paths {
		r := readReq(f, strings.TrimSuffix(filepath.Base(p), ".req"))
		if !keep(r.Header) {
			continue
		}
		var b bytes.Buffer
		_, _ = b.ReadFrom(r.Body)
		f.Add(b.Bytes())
	}
}

// serveFuzz sends body and fails on a 5xx (a panic is answered 500).
func serveFuzz(t *testing.T, s *Server, path string, h http.Header, body []byte) {
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header = h
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
	}
	if rec.Code >= 300 && rec.Header().Get("Content-Type") != MediaTypeProblem {
		t.Fatalf("status %d without a problem document", rec.Code)
	}
}

// FuzzPredictJSON: any JSON body to /predict is answered below 500.
func FuzzPredictJSON(f *testing.F) {
	seedBodies(f, func(h http.Header) bool { return h.Get("Content-Type") == "application/json" && h.Get("Ce-Id") == "" })
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, s, "/predict", http.Header{"Content-Type": {"application/json"}}, body)
	})
}

// FuzzPredictCSV: any CSV upload is answered below 500.
func FuzzPredictCSV(f *testing.F) {
	seedBodies(f, func(h http.Header) bool { return h.Get("Content-Type") == "text/csv" })
	f.Add([]byte("\x1f\x8b\x08\x00"))
	f.Add([]byte("Dst Port,Protocol\r\n80,6\r\n\"unterminated"))
	s := fuzzServer(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, s, "/predict", http.Header{"Content-Type": {"text/csv"}}, body)
	})
}

// FuzzEvents: any body in the structured and batch encodings, and any
// binary event data, is answered below 500.
func FuzzEvents(f *testing.F) {
	seedBodies(f, func(h http.Header) bool {
		return strings.HasPrefix(h.Get("Content-Type"), "application/cloudevents") || h.Get("Ce-Id") != ""
	})
	s := fuzzServer(f)
	binary := http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"f"}, "Ce-Source": {"/f"}, "Ce-Type": {"io.flowsense.flow.v1"}}
	f.Fuzz(func(t *testing.T, body []byte) {
		serveFuzz(t, s, "/", http.Header{"Content-Type": {"application/cloudevents+json"}}, body)
		serveFuzz(t, s, "/", http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, body)
		serveFuzz(t, s, "/", binary.Clone(), body)
	})
}
