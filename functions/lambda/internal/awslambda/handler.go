package awslambda

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions"
)

// Sink receives the answer to one good message (SQS, or a stream record):
// the reply event for a CloudEvent, the classifications for a flow
// document. messageID names it: the SQS messageId, the Kinesis or
// DynamoDB sequence number, "topic-partition@offset" for Kafka, the log
// event id for CloudWatch Logs (a Firehose transformation answers Firehose
// instead). A queue has no one to answer, so this is where the results go
// (the default logs them as JSON, one record a message, to CloudWatch). A
// Sink that cannot deliver returns an error: the message is then logged
// and listed in batchItemFailures, so the queue delivers it again instead
// of losing it.
type Sink func(ctx context.Context, messageID string, reply *event.Event, results []cloudevents.Classification) error

// Handler is the Lambda handler of one *functions.Server.
type Handler struct {
	srv  *functions.Server
	log  *slog.Logger
	sink Sink
}

// Option configures a Handler.
type Option func(*Handler)

// WithLogger sets the logger (slog.Default() by default).
func WithLogger(l *slog.Logger) Option { return func(h *Handler) { h.log = l } }

// WithSink sets where the results of SQS messages go (by default, the
// logger at level Info).
func WithSink(s Sink) Option { return func(h *Handler) { h.sink = s } }

// New returns the handler serving srv.
func New(srv *functions.Server, opts ...Option) *Handler {
	h := &Handler{srv: srv, log: slog.Default()}
	for _, o := range opts {
		o(h)
	}
	if h.sink == nil {
		h.sink = h.logResults
	}
	return h
}

// shape is what a payload is taken for.
type shape int

const (
	shapeDirect shape = iota
	shapeHTTP
	shapeSQS
	shapeKinesis
	shapeDynamoDB
	shapeKafka
	shapeFirehose
	shapeLogs
)

// classify tells the shape of payload from its top-level members (names
// matched exactly, not as encoding/json matches fields): a Function URL or
// HTTP API request has requestContext.http (a Function URL's domainName
// is <url-id>.lambda-url.<region>.on.aws; the two response types have the
// same JSON but for API Gateway's multiValueHeaders); SQS, Kinesis and
// DynamoDB Streams batches have Records whose first eventSource is
// aws:sqs, aws:kinesis or aws:dynamodb; an MSK or self-managed Kafka batch
// has eventSource aws:kafka or SelfManagedKafka and records; a Firehose
// transformation has invocationId, deliveryStreamArn and records; a
// CloudWatch Logs subscription has awslogs. Anything else (a flow, an
// array, a CloudEvent) is direct.
func classify(payload []byte) (s shape, apigw bool) {
	p := bytes.TrimLeft(payload, " \t\r\n")
	if len(p) == 0 || p[0] != '{' {
		return shapeDirect, false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(p, &top) != nil {
		return shapeDirect, false
	}
	if rc, ok := top["requestContext"]; ok {
		var r struct {
			HTTP       *json.RawMessage `json:"http"`
			DomainName string           `json:"domainName"`
		}
		if json.Unmarshal(rc, &r) == nil && r.HTTP != nil {
			return shapeHTTP, !strings.Contains(r.DomainName, ".lambda-url.")
		}
	}
	if recs, ok := top["Records"]; ok {
		var r []struct {
			EventSource string `json:"eventSource"`
		}
		if json.Unmarshal(recs, &r) == nil && len(r) > 0 {
			switch r[0].EventSource {
			case "aws:sqs":
				return shapeSQS, false
			case "aws:kinesis":
				return shapeKinesis, false
			case "aws:dynamodb":
				return shapeDynamoDB, false
			}
		}
	}
	_, hasRecords := top["records"]
	var source string
	if src, ok := top["eventSource"]; ok && json.Unmarshal(src, &source) == nil &&
		(source == "aws:kafka" || source == "SelfManagedKafka") && hasRecords {
		return shapeKafka, false
	}
	_, hasInvocation := top["invocationId"]
	_, hasStream := top["deliveryStreamArn"]
	if hasInvocation && hasStream && hasRecords {
		return shapeFirehose, false
	}
	if _, ok := top["awslogs"]; ok {
		return shapeLogs, false
	}
	return shapeDirect, false
}

// Invoke answers one invocation; its signature is the one
// lambda.Start/lambda.NewHandler take. The answer is an
// events.LambdaFunctionURLResponse or events.APIGatewayV2HTTPResponse for
// an HTTP request, an events.SQSEventResponse, events.KinesisEventResponse,
// events.DynamoDBEventResponse or KafkaEventResponse for a batch, an
// events.KinesisFirehoseResponse for a Firehose transformation, a
// LogsResponse for a CloudWatch Logs subscription, and for a direct
// invocation a cloudevents.Classification (one flow), a
// []cloudevents.Classification (a batch) or the reply *event.Event (a
// CloudEvent). Errors are *Error; HTTP requests never fail (a client's
// mistake is an HTTP answer); a batch fails only if it cannot be decoded
// (or a record has no identifier to report it by); a Firehose batch or a
// logs event also fails when the server cannot answer a record now, so
// that the whole of it is retried.
func (h *Handler) Invoke(ctx context.Context, payload json.RawMessage) (any, error) {
	switch s, apigw := classify(payload); s {
	case shapeHTTP:
		return h.serveHTTP(ctx, payload, apigw)
	case shapeSQS:
		return h.serveSQS(ctx, payload)
	case shapeKinesis:
		return h.serveKinesis(ctx, payload)
	case shapeDynamoDB:
		return h.serveDynamoDB(ctx, payload)
	case shapeKafka:
		return h.serveKafka(ctx, payload)
	case shapeFirehose:
		return h.serveFirehose(ctx, payload)
	case shapeLogs:
		return h.serveLogs(ctx, payload)
	default:
		return h.serveDirect(ctx, payload)
	}
}

// serveSQS handles every message of the batch and reports the ones that
// failed. A message fails when the handler refuses it (a bad flow or
// event, StatusOf < 500: it will fail again, so the queue's redrive policy
// moves it to the dead-letter queue) or cannot answer it now (>= 500:
// retried).
func (h *Handler) serveSQS(ctx context.Context, payload []byte) (events.SQSEventResponse, error) {
	var ev events.SQSEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return events.SQSEventResponse{}, payloadError("sqs", fmt.Sprintf("sqs event: %v", err))
	}
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, m := range ev.Records {
		reply, results, err := h.srv.HandleMessage(ctx, []byte(m.Body))
		if err != nil {
			p := functions.ProblemOf(err)
			h.log.LogAttrs(ctx, level(p.Status), "sqs message failed",
				slog.String("messageId", m.MessageId), slog.Int("status", p.Status),
				slog.String("problem", p.Type), slog.String("detail", p.Detail))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
			continue
		}
		if reply == nil && results == nil { // feedback: counted, nothing to send on
			h.log.LogAttrs(ctx, slog.LevelDebug, "sqs feedback counted", slog.String("messageId", m.MessageId))
			continue
		}
		if err := h.sink(ctx, m.MessageId, reply, results); err != nil {
			h.log.LogAttrs(ctx, slog.LevelError, "sqs message not delivered",
				slog.String("messageId", m.MessageId), slog.String("error", err.Error()))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

// level logs a client's mistake as a warning, the server's as an error.
func level(status int) slog.Level {
	if status >= 500 {
		return slog.LevelError
	}
	return slog.LevelWarn
}

// logResults is the default Sink.
func (h *Handler) logResults(ctx context.Context, id string, reply *event.Event, results []cloudevents.Classification) error {
	if reply != nil {
		h.log.LogAttrs(ctx, slog.LevelInfo, "classified", slog.String("messageId", id),
			slog.String("event", reply.ID()), slog.Any("data", json.RawMessage(reply.Data())))
		return nil
	}
	b, err := json.Marshal(results)
	if err != nil { // plain fields: cannot happen
		return fmt.Errorf("encoding results: %w", err)
	}
	h.log.LogAttrs(ctx, slog.LevelInfo, "classified", slog.String("messageId", id), slog.Any("results", json.RawMessage(b)))
	return nil
}

// serveDirect answers a direct invocation: a structured CloudEvent (an
// object with "specversion") through HandleMessage, any other JSON through
// ClassifyJSON.
func (h *Handler) serveDirect(ctx context.Context, payload []byte) (any, error) {
	if !json.Valid(payload) {
		return nil, payloadError("direct", "not JSON")
	}
	if isEvent(payload) {
		reply, _, err := h.srv.HandleMessage(ctx, payload)
		if err != nil {
			return nil, refused(err)
		}
		return reply, nil
	}
	results, single, err := h.srv.ClassifyJSON(ctx, payload)
	if err != nil {
		return nil, refused(err)
	}
	if single && len(results) == 1 {
		return results[0], nil
	}
	return results, nil
}

// isEvent reports whether payload is a JSON object with "specversion".
func isEvent(payload []byte) bool {
	var probe map[string]json.RawMessage
	if json.Unmarshal(payload, &probe) != nil {
		return false
	}
	_, ok := probe["specversion"]
	return ok
}

// payloadError is the *Error for a payload that cannot be decoded.
func payloadError(kind, detail string) *Error {
	err := fmt.Errorf("%w: %w: %s", ErrPayload, cloudevents.ErrMalformed, detail)
	p := functions.ProblemOf(err)
	p.Detail = detail
	return &Error{Kind: kind, Status: p.Status, Problem: p, Err: err}
}

// refused is the *Error for a direct invocation the server refused.
func refused(err error) *Error {
	p := functions.ProblemOf(err)
	return &Error{Kind: "direct", Status: p.Status, Problem: p, Err: fmt.Errorf("%w: %w", ErrMessage, err)}
}
