package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestBadInputs checks the status and the problem document of requests a
// client gets wrong, including those that need limits the golden suite
// cannot carry (an oversized body, too many flows, no time left).
func TestBadInputs(t *testing.T) {
	flows := sampleFlows(t)
	one, _ := json.Marshal(flows["BENIGN"])
	three, _ := json.Marshal([]any{flows["BENIGN"], flows["PortScan"], flows["SYN Flood"]})
	ce := func(h http.Header) http.Header {
		h.Set("Ce-Specversion", "1.0")
		h.Set("Ce-Source", "/t")
		if h.Get("Ce-Id") == "" {
			h.Set("Ce-Id", "x")
		}
		if h.Get("Ce-Type") == "" {
			h.Set("Ce-Type", "io.flowsense.flow.v1")
		}
		return h
	}
	batch := func(n int) string {
		var evs []string
		for i := range n {
			evs = append(evs, `{"specversion":"1.0","id":"b`+string(rune('a'+i))+`","source":"/t","type":"io.flowsense.flow.v1","data":`+string(one)+`}`)
		}
		return "[" + strings.Join(evs, ",") + "]"
	}
	cases := map[string]struct {
		opts   []Option
		path   string
		header http.Header
		body   string
		status int
		fields []string
	}{
		"wrong content type":         {header: http.Header{"Content-Type": {"application/xml"}}, body: "<flow/>", status: 415},
		"oversized body":             {opts: []Option{WithMaxBodyBytes(100)}, header: http.Header{"Content-Type": {"application/json"}}, body: string(one), status: 413},
		"oversized event":            {opts: []Option{WithMaxBodyBytes(100)}, path: "/", header: ce(http.Header{"Content-Type": {"application/json"}}), body: string(one), status: 413},
		"too many flows":             {opts: []Option{WithMaxFlows(2)}, header: http.Header{"Content-Type": {"application/json"}}, body: string(three), status: 413},
		"too many flows in an event": {opts: []Option{WithMaxFlows(2)}, path: "/", header: ce(http.Header{"Content-Type": {"application/json"}}), body: string(three), status: 413},
		"too many events in a batch": {opts: []Option{WithMaxFlows(2)}, path: "/", header: http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, body: batch(3), status: 413},
		"malformed JSON":             {header: http.Header{"Content-Type": {"application/json"}}, body: `{"Dst Port": `, status: 400},
		"not a flow":                 {header: http.Header{"Content-Type": {"application/json"}}, body: `"hello"`, status: 422},
		"unknown fields named":       {header: http.Header{"Content-Type": {"application/json"}}, body: `{"Dst Port": 1, "zz": 2, "aa": 3}`, status: 422, fields: []string{"aa", "zz"}},
		"event missing id":           {path: "/", header: http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Source": {"/t"}, "Ce-Type": {"io.flowsense.flow.v1"}}, body: string(one), status: 400},
		"event missing type":         {path: "/", header: http.Header{"Content-Type": {"application/cloudevents+json"}}, body: `{"specversion":"1.0","id":"a","source":"/t","data":` + string(one) + `}`, status: 400},
		"event of another type":      {path: "/", header: ce(http.Header{"Content-Type": {"application/json"}, "Ce-Type": {"com.example.x"}}), body: string(one), status: 400},
		"event without data":         {path: "/", header: ce(http.Header{}), body: "", status: 400},
		"batch that is not an array": {path: "/", header: http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, body: `{}`, status: 400},
		"empty batch":                {path: "/", header: http.Header{"Content-Type": {"application/cloudevents-batch+json"}}, body: `[]`, status: 400},
		"no time left":               {opts: []Option{WithTimeout(time.Nanosecond)}, header: http.Header{"Content-Type": {"application/json"}}, body: string(one), status: 503},
		"csv without data rows":      {header: http.Header{"Content-Type": {"text/csv"}}, body: "Dst Port\n", status: 422},
		"csv of binary junk":         {header: http.Header{"Content-Type": {"text/csv"}}, body: "\x1f\x8b\x08junk", status: 400},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, tc.opts...)
			path := tc.path
			if path == "" {
				path = "/predict"
			}
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(tc.body))
			req.Header = tc.header
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != MediaTypeProblem {
				t.Fatalf("content type %q, want %s", ct, MediaTypeProblem)
			}
			for k := range rec.Header() {
				if strings.HasPrefix(strings.ToLower(k), "ce-") {
					t.Errorf("an error answer carries event header %s", k)
				}
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem: %v: %s", err, rec.Body)
			}
			if p.Status != tc.status || p.Title == "" || !strings.HasPrefix(p.Type, "urn:flowsense:problem:") {
				t.Errorf("problem %+v", p)
			}
			if tc.fields != nil && !equalStrings(p.Fields, tc.fields) {
				t.Errorf("fields %v, want %v", p.Fields, tc.fields)
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestClosed: after Close, readiness and classification answer 503 and
// liveness still 200.
func TestClosed(t *testing.T) {
	s := newTestServer(t)
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	flows := sampleFlows(t)
	one, _ := json.Marshal(flows["BENIGN"])
	cases := map[string]struct {
		method, path string
		body         []byte
		status       int
	}{
		"readiness": {"GET", "/health/readiness", nil, 503},
		"liveness":  {"GET", "/health/liveness", nil, 200},
		"predict":   {"POST", "/predict", one, 503},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, tc.path, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
		})
	}
}
