package awslambda

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// collector is a Sink that keeps what it is given.
type collector struct {
	mu      sync.Mutex
	ids     []string
	results map[string][]cloudevents.Classification
	replies map[string]*event.Event
}

func newCollector() *collector {
	return &collector{results: map[string][]cloudevents.Classification{}, replies: map[string]*event.Event{}}
}

func (c *collector) sink(_ context.Context, id string, reply *event.Event, results []cloudevents.Classification) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids = append(c.ids, id)
	c.results[id] = results
	c.replies[id] = reply
	return nil
}

// failedIDs invokes the batch through aws-lambda-go and returns the
// reported item identifiers.
func failedIDs(t *testing.T, h *Handler, payload []byte) []string {
	t.Helper()
	return failedIDsVia(t, invoker(h), payload)
}

// failedIDsVia is failedIDs through any lambda.Handler.
func failedIDsVia(t *testing.T, inv lambda.Handler, payload []byte) []string {
	t.Helper()
	out, err := inv.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("Invoke: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("answer %s: %v", out, err)
	}
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// TestSQSBatch: in the batch of 10 with 2 bad messages, exactly those 2
// are reported, and each of the 8 good ones reaches the sink with the
// answer the server gives its body on its own.
func TestSQSBatch(t *testing.T) {
	srv := testServer(t)
	col := newCollector()
	h := New(srv, WithLogger(quiet), WithSink(col.sink))
	payload := readTestdata(t, "sqs-batch-10.json")
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	if len(ev.Records) != 10 {
		t.Fatalf("testdata batch has %d messages, want 10", len(ev.Records))
	}

	// what the server says of each body alone decides good and bad
	var wantFailed, wantGood []string
	for _, m := range ev.Records {
		if _, _, err := srv.HandleMessage(t.Context(), []byte(m.Body)); err != nil {
			if s := functions.StatusOf(err); s >= 500 {
				t.Fatalf("message %s: server fault %d: %v", m.MessageId, s, err)
			}
			wantFailed = append(wantFailed, m.MessageId)
		} else {
			wantGood = append(wantGood, m.MessageId)
		}
	}
	if len(wantFailed) != 2 {
		t.Fatalf("testdata batch has %d bad messages (%v), want 2", len(wantFailed), wantFailed)
	}

	got := failedIDs(t, h, payload)
	if !slices.Equal(got, wantFailed) {
		t.Errorf("batchItemFailures = %v, want %v", got, wantFailed)
	}
	if !slices.Equal(col.ids, wantGood) {
		t.Fatalf("sink got messages %v, want the good ones %v", col.ids, wantGood)
	}
	for _, m := range ev.Records {
		if !slices.Contains(wantGood, m.MessageId) {
			continue
		}
		reply, results, _ := srv.HandleMessage(t.Context(), []byte(m.Body))
		if reply != nil {
			gotReply := col.replies[m.MessageId]
			// each prediction has its own reply id
			if gotReply == nil || gotReply.ID() != reply.ID() || gotReply.Subject() != reply.Subject() ||
				string(functionstest.MaskReplyIDs(gotReply.Data())) != string(functionstest.MaskReplyIDs(reply.Data())) {
				t.Errorf("message %s: sink reply %v, want %v", m.MessageId, gotReply, reply)
			}
			continue
		}
		if len(results) == 0 || !reflect.DeepEqual(withoutIDs(t, col.results[m.MessageId]), withoutIDs(t, results)) {
			t.Errorf("message %s: sink results %v, want %v", m.MessageId, col.results[m.MessageId], results)
		}
	}
}

// TestSQSFailures: whatever makes a message fail, it and only it is
// reported; a server that cannot answer reports every message (they are
// retried, none is lost).
func TestSQSFailures(t *testing.T) {
	payload := readTestdata(t, "sqs-batch-10.json")
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	var all []string
	for _, m := range ev.Records {
		all = append(all, m.MessageId)
	}
	cases := map[string]struct {
		opts   []functions.Option
		close  bool
		bodies map[int]string // message index: body replacing the testdata's
		want   func([]string) bool
	}{
		"server closed": {
			close: true,
			want:  func(ids []string) bool { return slices.Equal(ids, all) },
		},
		"every message bad": {
			bodies: map[int]string{0: `{}`, 1: `null`, 2: `"x"`, 4: `[]`, 5: `{"features": 1}`, 6: `{"specversion": "1.0"}`, 8: `nope`, 9: ``},
			want:   func(ids []string) bool { return slices.Equal(ids, all) },
		},
		"too many flows": {
			opts: []functions.Option{functions.WithMaxFlows(2)},
			// only the list of 6 flows is over the limit, besides the 2 bad
			want: func(ids []string) bool { return slices.Equal(ids, []string{all[3], all[4], all[7]}) },
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			srv := testServer(t, c.opts...)
			if c.close {
				_ = srv.Close(t.Context())
			}
			col := newCollector()
			h := New(srv, WithLogger(quiet), WithSink(col.sink))
			ev := ev
			ev.Records = slices.Clone(ev.Records)
			for i, b := range c.bodies {
				ev.Records[i].Body = b
			}
			p, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			got := failedIDs(t, h, p)
			if !c.want(got) {
				t.Errorf("batchItemFailures = %v", got)
			}
			for _, id := range got {
				if slices.Contains(col.ids, id) {
					t.Errorf("message %s both failed and classified", id)
				}
			}
			if len(got)+len(col.ids) != len(all) {
				t.Errorf("%d failed + %d classified, want %d messages accounted for", len(got), len(col.ids), len(all))
			}
		})
	}
}

// TestSQSFeedback: a feedback event on the queue that quotes the reply id
// of a prediction is counted by the function (its /metrics confusion
// moves) and is not handed to the sink, whose contract is
// classifications; the same message again, and one with a forged id, are
// batch item failures and count nothing.
func TestSQSFeedback(t *testing.T) {
	srv := testServer(t)
	col := newCollector()
	h := New(srv, WithLogger(quiet), WithSink(col.sink))
	res, _, err := srv.ClassifyJSON(t.Context(), []byte(`{"Dst Port": 22}`))
	if err != nil {
		t.Fatal(err)
	}
	predicted := res[0].Label
	message := func(id, feedbackID string) []byte {
		body, err := json.Marshal(map[string]any{
			"specversion": "1.0", "id": id, "source": "/test/sqs", "type": cloudevents.TypeFeedback,
			"datacontenttype": "application/json", "data": map[string]string{"id": feedbackID, "truth": "PortScan"},
		})
		if err != nil {
			t.Fatal(err)
		}
		payload, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m-" + id, EventSource: "aws:sqs", Body: string(body)}}})
		return payload
	}
	counted := func() string {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		for _, line := range strings.Split(rec.Body.String(), "\n") {
			if strings.HasPrefix(line, `flowsense_feedback_total{predicted="`+predicted+`",truth="PortScan"} `) {
				return line
			}
		}
		return "no series"
	}
	if got := failedIDs(t, h, message("fb-1", res[0].ID)); len(got) != 0 {
		t.Fatalf("batchItemFailures = %v, want none", got)
	}
	if len(col.ids) != 0 {
		t.Errorf("the sink got %v for a feedback message", col.ids)
	}
	want := `flowsense_feedback_total{predicted="` + predicted + `",truth="PortScan"} 1`
	if got := counted(); got != want {
		t.Fatalf("the feedback was not counted: %s, want %s", got, want)
	}
	forged := []byte(res[0].ID)
	forged[20] ^= 1
	for name, p := range map[string][]byte{"replayed": message("fb-2", res[0].ID), "forged": message("fb-3", string(forged))} {
		if got := failedIDs(t, h, p); len(got) != 1 {
			t.Errorf("%s: batchItemFailures = %v, want the message", name, got)
		}
	}
	if got := counted(); got != want {
		t.Errorf("refused feedback moved the metrics: %s, want %s", got, want)
	}
}

// withoutIDs clears the reply ids of classifications (each prediction has
// its own), checking that each had one.
func withoutIDs(t *testing.T, cs []cloudevents.Classification) []cloudevents.Classification {
	t.Helper()
	out := slices.Clone(cs)
	for i := range out {
		if out[i].ID == "" {
			t.Errorf("classification %d has no reply id", i)
		}
		out[i].ID = ""
	}
	return out
}
