package cloudevents

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/model"
)

func TestFlowClass(t *testing.T) {
	cases := map[string]string{
		"BENIGN":                "benign",
		"Brute Force":           "bruteforce",
		"DDoS-PSH-ACK":          "ddospshack",
		"DoS Slowhttptest":      "dosslowhttptest",
		"Web Attack \u2013 XSS": "webattackxss",
		"normal.":               "normal",
		"u2r":                   "u2r",
		"":                      "unknown",
		"--":                    "unknown",
	}
	for in, want := range cases {
		t.Run(in, func(t *testing.T) {
			got := FlowClass(in)
			if got != want {
				t.Fatalf("FlowClass(%q) = %q, want %q", in, got, want)
			}
			for _, c := range []byte(got) {
				if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
					t.Fatalf("%q is not lowercase alphanumeric", got)
				}
			}
		})
	}
}

func TestIsJSON(t *testing.T) {
	cases := map[string]bool{
		"":                                true,
		"application/json":                true,
		"application/json; charset=utf-8": true,
		"text/json":                       true,
		"application/vnd.flow+json":       true,
		"text/plain":                      false,
		"application/octet-stream":        false,
		"application/json; =":             false,
	}
	for in, want := range cases {
		if got := IsJSON(in); got != want {
			t.Errorf("IsJSON(%q) = %v, want %v", in, got, want)
		}
	}
}

func flowEvent(id string, data string) event.Event {
	e := event.New()
	e.SetID(id)
	e.SetSource("/probe")
	e.SetType(TypeFlow)
	e.SetDataContentType(ContentTypeJSON)
	e.DataEncoded = []byte(data)
	return e
}

func TestValidateFlowEvent(t *testing.T) {
	cases := map[string]struct {
		edit func(*event.Event)
		err  error
	}{
		"good":            {func(*event.Event) {}, nil},
		"no content type": {func(e *event.Event) { e.SetDataContentType("") }, nil},
		"missing id":      {func(e *event.Event) { e.SetID("") }, ErrEvent},
		"missing source":  {func(e *event.Event) { e.SetSource("") }, ErrEvent},
		"missing type":    {func(e *event.Event) { e.SetType("") }, ErrEvent},
		"another type":    {func(e *event.Event) { e.SetType(TypeClassified) }, ErrEvent},
		"no data":         {func(e *event.Event) { e.DataEncoded = nil }, ErrEvent},
		"data not JSON":   {func(e *event.Event) { e.SetDataContentType("text/csv") }, ErrContentType},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := flowEvent("a", `{"Dst Port": 1}`)
			tc.edit(&e)
			err := ValidateFlowEvent(&e)
			if !errors.Is(err, tc.err) || (tc.err == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
		})
	}
	if err := ValidateFlowEvent(nil); !errors.Is(err, ErrEvent) {
		t.Errorf("nil event: %v", err)
	}
}

func TestReply(t *testing.T) {
	classes := []string{"BENIGN", "Port Scan", "DDoS"}
	ref := ModelRef{Name: "m", SHA256: "ab"}
	benign := Classify(classes, 0, []float64{0.9, 0.05, 0.05}, 1, model.Benign, ref)
	anomalous := Classify(classes, 0, []float64{0.8, 0.1, 0.1}, 99, model.Anomalous, ref)
	scan := Classify(classes, 1, []float64{0.1, 0.8, 0.1}, 3, model.Malicious, ref)
	ddos := Classify(classes, 2, []float64{0.1, 0.1, 0.8}, 3, model.Malicious, ref)
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := map[string]struct {
		results        []Classification
		single         bool
		verdict, class string
		array          bool
	}{
		"one benign":            {[]Classification{benign}, true, "benign", "benign", false},
		"one malicious":         {[]Classification{scan}, true, "malicious", "portscan", false},
		"one flow in a list":    {[]Classification{scan}, false, "malicious", "portscan", true},
		"worst wins":            {[]Classification{benign, anomalous, ddos, scan}, false, "malicious", "ddos", true},
		"anomalous over benign": {[]Classification{benign, anomalous}, false, "anomalous", "benign", true},
	}
	in := flowEvent("in-1", `{}`)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := Reply(&in, "/fn", tc.results, tc.single, now)
			if err != nil {
				t.Fatal(err)
			}
			if err := out.Validate(); err != nil {
				t.Fatal(err)
			}
			if out.Type() != TypeClassified || out.Subject() != "in-1" || out.Source() != "/fn" || !out.Time().Equal(now) {
				t.Errorf("attributes %v", out.Context)
			}
			if out.ID() != ReplyID(&in) || out.ID() == ReplyID(ptr(flowEvent("in-2", `{}`))) {
				t.Errorf("id %q is not the reply id of in-1 alone", out.ID())
			}
			ext := out.Extensions()
			if ext[ExtVerdict] != tc.verdict || ext[ExtFlowClass] != tc.class {
				t.Errorf("extensions %v, want verdict %s flowclass %s", ext, tc.verdict, tc.class)
			}
			if out.DataBase64 || out.DataContentType() != ContentTypeJSON {
				t.Errorf("data is not plain JSON: base64 %v, %q", out.DataBase64, out.DataContentType())
			}
			var got any
			if err := json.Unmarshal(out.Data(), &got); err != nil {
				t.Fatal(err)
			}
			if _, isArray := got.([]any); isArray != tc.array {
				t.Errorf("data %s: array %v, want %v", out.Data(), isArray, tc.array)
			}
		})
	}
	if _, err := Reply(&in, "/fn", nil, true, now); !errors.Is(err, ErrEvent) {
		t.Errorf("no results: %v", err)
	}
}

func ptr[T any](v T) *T { return &v }
