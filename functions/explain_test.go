package functions

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	cesdk "github.com/cloudevents/sdk-go/v2"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/model"
)

var (
	explainOnce   sync.Once
	explainModel  *model.Model
	explainModule []byte
	explainErr    error
)

// newExplainServer serves the test model with node covers
// (functionstest.ExplainModel), whose module can explain.
func newExplainServer(t testing.TB) (*Server, *model.Model) {
	t.Helper()
	explainOnce.Do(func() {
		if explainModel, explainErr = functionstest.ExplainModel(); explainErr == nil {
			explainModule, explainErr = functionstest.ExplainModelWasm()
		}
	})
	if explainErr != nil {
		t.Fatal(explainErr)
	}
	ctx := context.Background()
	s, err := New(ctx, explainModule, withClock(func() time.Time { return fixedTime }), WithSource("/flowsense/test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(ctx) })
	return s, explainModel
}

// wantExplanation is the native explainer's answer for a flow, in wire
// form.
func wantExplanation(t testing.TB, s *Server, m *model.Model, flow map[string]any, n int) *cloudevents.Explanation {
	t.Helper()
	b, _ := json.Marshal(flow)
	flows, err := s.dec.Decode(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	x, err := model.NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	var e model.Explanation
	if err := x.Explain(flows.Rows, n, &e); err != nil {
		t.Fatal(err)
	}
	return cloudevents.Explain(&m.Schema, m.Classes, &e)
}

func sameExplanation(t testing.TB, what string, got, want *cloudevents.Explanation) {
	t.Helper()
	if got == nil {
		t.Fatalf("%s: no explanation", what)
		return
	}
	near := func(a, b float64) bool { return math.Abs(a-b) <= 1e-9*(1+math.Abs(b)) }
	bad := got.Class != want.Class || !near(got.Margin, want.Margin) || !near(got.Bias, want.Bias) ||
		len(got.Features) != len(want.Features) || len(got.Outlier) != len(want.Outlier)
	for i := 0; !bad && i < len(want.Features); i++ {
		g, w := got.Features[i], want.Features[i]
		bad = g.Name != w.Name || !near(g.Contribution, w.Contribution)
	}
	for i := 0; !bad && i < len(want.Outlier); i++ {
		g, w := got.Outlier[i], want.Outlier[i]
		bad = g.Name != w.Name || !near(g.Contribution, w.Contribution) || !near(g.Mean, w.Mean) || !near(g.Z, w.Z)
	}
	if bad {
		gj, _ := json.Marshal(got)
		wj, _ := json.Marshal(want)
		t.Fatalf("%s: explanation\n%s\nwant (native explainer)\n%s", what, gj, wj)
	}
}

func xpost(t testing.TB, s *Server, target, ct, body string, hdr map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	r.Header.Set("Content-Type", ct)
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

// TestPredictExplain: /predict?explain=N adds the native explainer's top
// N to each answer; without it the answers carry none.
func TestPredictExplain(t *testing.T) {
	s, m := newExplainServer(t)
	flows := sampleFlows(t)
	for class, flow := range flows {
		b, _ := json.Marshal(flow)
		w := xpost(t, s, "/predict?explain=3", "application/json", string(b), nil)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", class, w.Code, w.Body)
		}
		var c cloudevents.Classification
		if err := json.Unmarshal(w.Body.Bytes(), &c); err != nil {
			t.Fatal(err)
		}
		want := wantExplanation(t, s, m, flow, 3)
		sameExplanation(t, class, c.Explanation, want)
		if len(c.Explanation.Features) != 3 || len(c.Explanation.Outlier) != 3 || c.Explanation.Class != c.Label {
			t.Fatalf("%s: %d features and %d outlier shares for class %q (label %q), want 3 and 3", class, len(c.Explanation.Features), len(c.Explanation.Outlier), c.Explanation.Class, c.Label)
		}
		// off by default, and explain=0 is off
		for _, target := range []string{"/predict", "/predict?explain=0"} {
			w := xpost(t, s, target, "application/json", string(b), nil)
			if w.Code != 200 || strings.Contains(w.Body.String(), "explanation") {
				t.Fatalf("%s %s: %d %s", class, target, w.Code, w.Body)
			}
		}
	}
	// an array of flows: one explanation each
	var arr []map[string]any
	for _, f := range flows {
		arr = append(arr, f)
	}
	b, _ := json.Marshal(arr)
	w := xpost(t, s, "/predict?explain=100", "application/json", string(b), nil)
	var cs []cloudevents.Classification
	if err := json.Unmarshal(w.Body.Bytes(), &cs); err != nil || len(cs) != len(arr) {
		t.Fatalf("%d %s: %v", w.Code, w.Body, err)
	}
	for i := range cs {
		sameExplanation(t, "array", cs[i].Explanation, wantExplanation(t, s, m, arr[i], 100))
		// every feature: bias plus the contributions is the margin
		sum := cs[i].Explanation.Bias
		for _, f := range cs[i].Explanation.Features {
			sum += f.Contribution
		}
		if math.Abs(sum-cs[i].Explanation.Margin) > 1e-9*(1+math.Abs(sum)) {
			t.Fatalf("flow %d: bias + contributions %v, margin %v", i, sum, cs[i].Explanation.Margin)
		}
	}
}

// TestPredictExplainBad: a bad explain value is a 400 problem; a model
// without covers answers 422 when asked and as before when not.
func TestPredictExplainBad(t *testing.T) {
	s, _ := newExplainServer(t)
	flow, _ := json.Marshal(sampleFlows(t)["PortScan"])
	for _, q := range []string{"explain=-1", "explain=x", "explain=", "explain=1.5", "explain=99999999", "explain=1&explain=2"} {
		w := xpost(t, s, "/predict?"+q, "application/json", string(flow), nil)
		if w.Code != 400 || w.Header().Get("Content-Type") != MediaTypeProblem || !strings.Contains(w.Body.String(), "urn:flowsense:problem:explain") {
			t.Errorf("%s: %d %s %s", q, w.Code, w.Header().Get("Content-Type"), w.Body)
		}
	}
	plain := newTestServer(t) // the test model has no covers
	w := xpost(t, plain, "/predict?explain=2", "application/json", string(flow), nil)
	if w.Code != 422 || !strings.Contains(w.Body.String(), "cannot-explain") {
		t.Errorf("no covers: %d %s", w.Code, w.Body)
	}
	if w := xpost(t, plain, "/predict", "application/json", string(flow), nil); w.Code != 200 {
		t.Errorf("no covers, not asked: %d %s", w.Code, w.Body)
	}
}

// TestEventExplain: the CloudEvents reply carries the explanation in its
// data when the event has the explain extension attribute (sdk-go's own
// client, binary and structured) or the request ?explain=N; Handle (the
// Knative entry point) reads the attribute too.
func TestEventExplain(t *testing.T) {
	s, m := newExplainServer(t)
	flows := sampleFlows(t)
	ts := httptest.NewServer(s)
	defer ts.Close()
	ctx := context.Background()
	for name, target := range map[string]string{"extension": ts.URL, "query": ts.URL + "/?explain=2"} {
		client, err := cesdk.NewClientHTTP(cehttp.WithTarget(target))
		if err != nil {
			t.Fatal(err)
		}
		for enc, cctx := range map[string]context.Context{"binary": cesdk.WithEncodingBinary(ctx), "structured": cesdk.WithEncodingStructured(ctx)} {
			in := flowEvent(t, "explain-"+enc, flows["SYN Flood"])
			if name == "extension" {
				in.SetExtension("explain", 2)
			}
			reply, res := client.Request(cctx, in)
			if !cesdk.IsACK(res) {
				t.Fatalf("%s %s: %v", name, enc, res)
			}
			checkReply(t, in.ID(), reply, "malicious", "synflood")
			var c cloudevents.Classification
			if err := reply.DataAs(&c); err != nil {
				t.Fatal(err)
			}
			sameExplanation(t, name+" "+enc, c.Explanation, wantExplanation(t, s, m, flows["SYN Flood"], 2))
		}
	}
	in := flowEvent(t, "handle-1", flows["PortScan"])
	in.SetExtension("explain", "4")
	out, err := s.Handle(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	var c cloudevents.Classification
	if err := out.DataAs(&c); err != nil {
		t.Fatal(err)
	}
	sameExplanation(t, "Handle", c.Explanation, wantExplanation(t, s, m, flows["PortScan"], 4))
	in.SetExtension("explain", "lots")
	if _, err := s.Handle(ctx, in); StatusOf(err) != 400 {
		t.Fatalf("bad explain attribute: %v (status %d)", err, StatusOf(err))
	}
	// no attribute: no explanation
	plain := flowEvent(t, "handle-2", flows["PortScan"])
	out, err = s.Handle(ctx, plain)
	if err != nil || bytes.Contains(out.Data(), []byte("explanation")) {
		t.Fatalf("no attribute: %v %s", err, out.Data())
	}
}
