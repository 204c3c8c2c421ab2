package functions

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	cesdk "github.com/cloudevents/sdk-go/v2"
	"github.com/cloudevents/sdk-go/v2/event"
	cehttp "github.com/cloudevents/sdk-go/v2/protocol/http"

	"github.com/flowsense/flowsense/cloudevents"
)

// flowEvent is a TypeFlow event carrying data (marshalled as JSON).
func flowEvent(t *testing.T, id string, data any) event.Event {
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

// checkReply asserts the contract of a reply to the event with id in.
func checkReply(t *testing.T, in string, got *event.Event, wantVerdict, wantClass string) {
	t.Helper()
	if got == nil {
		t.Fatalf("reply to %s: no event", in)
	}
	if err := got.Validate(); err != nil {
		t.Errorf("reply to %s does not validate: %v", in, err)
	}
	if got.Type() != cloudevents.TypeClassified {
		t.Errorf("reply to %s: type %q, want %q", in, got.Type(), cloudevents.TypeClassified)
	}
	if got.Subject() != in {
		t.Errorf("reply to %s: subject %q", in, got.Subject())
	}
	if got.Source() != "/flowsense/test" {
		t.Errorf("reply to %s: source %q", in, got.Source())
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

// TestSDKClient sends binary, structured and batch events with sdk-go's own
// client and request helpers to a running server and reads the replies
// with sdk-go.
func TestSDKClient(t *testing.T) {
	s := newTestServer(t)
	ts := httptest.NewServer(s)
	defer ts.Close()
	flows := sampleFlows(t)
	ctx := context.Background()

	client, err := cesdk.NewClientHTTP(cehttp.WithTarget(ts.URL))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		ctx context.Context
	}{
		"binary":     {cesdk.WithEncodingBinary(ctx)},
		"structured": {cesdk.WithEncodingStructured(ctx)},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := flowEvent(t, "client-"+name, flows["SYN Flood"])
			reply, res := client.Request(tc.ctx, in)
			if !cesdk.IsACK(res) {
				t.Fatalf("request: %v", res)
			}
			checkReply(t, in.ID(), reply, "malicious", "synflood")
		})
	}

	t.Run("batch", func(t *testing.T) {
		events := []event.Event{
			flowEvent(t, "batch-1", flows["BENIGN"]),
			flowEvent(t, "batch-2", flows["PortScan"]),
			flowEvent(t, "batch-3", flows["Brute Force"]),
		}
		req, err := cehttp.NewHTTPRequestFromEvents(ctx, ts.URL, events)
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
			checkReply(t, events[i].ID(), &replies[i], want[i][0], want[i][1])
		}
	})

	t.Run("bad event gets no reply", func(t *testing.T) {
		in := flowEvent(t, "client-bad", map[string]any{"no such field": 1})
		reply, res := client.Request(ctx, in)
		if reply != nil {
			t.Fatalf("a bad event got a reply: %v", reply)
		}
		var hr *cehttp.Result
		if !cesdk.ResultAs(res, &hr) || hr.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("result %v, want HTTP 422", res)
		}
	})
}

// sampleFlows reads one flow per class from the golden request
// predict_array (the first flow of each class of the synthetic data).
func sampleFlows(t testing.TB) map[string]map[string]any {
	t.Helper()
	var arr []map[string]any
	readReqJSON(t, "predict_array", &arr)
	classes := []string{"BENIGN", "Brute Force", "Exfiltration", "PortScan", "SYN Flood", "Slow DoS"}
	if len(arr) != len(classes) {
		t.Fatalf("predict_array holds %d flows", len(arr))
	}
	m := map[string]map[string]any{}
	for i, c := range classes {
		m[c] = arr[i]
	}
	return m
}

// readReqJSON decodes the body of a golden request.
func readReqJSON(t testing.TB, name string, v any) {
	t.Helper()
	req := readReq(t, name)
	if err := json.NewDecoder(req.Body).Decode(v); err != nil {
		t.Fatalf("%s.req: %v", name, err)
	}
}

// TestHandleMessage: a queue message is a structured event or a flow
// document; a bad one is a client error, a good one gets its answer.
func TestHandleMessage(t *testing.T) {
	s := newTestServer(t)
	flows := sampleFlows(t)
	flow, _ := json.Marshal(flows["PortScan"])
	ev := flowEvent(t, "sqs-1", flows["PortScan"])
	evJSON, _ := json.Marshal(ev)
	cases := map[string]struct {
		body    string
		event   bool
		results int
		status  int
	}{
		"flow":                {string(flow), false, 1, 200},
		"flows":               {"[" + string(flow) + "," + string(flow) + "]", false, 2, 200},
		"structured event":    {string(evJSON), true, 0, 200},
		"event of wrong type": {strings.Replace(string(evJSON), "io.flowsense.flow.v1", "x.y", 1), false, 0, 400},
		"event without id":    {strings.Replace(string(evJSON), `"id":"sqs-1"`, `"id":""`, 1), false, 0, 400},
		"malformed":           {`{"Dst Port":`, false, 0, 400},
		"not a flow":          {`"hello"`, false, 0, 422},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			reply, results, err := s.HandleMessage(context.Background(), []byte(tc.body))
			if StatusOf(err) != tc.status {
				t.Fatalf("status %d (%v), want %d", StatusOf(err), err, tc.status)
			}
			if (reply != nil) != tc.event || len(results) != tc.results {
				t.Fatalf("reply %v, %d results", reply != nil, len(results))
			}
			if reply != nil {
				checkReply(t, "sqs-1", reply, "malicious", "portscan")
			}
			for _, r := range results {
				if r.Label != "PortScan" {
					t.Errorf("label %q", r.Label)
				}
			}
		})
	}
}
