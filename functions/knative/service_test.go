package function

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cesdk "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"
	fhttp "knative.dev/func-go/http"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// funcGoProbes are the golden cases of paths func-go's service answers
// itself (its mux routes /health/readiness and /health/liveness to Ready
// and Alive, never to Handle); TestFuncGoProbes checks those instead.
var funcGoProbes = map[string]bool{"health_readiness": true, "health_liveness": true}

// TestBehaviour runs the golden suite against the function served by
// func-go's own service on a loopback port, with the model the goldens
// were recorded with loaded from FLOWSENSE_MODEL.
func TestBehaviour(t *testing.T) {
	dir := t.TempDir()
	cases, err := functionstest.Cases(behaviourDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		if funcGoProbes[c.Name] {
			continue
		}
		for _, ext := range []string{".req", ".golden"} {
			b, err := os.ReadFile(filepath.Join(behaviourDir, c.Name+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, c.Name+ext), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		n++
	}
	if n < len(cases)-len(funcGoProbes) || n == 0 {
		t.Fatalf("%d of %d cases copied", n, len(cases))
	}
	t.Setenv(EnvSource, "/flowsense/test") // the source the goldens were recorded with
	base := startService(t, testModelPath(t))
	functionstest.Run(t, dir, functionstest.URLDoer(base, http.DefaultClient), false)
}

// TestFuncGoProbes: func-go answers the probes from Ready and Alive: 503
// before Start has loaded the model and after Stop, 200 in between; Handle
// answers 503 with a problem document while there is no model.
func TestFuncGoProbes(t *testing.T) {
	f := New()
	ts := httptest.NewServer(fhttp.New(f).Handler)
	defer ts.Close()
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	type want struct {
		ready, alive, model int
	}
	check := func(stage string, w want) {
		t.Helper()
		if code, _, body := get("/health/readiness"); code != w.ready {
			t.Errorf("%s: readiness %d %q, want %d", stage, code, body, w.ready)
		}
		if code, _, body := get("/health/liveness"); code != w.alive {
			t.Errorf("%s: liveness %d %q, want %d", stage, code, body, w.alive)
		}
		code, ct, body := get("/model")
		if code != w.model {
			t.Errorf("%s: GET /model %d %q, want %d", stage, code, body, w.model)
		}
		if code == http.StatusServiceUnavailable && ct != functions.MediaTypeProblem {
			t.Errorf("%s: GET /model answered %s, want a problem document", stage, ct)
		}
	}
	check("before Start", want{503, 200, 503})
	if err := f.Start(context.Background(), map[string]string{}); err != nil {
		t.Fatal(err)
	}
	check("started", want{200, 200, 200})
	if err := f.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("stopped", want{503, 200, 503})
}

// flowEvent is a TypeFlow event carrying data.
func flowEvent(t *testing.T, id string, data any) event.Event {
	t.Helper()
	e := cesdk.NewEvent()
	e.SetID(id)
	e.SetSource("/test/knative")
	e.SetType(cloudevents.TypeFlow)
	if err := e.SetData(cesdk.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return e
}

// checkReply asserts the contract of a reply to the event with id in.
func checkReply(t *testing.T, in string, got *event.Event, wantVerdict, wantClass string) {
	t.Helper()
	if got == nil {
		t.Fatalf("reply to %s: no event", in)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("reply to %s does not validate: %v", in, err)
	}
	if got.Type() != cloudevents.TypeClassified || got.Subject() != in {
		t.Errorf("reply to %s: type %q subject %q", in, got.Type(), got.Subject())
	}
	if got.Source() != "urn:flowsense:knative:flowsense-test" {
		t.Errorf("reply to %s: source %q, want the one K_SERVICE names", in, got.Source())
	}
	ext := got.Extensions()
	if ext[cloudevents.ExtVerdict] != wantVerdict || ext[cloudevents.ExtFlowClass] != wantClass {
		t.Errorf("reply to %s: extensions %v, want verdict %q flowclass %q", in, ext, wantVerdict, wantClass)
	}
	var c cloudevents.Classification
	if err := got.DataAs(&c); err != nil {
		t.Fatalf("reply to %s: data: %v (%s)", in, err, got.Data())
	}
	if cloudevents.FlowClass(c.Label) != wantClass || c.Verdict != wantVerdict {
		t.Errorf("reply to %s: data label %q verdict %q", in, c.Label, c.Verdict)
	}
	if c.Probability != c.Probabilities[c.Label] || c.Probability <= 0 || c.Model.Name != "functions-test" || len(c.Model.SHA256) != 64 {
		t.Errorf("reply to %s: data %+v", in, c)
	}
}

// TestSDKClient: sdk-go's client sends binary and structured events, and
// its request helpers a batch, to the function served by func-go on
// loopback; the replies are read with sdk-go.
func TestSDKClient(t *testing.T) {
	t.Setenv(EnvService, "flowsense-test")
	base := startService(t, testModelPath(t))
	flows := sampleFlows(t)
	ctx := context.Background()
	client, err := cesdk.NewClientHTTP(cehttp.WithTarget(base))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		ctx   context.Context
		class string
		want  [2]string
	}{
		"binary":     {cesdk.WithEncodingBinary(ctx), "SYN Flood", [2]string{"malicious", "synflood"}},
		"structured": {cesdk.WithEncodingStructured(ctx), "PortScan", [2]string{"malicious", "portscan"}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := flowEvent(t, "knative-"+name, flows[tc.class])
			reply, res := client.Request(tc.ctx, in)
			if !cesdk.IsACK(res) {
				t.Fatalf("request: %v", res)
			}
			checkReply(t, in.ID(), reply, tc.want[0], tc.want[1])
		})
	}
	t.Run("batch", func(t *testing.T) {
		events := []event.Event{
			flowEvent(t, "batch-1", flows["BENIGN"]),
			flowEvent(t, "batch-2", flows["Brute Force"]),
			flowEvent(t, "batch-3", flows["SYN Flood"]),
		}
		req, err := cehttp.NewHTTPRequestFromEvents(ctx, base, events)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !cehttp.IsHTTPBatch(resp.Header) {
			t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		replies, err := cehttp.NewEventsFromHTTPResponse(resp)
		if err != nil {
			t.Fatal(err)
		}
		if len(replies) != len(events) {
			t.Fatalf("%d replies to %d events", len(replies), len(events))
		}
		want := [][2]string{{"benign", "benign"}, {"malicious", "bruteforce"}, {"malicious", "synflood"}}
		for i := range replies {
			checkReply(t, events[i].ID(), &replies[i], want[i][0], want[i][1])
		}
	})
	t.Run("bad event gets no reply", func(t *testing.T) {
		in := flowEvent(t, "knative-bad", map[string]any{"no such field": 1})
		reply, res := client.Request(ctx, in)
		if reply != nil {
			t.Fatalf("a bad event got a reply: %v", reply)
		}
		var hr *cehttp.Result
		if !cesdk.ResultAs(res, &hr) || hr.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("result %v, want HTTP 422", res)
		}
	})
	t.Run("wrong type", func(t *testing.T) {
		in := flowEvent(t, "knative-type", flows["BENIGN"])
		in.SetType("com.example.other")
		_, res := client.Request(ctx, in)
		var hr *cehttp.Result
		if !cesdk.ResultAs(res, &hr) || hr.StatusCode != http.StatusBadRequest || !strings.Contains(res.Error(), "400") {
			t.Fatalf("result %v, want HTTP 400", res)
		}
	})
}
