package awslambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/functions"
)

// A record of a stream or queue is handled in one of these ways.
type outcome int

const (
	outGood     outcome = iota // classified: the results go to the sink
	outFeedback                // a feedback event: counted, nothing to send on
	outSkipped                 // nothing to classify (a DynamoDB REMOVE, a NODATA flow log)
	outRefused                 // a bad record (HTTP would answer 4xx): it will fail again
	outFault                   // the server could not answer (5xx): retry it
)

// failed reports whether the record must be reported as a batch item
// failure.
func (o outcome) failed() bool { return o == outRefused || o == outFault }

// record runs the body of one record (a flow document or a structured
// CloudEvent) through the server. A failure is logged with the record's
// source and id; a good record's answer goes to the sink unless keep is
// set, and is returned either way.
func (h *Handler) record(ctx context.Context, source, id string, body []byte, keep bool) (outcome, *event.Event, []cloudevents.Classification) {
	reply, results, err := h.srv.HandleMessage(ctx, body)
	if err != nil {
		return h.refuse(ctx, source, id, err), nil, nil
	}
	if reply == nil && results == nil {
		h.log.LogAttrs(ctx, slog.LevelDebug, "feedback counted", slog.String("source", source), slog.String("id", id))
		return outFeedback, nil, nil
	}
	if !keep {
		if err := h.sink(ctx, id, reply, results); err != nil {
			// not delivered: retried, never lost
			h.log.LogAttrs(ctx, slog.LevelError, "record not delivered", slog.String("source", source),
				slog.String("id", id), slog.String("error", err.Error()))
			return outFault, nil, nil
		}
	}
	return outGood, reply, results
}

// refuse logs why a record failed and says how.
func (h *Handler) refuse(ctx context.Context, source, id string, err error) outcome {
	p := functions.ProblemOf(err)
	h.log.LogAttrs(ctx, level(p.Status), "record failed", slog.String("source", source),
		slog.String("id", id), slog.Int("status", p.Status), slog.String("problem", p.Type),
		slog.String("detail", p.Detail))
	if p.Status >= 500 {
		return outFault
	}
	return outRefused
}

// recordError is the error of a record that could not be decoded from its
// event (bad base64, a DynamoDB image that is not a flow).
func recordError(detail string) error {
	return payloadError("record", detail)
}

// splitRecords decodes the Records member of a stream event one record at
// a time, so that one bad record fails alone.
func splitRecords(kind string, payload []byte) ([]json.RawMessage, error) {
	var ev struct {
		Records []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, payloadError(kind, fmt.Sprintf("%s event: %v", kind, err))
	}
	return ev.Records, nil
}

// serveKinesis handles a Kinesis Data Streams batch (events.KinesisEvent):
// each record's data is a flow document or a structured CloudEvent. The
// answer's batchItemFailures lists the sequence number of every record
// that failed (Lambda checkpoints before the lowest and retries from it).
func (h *Handler) serveKinesis(ctx context.Context, payload []byte) (events.KinesisEventResponse, error) {
	raw, err := splitRecords("kinesis", payload)
	if err != nil {
		return events.KinesisEventResponse{}, err
	}
	resp := events.KinesisEventResponse{BatchItemFailures: []events.KinesisBatchItemFailure{}}
	for i, b := range raw {
		var r struct {
			Kinesis struct {
				SequenceNumber string `json:"sequenceNumber"`
				Data           string `json:"data"`
			} `json:"kinesis"`
		}
		if err := json.Unmarshal(b, &r); err != nil || r.Kinesis.SequenceNumber == "" {
			// without its sequence number the record cannot be reported
			// alone: the whole batch is retried
			return events.KinesisEventResponse{}, payloadError("kinesis", fmt.Sprintf("kinesis record %d: no sequence number (%v)", i, err))
		}
		seq := r.Kinesis.SequenceNumber
		var o outcome
		if data, err := base64.StdEncoding.DecodeString(r.Kinesis.Data); err != nil {
			o = h.refuse(ctx, "aws:kinesis", seq, recordError(fmt.Sprintf("kinesis record %s: data is not base64: %v", seq, err)))
		} else {
			o, _, _ = h.record(ctx, "aws:kinesis", seq, data, false)
		}
		if o.failed() {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.KinesisBatchItemFailure{ItemIdentifier: seq})
		}
	}
	return resp, nil
}

// serveDynamoDB handles a DynamoDB Streams batch (events.DynamoDBEvent).
// The flow of a record is its NewImage (dynamoFlow says how); a record
// without one (REMOVE, KEYS_ONLY streams) is skipped. Failures are
// reported by dynamodb.SequenceNumber.
func (h *Handler) serveDynamoDB(ctx context.Context, payload []byte) (events.DynamoDBEventResponse, error) {
	raw, err := splitRecords("dynamodb", payload)
	if err != nil {
		return events.DynamoDBEventResponse{}, err
	}
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}
	for i, b := range raw {
		var id struct {
			EventName string `json:"eventName"`
			DynamoDB  struct {
				SequenceNumber string `json:"SequenceNumber"`
			} `json:"dynamodb"`
		}
		if err := json.Unmarshal(b, &id); err != nil || id.DynamoDB.SequenceNumber == "" {
			return events.DynamoDBEventResponse{}, payloadError("dynamodb", fmt.Sprintf("dynamodb record %d: no sequence number (%v)", i, err))
		}
		seq := id.DynamoDB.SequenceNumber
		var o outcome
		var r events.DynamoDBEventRecord
		if err := json.Unmarshal(b, &r); err != nil {
			o = h.refuse(ctx, "aws:dynamodb", seq, recordError(fmt.Sprintf("dynamodb record %s: %v", seq, err)))
		} else if len(r.Change.NewImage) == 0 {
			h.log.LogAttrs(ctx, slog.LevelDebug, "record skipped", slog.String("source", "aws:dynamodb"),
				slog.String("id", seq), slog.String("eventName", r.EventName))
			o = outSkipped
		} else if body, err := dynamoFlow(r.Change.Keys, r.Change.NewImage); err != nil {
			o = h.refuse(ctx, "aws:dynamodb", seq, recordError(fmt.Sprintf("dynamodb record %s: %v", seq, err)))
		} else {
			o, _, _ = h.record(ctx, "aws:dynamodb", seq, body, false)
		}
		if o.failed() {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: seq})
		}
	}
	return resp, nil
}

// flowAttribute is the NewImage attribute that, when present, holds the
// whole flow document: a string (JSON: a flow, a batch, a CloudEvent) or
// a map of feature names to values.
const flowAttribute = "flow"

// dynamoFlow is the flow document of a NewImage: the flowAttribute if the
// item has one, else every attribute that is not part of the table's key,
// each a feature: N a number, S a string the decoder reads as it reads
// strings, NULL a missing value. Other types (B, BOOL, L, M, sets) are not
// flow fields and fail the record.
func dynamoFlow(keys, image map[string]events.DynamoDBAttributeValue) ([]byte, error) {
	if av, ok := image[flowAttribute]; ok {
		switch av.DataType() {
		case events.DataTypeString:
			return []byte(av.String()), nil
		case events.DataTypeMap:
			return attributesJSON(nil, av.Map())
		default:
			return nil, fmt.Errorf("attribute %q: a flow is a string (JSON) or a map, not %s", flowAttribute, typeName(av.DataType()))
		}
	}
	return attributesJSON(keys, image)
}

// attributesJSON encodes the attributes of m (less those in skip) as a
// JSON object of feature values.
func attributesJSON(skip, m map[string]events.DynamoDBAttributeValue) ([]byte, error) {
	names := make([]string, 0, len(m))
	for name := range m {
		if _, isKey := skip[name]; !isKey {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	flow := make(map[string]any, len(names))
	for _, name := range names {
		av := m[name]
		switch av.DataType() {
		case events.DataTypeNumber:
			flow[name] = json.Number(av.Number())
		case events.DataTypeString:
			flow[name] = av.String()
		case events.DataTypeNull:
			flow[name] = nil
		default:
			return nil, fmt.Errorf("attribute %q: a feature is a number, a string or NULL, not %s", name, typeName(av.DataType()))
		}
	}
	if len(flow) == 0 {
		return nil, fmt.Errorf("no attributes besides the key")
	}
	return json.Marshal(flow)
}

// typeName is DynamoDB's name of an attribute type.
func typeName(t events.DynamoDBDataType) string {
	switch t {
	case events.DataTypeBinary:
		return "B"
	case events.DataTypeBinarySet:
		return "BS"
	case events.DataTypeBoolean:
		return "BOOL"
	case events.DataTypeList:
		return "L"
	case events.DataTypeMap:
		return "M"
	case events.DataTypeNumber:
		return "N"
	case events.DataTypeNumberSet:
		return "NS"
	case events.DataTypeNull:
		return "NULL"
	case events.DataTypeString:
		return "S"
	case events.DataTypeStringSet:
		return "SS"
	}
	return "type " + strconv.Itoa(int(t))
}

// KafkaItemIdentifier names a failed Kafka record: Lambda resumes the
// topic-partition ("topic-partition") at offset.
type KafkaItemIdentifier struct {
	Partition string `json:"partition"`
	Offset    int64  `json:"offset"`
}

// KafkaBatchItemFailure is one failed record of a Kafka batch.
type KafkaBatchItemFailure struct {
	ItemIdentifier KafkaItemIdentifier `json:"itemIdentifier"`
}

// KafkaEventResponse is the partial batch response of an Amazon MSK or
// self-managed Kafka event source mapping with ReportBatchItemFailures
// (aws-lambda-go has no type for it).
type KafkaEventResponse struct {
	BatchItemFailures []KafkaBatchItemFailure `json:"batchItemFailures"`
}

// serveKafka handles an Amazon MSK or self-managed Kafka batch
// (events.KafkaEvent): each record's value is a flow document or a
// structured CloudEvent. Topic-partitions are handled in name order,
// records in offset order; every failed record is reported by its
// topic-partition and offset.
func (h *Handler) serveKafka(ctx context.Context, payload []byte) (KafkaEventResponse, error) {
	var ev struct {
		EventSource string                       `json:"eventSource"`
		Records     map[string][]json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return KafkaEventResponse{}, payloadError("kafka", fmt.Sprintf("kafka event: %v", err))
	}
	resp := KafkaEventResponse{BatchItemFailures: []KafkaBatchItemFailure{}}
	parts := make([]string, 0, len(ev.Records))
	for p := range ev.Records {
		parts = append(parts, p)
	}
	slices.Sort(parts)
	for _, part := range parts {
		for i, b := range ev.Records[part] {
			var r struct {
				Topic     string `json:"topic"`
				Partition *int64 `json:"partition"`
				Offset    *int64 `json:"offset"`
				Value     string `json:"value"`
			}
			if err := json.Unmarshal(b, &r); err != nil || r.Partition == nil || r.Offset == nil {
				return KafkaEventResponse{}, payloadError("kafka", fmt.Sprintf("kafka record %d of %s: no partition and offset (%v)", i, part, err))
			}
			key := KafkaItemIdentifier{Partition: r.Topic + "-" + strconv.FormatInt(*r.Partition, 10), Offset: *r.Offset}
			id := key.Partition + "@" + strconv.FormatInt(key.Offset, 10)
			var o outcome
			if value, err := base64.StdEncoding.DecodeString(r.Value); err != nil {
				o = h.refuse(ctx, ev.EventSource, id, recordError(fmt.Sprintf("kafka record %s: value is not base64: %v", id, err)))
			} else {
				o, _, _ = h.record(ctx, ev.EventSource, id, value, false)
			}
			if o.failed() {
				resp.BatchItemFailures = append(resp.BatchItemFailures, KafkaBatchItemFailure{ItemIdentifier: key})
			}
		}
	}
	return resp, nil
}
