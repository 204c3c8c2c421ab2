package functions

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/extract"
)

// ErrCapture: a packet capture upload that cannot be read (400): not pcap
// or pcapng, truncated, corrupt, an unknown link type.
var ErrCapture = errors.New("bad capture upload")

// Capture media types /predict reads. application/octet-stream, and a
// body without a Content-Type, are sniffed: a pcap or pcapng magic number
// (plain or under gzip) makes them a capture.
var captureTypes = map[string]bool{
	"application/vnd.tcpdump.pcap": true,
	"application/pcap":             true,
	"application/x-pcap":           true,
	"application/x-pcapng":         true,
	"application/pcapng":           true,
}

const (
	kindCapture contentKind = 100 + iota
	// kindSniff: octet-stream or no Content-Type; the body decides.
	kindSniff
)

// predictKind is bodyKind with captures: the declared pcap types, and
// kindSniff for octet-stream or no type (sniffKind decides once the body
// is read).
func predictKind(ct string) (contentKind, error) {
	mt := ""
	if strings.TrimSpace(ct) != "" {
		if m, _, err := mime.ParseMediaType(ct); err == nil {
			mt = m
		}
	}
	switch {
	case captureTypes[mt]:
		return kindCapture, nil
	case mt == "application/octet-stream", strings.TrimSpace(ct) == "":
		return kindSniff, nil
	}
	k, err := bodyKind(ct)
	if err != nil {
		return 0, fmt.Errorf("%w (or a capture: application/vnd.tcpdump.pcap, application/x-pcapng)", err)
	}
	return k, nil
}

// sniffKind: a body sent as octet-stream or without a type is a capture
// if it starts like one, and refused otherwise.
func sniffKind(ct string, body []byte) (contentKind, error) {
	if IsCapture(body) {
		return kindCapture, nil
	}
	if strings.TrimSpace(ct) == "" {
		return 0, fmt.Errorf("%w: no Content-Type, and the body is not a pcap or pcapng capture; send application/json, text/csv or a capture", ErrContentType)
	}
	return 0, fmt.Errorf("%w: an application/octet-stream body that is not a pcap or pcapng capture; send application/json, text/csv or a capture", ErrContentType)
}

// IsCapture reports whether b starts like a pcap or pcapng file, plain or
// gzip-compressed.
func IsCapture(b []byte) bool {
	if len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return false
		}
		var head [4]byte
		if _, err := io.ReadFull(zr, head[:]); err != nil {
			return false
		}
		b = head[:]
	}
	if len(b) < 4 {
		return false
	}
	switch [4]byte(b[:4]) {
	case [4]byte{0xa1, 0xb2, 0xc3, 0xd4}, [4]byte{0xd4, 0xc3, 0xb2, 0xa1}, // µs
		[4]byte{0xa1, 0xb2, 0x3c, 0x4d}, [4]byte{0x4d, 0x3c, 0xb2, 0xa1}, // ns
		[4]byte{0x0a, 0x0d, 0x0d, 0x0a}: // pcapng section header
		return true
	}
	return false
}

// FlowKey says which flow of a capture a classification is for
// (extract.Flow.Key).
type FlowKey = extract.FlowKey

// CaptureResult is one flow of a capture upload and its classification.
type CaptureResult struct {
	Flow FlowKey `json:"flow"`
	cloudevents.Classification
}

// captureReorderLimit caps the packets an upload holds back to put them in
// time order (extract's default is 1 Mi, about 80 MiB). A gzip body of a
// few MiB can hold millions of packets with one timestamp; 64 Ki keeps one
// request within about 5 MiB of reorder state and still reorders every
// capture whose late packets are fewer than 64 Ki packets late.
const captureReorderLimit = 1 << 16

// flowsOfCapture extracts the flows of a capture body (CICFlowMeter's
// CIC-IDS2017 profile, extract's defaults but captureReorderLimit) and maps
// them onto the model's schema through the same CSV column mapping as a CSV
// upload, so a model that lacks a CICFlowMeter column answers 422 naming it.
// Open flows are capped at the request's flow limit, the flows emitted too.
func (s *Server) flowsOfCapture(ctx context.Context, body []byte) ([]FlowKey, cloudevents.Flows, error) {
	var keys []FlowKey
	var csv bytes.Buffer
	cw := extract.NewCSVWriter(&csv, "")
	errTooMany := fmt.Errorf("%w: more than %d flows in one capture", cloudevents.ErrTooManyFlows, s.cfg.maxFlows)
	x, err := extract.New(extract.Options{MaxFlows: s.cfg.maxFlows + 1, ReorderLimit: captureReorderLimit}, func(f *extract.Flow) error {
		if len(keys) == s.cfg.maxFlows {
			return errTooMany
		}
		keys = append(keys, f.Key())
		return cw.Write(f)
	})
	if err != nil {
		return nil, cloudevents.Flows{}, fmt.Errorf("%w: %v", ErrModel, err)
	}
	if err := x.ReadCapture(ctx, bytes.NewReader(body), "upload"); err != nil {
		switch {
		case errors.Is(err, errTooMany):
			return nil, cloudevents.Flows{}, errTooMany
		case ctx.Err() != nil:
			return nil, cloudevents.Flows{}, fmt.Errorf("%w: %v", ErrTimeout, ctx.Err())
		}
		return nil, cloudevents.Flows{}, &Error{Problem: withDetail(captureProblem(), err.Error()), Err: fmt.Errorf("%w: %w", ErrCapture, err)}
	}
	if len(keys) == 0 {
		st := x.Stats()
		return nil, cloudevents.Flows{}, &Error{Problem: withDetail(problemFor(cloudevents.ErrNotFlow).Problem,
			fmt.Sprintf("the capture holds no IP flow (%d packets: %d not IP, %d malformed)", st.Packets, st.NotIP, st.Malformed)), Err: cloudevents.ErrNotFlow}
	}
	if err := cw.Flush(); err != nil {
		return nil, cloudevents.Flows{}, fmt.Errorf("%w: %v", ErrModel, err)
	}
	flows, err := s.decodeCSV(ctx, csv.Bytes())
	if err != nil {
		return nil, cloudevents.Flows{}, err
	}
	if flows.N != len(keys) {
		return nil, cloudevents.Flows{}, fmt.Errorf("%w: %d flows extracted, %d rows read back", ErrModel, len(keys), flows.N)
	}
	return keys, flows, nil
}

func captureProblem() Problem {
	return Problem{Type: "urn:flowsense:problem:capture", Title: "bad capture upload", Status: http.StatusBadRequest}
}

// servePredictCapture answers a capture upload: a JSON array with one
// CaptureResult per flow, in the order the flows ended.
func (s *Server) servePredictCapture(ctx context.Context, w http.ResponseWriter, body []byte) error {
	keys, flows, err := s.flowsOfCapture(ctx, body)
	if err != nil {
		return err
	}
	results, err := s.ClassifyRows(ctx, flows.Rows, flows.N)
	if err != nil {
		return err
	}
	out := make([]CaptureResult, len(results))
	for i := range results {
		out[i] = CaptureResult{Flow: keys[i], Classification: results[i]}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return fmt.Errorf("%w: encoding the answer: %v", ErrModel, err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(append(b, '\n'))
	return nil
}
