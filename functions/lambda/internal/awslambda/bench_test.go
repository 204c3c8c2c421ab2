package awslambda

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
)

// benchInvoke runs payload through aws-lambda-go's invoke path.
func benchInvoke(b *testing.B, payload []byte) {
	h := New(testServer(b), WithLogger(quiet), WithSink(func(context.Context, string, *event.Event, []cloudevents.Classification) error { return nil }))
	inv := invoker(h)
	b.ReportAllocs()
	b.SetBytes(int64(len(payload)))
	for b.Loop() {
		if _, err := inv.Invoke(b.Context(), payload); err != nil {
			b.Fatal(err)
		}
	}
}

// httpEvent is the Function URL sample event with body as its body.
func httpEvent(b *testing.B, body []byte) []byte {
	var ev events.LambdaFunctionURLRequest
	if err := json.Unmarshal(readTestdata(b, "function-url-request.json"), &ev); err != nil {
		b.Fatal(err)
	}
	ev.Body = string(body)
	p, err := json.Marshal(ev)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkInvokeFunctionURL_1flow(b *testing.B) {
	benchInvoke(b, httpEvent(b, reqBody(b, "ce_binary")))
}

func BenchmarkInvokeFunctionURL_6flows(b *testing.B) {
	benchInvoke(b, httpEvent(b, reqBody(b, "predict_array")))
}

func BenchmarkInvokeDirect_1flow(b *testing.B) {
	benchInvoke(b, reqBody(b, "ce_binary"))
}

// BenchmarkInvokeSQS_10messages: the testdata batch (8 good messages, 13
// flows, and 2 bad).
func BenchmarkInvokeSQS_10messages(b *testing.B) {
	benchInvoke(b, readTestdata(b, "sqs-batch-10.json"))
}
