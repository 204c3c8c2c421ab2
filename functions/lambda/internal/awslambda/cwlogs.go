package awslambda

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
)

// maxLogsBytes caps the decompressed data of one CloudWatch Logs event: a
// subscription delivers at most 1 MB of compressed data an invocation,
// and 16 MiB of JSON is far more than that decompresses to from log
// lines; a gzip bomb stops here.
const maxLogsBytes = 16 << 20

// errLogsFault: a log event could not be classified for a reason of the
// server's own; the invocation fails and Lambda retries it (asynchronous
// invocations are retried twice, then go to the on-failure destination).
var errLogsFault = errors.New("a log event could not be classified now (server fault); the invocation is retried")

// LogsResponse is the answer to a CloudWatch Logs subscription event, by
// log event id. A subscription invokes asynchronously, so Lambda does not
// read it: the failed events are in the function's log, one "record
// failed" record each; the answer is for aws lambda invoke and tests.
type LogsResponse struct {
	MessageType string `json:"messageType"`
	LogGroup    string `json:"logGroup"`
	// Classified: the events whose answers went to the sink (and feedback
	// events, counted).
	Classified []string `json:"classified"`
	// Skipped: VPC flow log records with log-status NODATA or SKIPDATA
	// (no traffic, or records the service could not capture).
	Skipped []string `json:"skipped"`
	Failed  []string `json:"failed"`
}

// serveLogs handles a CloudWatch Logs subscription event
// (events.CloudwatchLogsEvent: gzip, then base64, of a
// CloudwatchLogsData). A CONTROL_MESSAGE (sent when the subscription is
// made) has nothing to classify. In a DATA_MESSAGE, each log event's
// message is a flow: a JSON document (a flow, a batch, a CloudEvent) when
// it starts with { (or is a JSON array), else a VPC Flow Logs record in
// the default format (vpcFlowSchema says how it becomes a flow). Good events go to the sink with the log event id.
func (h *Handler) serveLogs(ctx context.Context, payload []byte) (LogsResponse, error) {
	var ev events.CloudwatchLogsEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return LogsResponse{}, payloadError("logs", fmt.Sprintf("cloudwatch logs event: %v", err))
	}
	d, err := parseLogs(ev.AWSLogs.Data)
	if err != nil {
		return LogsResponse{}, payloadError("logs", "cloudwatch logs event: awslogs.data: "+err.Error())
	}
	resp := LogsResponse{MessageType: d.MessageType, LogGroup: d.LogGroup,
		Classified: []string{}, Skipped: []string{}, Failed: []string{}}
	if d.MessageType != "DATA_MESSAGE" {
		h.log.LogAttrs(ctx, slog.LevelInfo, "cloudwatch logs message without data",
			slog.String("messageType", d.MessageType), slog.String("logGroup", d.LogGroup))
		return resp, nil
	}
	var features []string
	if md := h.srv.Metadata(); md != nil {
		for _, f := range md.Schema.Features {
			features = append(features, f.Name)
		}
	}
	for _, le := range d.LogEvents {
		var o outcome
		msg := bytes.TrimSpace([]byte(le.Message))
		if len(msg) > 0 && (msg[0] == '{' || msg[0] == '[' && json.Valid(msg)) {
			o, _, _ = h.record(ctx, "aws:logs", le.ID, msg, false)
		} else if rec, err := parseVPCFlow(le.Message); err != nil {
			o = h.refuse(ctx, "aws:logs", le.ID, recordError(fmt.Sprintf("log event %s: %v", le.ID, err)))
		} else if rec.LogStatus != "OK" {
			o = outSkipped
		} else if body, err := rec.flow(features); err != nil {
			o = h.refuse(ctx, "aws:logs", le.ID, recordError(fmt.Sprintf("log event %s: %v", le.ID, err)))
		} else {
			o, _, _ = h.record(ctx, "aws:logs", le.ID, body, false)
		}
		switch o {
		case outGood, outFeedback:
			resp.Classified = append(resp.Classified, le.ID)
		case outSkipped:
			resp.Skipped = append(resp.Skipped, le.ID)
		case outFault:
			return LogsResponse{}, &Error{Kind: "logs", Status: 503, Err: fmt.Errorf("log event %s: %w", le.ID, errLogsFault)}
		default:
			resp.Failed = append(resp.Failed, le.ID)
		}
	}
	return resp, nil
}

// parseLogs decodes awslogs.data as events.CloudwatchLogsRawData.Parse
// does, with the decompressed size capped at maxLogsBytes.
func parseLogs(data string) (events.CloudwatchLogsData, error) {
	var d events.CloudwatchLogsData
	raw, err := base64.StdEncoding.DecodeString(data)
	if err != nil {
		return d, fmt.Errorf("not base64: %v", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return d, fmt.Errorf("not gzip: %v", err)
	}
	defer zr.Close()
	b, err := io.ReadAll(io.LimitReader(zr, maxLogsBytes+1))
	if err != nil {
		return d, fmt.Errorf("gzip: %v", err)
	}
	if len(b) > maxLogsBytes {
		return d, fmt.Errorf("more than %d bytes decompressed", maxLogsBytes)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, fmt.Errorf("not the JSON of a subscription: %v", err)
	}
	return d, nil
}
