package awslambda

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
)

// failingSink fails every other message it is given, and remembers which.
type failingSink struct {
	n      int
	failed []string
}

func (f *failingSink) sink(_ context.Context, id string, _ *event.Event, _ []cloudevents.Classification) error {
	f.n++
	if f.n%2 == 0 {
		f.failed = append(f.failed, id)
		return errors.New("the downstream queue is down")
	}
	return nil
}

// TestSinkFailures: a message the sink could not deliver is listed in
// batchItemFailures (redelivered, not lost), beside the bad ones, on SQS
// and on a stream.
func TestSinkFailures(t *testing.T) {
	srv := testServer(t)
	payload := readTestdata(t, "sqs-batch-10.json")
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		t.Fatal(err)
	}
	var bad []string
	for _, m := range ev.Records {
		if _, _, err := srv.HandleMessage(t.Context(), []byte(m.Body)); err != nil {
			bad = append(bad, m.MessageId)
		}
	}
	fs := &failingSink{}
	got := failedIDs(t, New(srv, WithLogger(quiet), WithSink(fs.sink)), payload)
	if len(fs.failed) == 0 {
		t.Fatal("the sink failed nothing")
	}
	want := append(append([]string(nil), bad...), fs.failed...)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("sqs batchItemFailures %v, want the bad %v and the undelivered %v", got, bad, fs.failed)
	}

	bodies := suiteBodies(t, srv)
	kpayload, _ := kinesisBatch(t, bodies)
	fs = &failingSink{}
	var resp events.KinesisEventResponse
	invokeAs(t, invoker(New(srv, WithLogger(quiet), WithSink(fs.sink))), kpayload, &resp)
	var kgot []string
	for _, f := range resp.BatchItemFailures {
		kgot = append(kgot, f.ItemIdentifier)
	}
	for _, id := range fs.failed {
		if !slices.Contains(kgot, id) {
			t.Errorf("kinesis: undelivered record %s not in batchItemFailures %v", id, kgot)
		}
	}
	if len(fs.failed) == 0 {
		t.Error("the sink failed no kinesis record")
	}
}
