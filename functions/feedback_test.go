package functions

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/cloudevents"
)

// TestFeedbackBadInputs: feedback a client gets wrong is answered with the
// status and problem a client can act on, and counts nothing.
func TestFeedbackBadInputs(t *testing.T) {
	good := `{"predicted": "BENIGN", "truth": "PortScan"}`
	ceBinary := func(ct string) http.Header {
		h := http.Header{"Ce-Specversion": {"1.0"}, "Ce-Id": {"x"}, "Ce-Source": {"/t"}, "Ce-Type": {cloudevents.TypeFeedback}}
		if ct != "" {
			h.Set("Content-Type", ct)
		}
		return h
	}
	structured := func(data string) string {
		return `{"specversion": "1.0", "id": "s", "source": "/t", "type": "` + cloudevents.TypeFeedback + `", "data": ` + data + `}`
	}
	batch := `[` + structured(good) + `, ` + structured(`{"predicted": "BENIGN"}`) + `]`
	cases := map[string]struct {
		opts   []Option
		path   string
		header http.Header
		body   string
		status int
		ptype  string
		fields []string
	}{
		"malformed":              {header: jsonHeader, body: `{"predicted": `, status: 400, ptype: "malformed"},
		"label not a string":     {header: jsonHeader, body: `{"predicted": 3, "truth": "BENIGN"}`, status: 400, ptype: "field-value", fields: []string{"predicted"}},
		"no content type":        {header: http.Header{}, body: good, status: 415, ptype: "content-type"},
		"csv":                    {header: http.Header{"Content-Type": {"text/csv"}}, body: "predicted,truth\nBENIGN,BENIGN\n", status: 415, ptype: "content-type"},
		"unknown label":          {header: jsonHeader, body: `{"predicted": "BENIGN", "truth": "Heartbleed"}`, status: 422, ptype: "unknown-label", fields: []string{"truth"}},
		"unknown label in array": {header: jsonHeader, body: `[` + good + `, {"predicted": "benign", "truth": "BENIGN"}]`, status: 422, ptype: "unknown-label", fields: []string{"predicted"}},
		"not feedback":           {header: jsonHeader, body: `"BENIGN"`, status: 422, ptype: "not-feedback"},
		"missing truth":          {header: jsonHeader, body: `{"predicted": "BENIGN"}`, status: 422, ptype: "not-feedback", fields: []string{"truth"}},
		"empty array":            {header: jsonHeader, body: `[]`, status: 422, ptype: "not-feedback"},
		"unknown member":         {header: jsonHeader, body: `{"predicted": "BENIGN", "truth": "BENIGN", "flow": 1}`, status: 422, ptype: "unknown-field", fields: []string{"flow"}},
		"oversized body":         {opts: []Option{WithMaxBodyBytes(20)}, header: jsonHeader, body: good, status: 413, ptype: "too-large"},
		"too many items":         {opts: []Option{WithMaxFlows(2)}, header: jsonHeader, body: `[` + good + `,` + good + `,` + good + `]`, status: 413, ptype: "too-many-flows"},
		"get":                    {header: jsonHeader, body: good, status: 405, ptype: "method"},
		"event unknown label":    {path: "/", header: ceBinary("application/json"), body: `{"predicted": "x", "truth": "BENIGN"}`, status: 422, ptype: "unknown-label"},
		"event malformed data":   {path: "/", header: ceBinary("application/json"), body: `{`, status: 400, ptype: "malformed"},
		"event data not JSON":    {path: "/", header: ceBinary("text/plain"), body: good, status: 415, ptype: "content-type"},
		"event missing id":       {path: "/", header: http.Header{"Content-Type": {cloudevents.MediaTypeStructured}}, body: `{"specversion": "1.0", "source": "/t", "type": "` + cloudevents.TypeFeedback + `", "data": ` + good + `}`, status: 400, ptype: "event"},
		"batch with a bad item":  {path: "/", header: http.Header{"Content-Type": {cloudevents.MediaTypeBatch}}, body: batch, status: 422, ptype: "not-feedback"},
		"structured oversized":   {opts: []Option{WithMaxBodyBytes(64)}, path: "/", header: http.Header{"Content-Type": {cloudevents.MediaTypeStructured}}, body: structured(good), status: 413, ptype: "too-large"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := newTestServer(t, tc.opts...)
			path, method := tc.path, http.MethodPost
			if path == "" {
				path = "/feedback"
			}
			if name == "get" {
				method = http.MethodGet
			}
			req := httptest.NewRequest(method, path, strings.NewReader(tc.body))
			req.Header = tc.header
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.status, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != MediaTypeProblem {
				t.Fatalf("content type %q, want %s", ct, MediaTypeProblem)
			}
			var p Problem
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
				t.Fatalf("problem: %v: %s", err, rec.Body)
			}
			if p.Status != tc.status || p.Type != "urn:flowsense:problem:"+tc.ptype || p.Title == "" {
				t.Errorf("problem %+v, want type %s", p, tc.ptype)
			}
			if tc.fields != nil && !equalStrings(p.Fields, tc.fields) {
				t.Errorf("fields %v, want %v", p.Fields, tc.fields)
			}
			mfs := scrape(t, s)
			for _, m := range mfs["flowsense_feedback_total"].GetMetric() {
				if m.GetCounter().GetValue() != 0 {
					t.Errorf("bad feedback was counted: %v", m)
				}
			}
			if n := value(mfs, "flowsense_feedback_window_items"); n != 0 {
				t.Errorf("bad feedback entered the accuracy window: %v items", n)
			}
		})
	}
}

// FuzzFeedback: any body to POST /feedback, and as the data of a binary
// feedback event, is answered below 500; a 2xx counts what it says.
func FuzzFeedback(f *testing.F) {
	for _, s := range []string{
		`{"predicted": "PortScan", "truth": "BENIGN"}`, `[{"predicted": "BENIGN", "truth": "BENIGN"}, {"predicted": "Slow DoS", "truth": "SYN Flood"}]`,
		`[]`, `{}`, `{"predicted": null, "truth": "BENIGN"}`, `[{"predicted": "BENIGN", "truth": "BENIGN", "x": 1}]`, `"BENIGN"`,
	} {
		f.Add([]byte(s))
	}
	s := fuzzServer(f)
	binary := http.Header{"Content-Type": {"application/json"}, "Ce-Specversion": {"1.0"}, "Ce-Id": {"f"}, "Ce-Source": {"/f"}, "Ce-Type": {cloudevents.TypeFeedback}}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := post(t, s, "/feedback", jsonHeader, body)
		if rec.Code >= 500 || (rec.Code != http.StatusOK && rec.Header().Get("Content-Type") != MediaTypeProblem) {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if rec.Code == http.StatusOK {
			var sum FeedbackSummary
			if err := json.Unmarshal(rec.Body.Bytes(), &sum); err != nil || sum.Accepted < 1 || sum.Correct > sum.Accepted {
				t.Fatalf("summary %s: %v", rec.Body, err)
			}
		}
		serveFuzz(t, s, "/", binary.Clone(), body)
	})
}
