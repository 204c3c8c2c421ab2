package functionstest

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cesdk "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/flowsense/flowsense/cloudevents"
)

// SampleFlows reads one flow per class from the golden request
// predict_array in dir (the first flow of each class of the synthetic
// data the test model was trained on), by class name.
func SampleFlows(t testing.TB, dir string) map[string]map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "predict_array.req"))
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	var arr []map[string]any
	if err := json.NewDecoder(req.Body).Decode(&arr); err != nil {
		t.Fatalf("predict_array.req: %v", err)
	}
	classes := []string{"BENIGN", "Brute Force", "Exfiltration", "PortScan", "SYN Flood", "Slow DoS"}
	if len(arr) != len(classes) {
		t.Fatalf("predict_array holds %d flows, want one per class %v", len(arr), classes)
	}
	m := map[string]map[string]any{}
	for i, c := range classes {
		m[c] = arr[i]
	}
	return m
}

// FlowEvent is an io.flowsense.flow.v1 event carrying data as JSON.
func FlowEvent(t testing.TB, id string, data any) event.Event {
	t.Helper()
	e := cesdk.NewEvent()
	e.SetID(id)
	e.SetSource("/test/client")
	e.SetType(cloudevents.TypeFlow)
	if err := e.SetData(cesdk.ApplicationJSON, data); err != nil {
		t.Fatal(err)
	}
	return e
}

// CheckReply asserts the contract of a reply to the event with id in: a
// valid io.flowsense.flow.classified.v1 event whose subject is in, whose
// source is source, whose verdict and flowclass extensions and data say
// wantVerdict and wantClass, from the test model (Model).
func CheckReply(t testing.TB, in string, got *event.Event, source, wantVerdict, wantClass string) {
	t.Helper()
	if got == nil {
		t.Fatalf("reply to %s: no event", in)
		return
	}
	if err := got.Validate(); err != nil {
		t.Errorf("reply to %s does not validate: %v", in, err)
	}
	if got.Type() != cloudevents.TypeClassified || got.Subject() != in {
		t.Errorf("reply to %s: type %q subject %q, want %q and %q", in, got.Type(), got.Subject(), cloudevents.TypeClassified, in)
	}
	if got.Source() != source {
		t.Errorf("reply to %s: source %q, want %q", in, got.Source(), source)
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

// RunClient is the CloudEvents client suite, run against every host that
// listens on HTTP: sdk-go's own client sends binary and structured events
// and its request helpers a batch to base, serving the test model (Model);
// the replies are read with sdk-go and checked with CheckReply (source is
// the reply source the host sets). A bad event gets 422 and no reply, an
// event of another type 400. dir holds the behaviour goldens (SampleFlows).
func RunClient(t *testing.T, dir, base, source string) {
	flows := SampleFlows(t, dir)
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
			in := FlowEvent(t, "client-"+name, flows[tc.class])
			reply, res := client.Request(tc.ctx, in)
			if !cesdk.IsACK(res) {
				t.Fatalf("request: %v", res)
			}
			CheckReply(t, in.ID(), reply, source, tc.want[0], tc.want[1])
		})
	}
	t.Run("batch", func(t *testing.T) {
		events := []event.Event{
			FlowEvent(t, "batch-1", flows["BENIGN"]),
			FlowEvent(t, "batch-2", flows["PortScan"]),
			FlowEvent(t, "batch-3", flows["Brute Force"]),
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
		want := [][2]string{{"benign", "benign"}, {"malicious", "portscan"}, {"malicious", "bruteforce"}}
		for i := range replies {
			CheckReply(t, events[i].ID(), &replies[i], source, want[i][0], want[i][1])
		}
	})
	t.Run("bad event gets no reply", func(t *testing.T) {
		in := FlowEvent(t, "client-bad", map[string]any{"no such field": 1})
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
		in := FlowEvent(t, "client-type", flows["BENIGN"])
		in.SetType("com.example.other")
		_, res := client.Request(ctx, in)
		var hr *cehttp.Result
		if !cesdk.ResultAs(res, &hr) || hr.StatusCode != http.StatusBadRequest || !strings.Contains(res.Error(), "400") {
			t.Fatalf("result %v, want HTTP 400", res)
		}
	})
}
