package awslambda

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-lambda-go/events"
	"github.com/cloudevents/sdk-go/v2/event"

	"github.com/flowsense/flowsense/cloudevents"
)

// errFirehoseFault: a record of a Firehose batch could not be answered
// for a reason of the server's own (5xx); the invocation fails, so that
// Firehose retries the whole batch instead of filing good records as
// failed.
var errFirehoseFault = errors.New("a record could not be classified now (server fault); the batch is retried")

// FirehoseOutput is the transformed data of a record that was classified:
// one JSON line holding the record's input document and the answer (the
// classifications of its flows, in order, or the reply event of a
// CloudEvent), so the delivered stream keeps what was classified beside
// how.
type FirehoseOutput struct {
	Input   json.RawMessage              `json:"input"`
	Results []cloudevents.Classification `json:"results,omitempty"`
	Reply   *event.Event                 `json:"reply,omitempty"`
}

// serveFirehose is a Kinesis Data Firehose record transformation
// (events.KinesisFirehoseEvent): every record is answered once, by its
// recordId, in order. A record that is classified is Ok with a
// FirehoseOutput line as its data; a feedback event is Dropped (counted,
// nothing to deliver); a bad record is ProcessingFailed with its data
// unchanged (Firehose writes it to the error output prefix). If the server
// cannot answer a record now (5xx), the invocation fails and Firehose
// retries the batch.
func (h *Handler) serveFirehose(ctx context.Context, payload []byte) (events.KinesisFirehoseResponse, error) {
	var ev struct {
		Records []json.RawMessage `json:"records"`
	}
	if err := json.Unmarshal(payload, &ev); err != nil {
		return events.KinesisFirehoseResponse{}, payloadError("firehose", fmt.Sprintf("firehose event: %v", err))
	}
	resp := events.KinesisFirehoseResponse{Records: make([]events.KinesisFirehoseResponseRecord, 0, len(ev.Records))}
	for i, b := range ev.Records {
		var id struct {
			RecordID string `json:"recordId"`
		}
		if err := json.Unmarshal(b, &id); err != nil || id.RecordID == "" {
			return events.KinesisFirehoseResponse{}, payloadError("firehose", fmt.Sprintf("firehose record %d: no recordId (%v)", i, err))
		}
		out := events.KinesisFirehoseResponseRecord{RecordID: id.RecordID,
			Metadata: events.KinesisFirehoseResponseRecordMetadata{PartitionKeys: map[string]string{}}}
		var r events.KinesisFirehoseEventRecord
		if err := json.Unmarshal(b, &r); err != nil {
			h.refuse(ctx, "aws:firehose", id.RecordID, recordError(fmt.Sprintf("firehose record %s: %v", id.RecordID, err)))
			// the data cannot be decoded, so none is sent back (Firehose
			// files the record under its error prefix as it came)
			out.Result, out.Data = events.KinesisFirehoseTransformedStateProcessingFailed, []byte{}
			resp.Records = append(resp.Records, out)
			continue
		}
		out.Data = r.Data
		o, reply, results := h.record(ctx, "aws:firehose", id.RecordID, r.Data, true)
		switch o {
		case outGood:
			line, err := firehoseLine(r.Data, reply, results)
			if err != nil {
				h.refuse(ctx, "aws:firehose", id.RecordID, recordError(fmt.Sprintf("firehose record %s: %v", id.RecordID, err)))
				out.Result = events.KinesisFirehoseTransformedStateProcessingFailed
				break
			}
			out.Result, out.Data = events.KinesisFirehoseTransformedStateOk, line
		case outFeedback:
			out.Result = events.KinesisFirehoseTransformedStateDropped
		case outFault:
			return events.KinesisFirehoseResponse{}, &Error{Kind: "firehose", Status: 503,
				Err: fmt.Errorf("record %s: %w", id.RecordID, errFirehoseFault)}
		default:
			out.Result = events.KinesisFirehoseTransformedStateProcessingFailed
		}
		resp.Records = append(resp.Records, out)
	}
	return resp, nil
}

// firehoseLine is the transformed data of a classified record: a
// FirehoseOutput and a newline.
func firehoseLine(input []byte, reply *event.Event, results []cloudevents.Classification) ([]byte, error) {
	in := bytes.TrimSpace(input)
	if !json.Valid(in) {
		return nil, fmt.Errorf("input is not JSON")
	}
	o := FirehoseOutput{Input: in}
	if reply != nil {
		o.Reply = reply
	} else {
		o.Results = results
	}
	b, err := json.Marshal(o)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
