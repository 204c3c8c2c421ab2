package functions

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// flowEvent is a TypeFlow event carrying data (marshalled as JSON).
func flowEvent(t *testing.T, id string, data any) event.Event {
	return functionstest.FlowEvent(t, id, data)
}

// checkReply asserts the contract of a reply to the event with id in
// (functionstest.CheckReply, with the test server's source).
func checkReply(t *testing.T, in string, got *event.Event, wantVerdict, wantClass string) {
	t.Helper()
	functionstest.CheckReply(t, in, got, "/flowsense/test", wantVerdict, wantClass)
}

// TestSDKClient: the CloudEvents client suite (binary, structured and
// batch events sent and read with sdk-go) against a running server.
func TestSDKClient(t *testing.T) {
	ts := httptest.NewServer(newTestServer(t))
	defer ts.Close()
	functionstest.RunClient(t, behaviourDir, ts.URL, "/flowsense/test")
}

// sampleFlows reads one flow per class from the golden request
// predict_array.
func sampleFlows(t testing.TB) map[string]map[string]any {
	return functionstest.SampleFlows(t, behaviourDir)
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
