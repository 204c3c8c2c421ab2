package awslambda

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// FuzzInvoke sends arbitrary payloads to the dispatcher. Whatever the
// shape: no panic; an error is an *Error and never a server fault; an HTTP
// event is answered (never an error, never a 5xx); an SQS batch accounts
// for every message, each either reported or given to the sink; a Kinesis
// batch reports no more than it has, never without a sequence number; a
// Firehose transformation answers every record; a logs subscription's
// classified events are the ones given to the sink.
func FuzzInvoke(f *testing.F) {
	for _, name := range []string{"function-url-request.json", "apigw-v2-request.json", "sqs-batch-10.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	samples, _ := filepath.Glob(filepath.Join("testdata", "aws-lambda-go", "*.json"))
	for _, p := range samples {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	reqs, _ := filepath.Glob(filepath.Join(behaviourDir, "*.req"))
	for _, p := range reqs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if _, body, ok := strings.Cut(string(b), "\n\n"); ok {
			f.Add([]byte(body))
		}
	}
	for _, s := range []string{``, `null`, `{}`, `[]`, `{"Records": []}`, `{"Records": [{"eventSource": "aws:sqs"}]}`,
		`{"requestContext": {"http": {"method": "GET"}}, "rawPath": "/health/liveness"}`, `{"specversion": "1.0"}`} {
		f.Add([]byte(s))
	}
	srv := testServer(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		col := newCollector()
		h := New(srv, WithLogger(quiet), WithSink(col.sink))
		s, _ := classify(payload)
		out, err := h.Invoke(t.Context(), payload)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T %v, want *Error", err, err)
			}
			if e.Status >= 500 || e.Status < 400 {
				t.Fatalf("status %d for a payload: %v", e.Status, err)
			}
			if s == shapeHTTP {
				t.Fatalf("an HTTP event failed the invocation: %v", err)
			}
			return
		}
		b, merr := json.Marshal(out)
		if merr != nil {
			t.Fatalf("answer %T does not encode: %v", out, merr)
		}
		switch s {
		case shapeHTTP:
			var resp events.APIGatewayV2HTTPResponse
			if err := json.Unmarshal(b, &resp); err != nil || resp.StatusCode >= 500 || resp.StatusCode < 200 {
				t.Fatalf("HTTP answer %s (%v)", b, err)
			}
		case shapeSQS:
			var ev events.SQSEvent
			if err := json.Unmarshal(payload, &ev); err != nil {
				t.Fatalf("an SQS event that does not decode was answered: %v", err)
			}
			resp := out.(events.SQSEventResponse)
			if len(resp.BatchItemFailures)+len(col.ids) != len(ev.Records) {
				t.Fatalf("%d failed + %d classified of %d messages", len(resp.BatchItemFailures), len(col.ids), len(ev.Records))
			}
		case shapeKinesis:
			var ev struct{ Records []json.RawMessage }
			_ = json.Unmarshal(payload, &ev)
			resp := out.(events.KinesisEventResponse)
			if len(resp.BatchItemFailures)+len(col.ids) > len(ev.Records) {
				t.Fatalf("%d failed + %d classified of %d records", len(resp.BatchItemFailures), len(col.ids), len(ev.Records))
			}
			for _, f := range resp.BatchItemFailures {
				if f.ItemIdentifier == "" {
					t.Fatal("a failure without a sequence number fails the whole batch")
				}
			}
		case shapeFirehose:
			var ev struct {
				Records []json.RawMessage `json:"records"`
			}
			_ = json.Unmarshal(payload, &ev)
			if resp := out.(events.KinesisFirehoseResponse); len(resp.Records) != len(ev.Records) {
				t.Fatalf("%d of %d records answered", len(resp.Records), len(ev.Records))
			}
		case shapeLogs:
			resp := out.(LogsResponse)
			if len(resp.Classified) < len(col.ids) { // feedback is counted among classified, not given to the sink
				t.Fatalf("%d classified, %d given to the sink", len(resp.Classified), len(col.ids))
			}
		}
	})
}
