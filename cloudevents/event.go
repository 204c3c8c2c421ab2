package cloudevents

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/cloudevents/sdk-go/v2/event"
)

// ValidateFlowEvent checks an incoming event: sdk-go's validation of the
// CloudEvents attributes (id, source, specversion, type present and well
// formed), then this contract's: type TypeFlow, some data, and a data
// content type that is JSON (absent, application/json, text/json or any
// +json type). Errors are *Error wrapping ErrEvent or ErrContentType.
func ValidateFlowEvent(e *event.Event) error {
	return validateEvent(e, TypeFlow)
}

// validateEvent checks an event of type want (see ValidateFlowEvent).
func validateEvent(e *event.Event, want string) error {
	if e == nil {
		return &Error{Flow: -1, Err: ErrEvent, Detail: "no event"}
	}
	if err := e.Validate(); err != nil {
		return &Error{Flow: -1, Err: ErrEvent, Detail: oneLine(err.Error())}
	}
	if v := e.SpecVersion(); v != event.CloudEventsVersionV1 {
		return &Error{Flow: -1, Err: ErrEvent, Detail: fmt.Sprintf("specversion %q; this contract is CloudEvents 1.0", v)}
	}
	if e.Type() != want {
		return &Error{Flow: -1, Err: ErrEvent, Detail: fmt.Sprintf("type %q, want %q", e.Type(), want)}
	}
	if ct := e.DataContentType(); !IsJSON(ct) {
		return &Error{Flow: -1, Err: ErrContentType, Detail: fmt.Sprintf("datacontenttype %q", ct)}
	}
	if len(e.Data()) == 0 {
		return &Error{Flow: -1, Err: ErrEvent, Detail: "no data"}
	}
	return nil
}

// IsJSON reports whether a content type is JSON: empty, application/json,
// text/json, or a type with a +json suffix, parameters ignored.
func IsJSON(contentType string) bool {
	if strings.TrimSpace(contentType) == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || mt == "text/json" || strings.HasSuffix(mt, "+json")
}

// ReplyID is the id of the reply to an event: the hex of the first 16
// bytes of SHA-256(source, NUL, id) of the incoming event. The same event
// delivered twice gets the same reply id, so a sink can drop duplicates.
func ReplyID(in *event.Event) string {
	h := sha256.New()
	h.Write([]byte(in.Source()))
	h.Write([]byte{0})
	h.Write([]byte(in.ID()))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Reply builds the TypeClassified event answering in: id ReplyID(in),
// source source (a URI reference naming the function), subject in's id,
// time now, data the classification (one object when single, else an
// array in flow order), the extensions verdict and flowclass, and
// partitionkey when PartitionKey(in) has one (the flow's 5-tuple). For many
// flows, verdict is the most severe verdict among them (malicious, then
// anomalous, then benign) and flowclass the class of the first flow with
// that verdict. results must not be empty.
func Reply(in *event.Event, source string, results []Classification, single bool, now time.Time) (event.Event, error) {
	var body []byte
	var err error
	if single && len(results) == 1 {
		body, err = json.Marshal(results[0])
	} else {
		body, err = json.Marshal(results)
	}
	if err != nil {
		return event.Event{}, &Error{Flow: -1, Err: ErrEvent, Detail: err.Error()}
	}
	return ReplyData(in, source, results, body, now)
}

// ReplyData is Reply with the data already encoded (by a
// ClassificationEncoder, say): data must be the JSON of results.
func ReplyData(in *event.Event, source string, results []Classification, data []byte, now time.Time) (event.Event, error) {
	if len(results) == 0 {
		return event.Event{}, &Error{Flow: -1, Err: ErrEvent, Detail: "no classifications to reply with"}
	}
	out := event.New(event.CloudEventsVersionV1)
	out.SetID(ReplyID(in))
	out.SetSource(source)
	out.SetType(TypeClassified)
	out.SetSubject(in.ID())
	out.SetTime(now)
	worst := 0
	for i := range results {
		if verdictRank(results[i].Verdict) > verdictRank(results[worst].Verdict) {
			worst = i
		}
	}
	out.SetExtension(ExtVerdict, results[worst].Verdict)
	out.SetExtension(ExtFlowClass, FlowClass(results[worst].Label))
	if k := PartitionKey(in); k != "" {
		out.SetExtension(ExtPartitionKey, k)
	}
	// the JSON as is (SetData would mark bytes as binary: data_base64)
	out.SetDataContentType(ContentTypeJSON)
	out.DataEncoded = data
	out.DataBase64 = false
	if err := out.Validate(); err != nil {
		return event.Event{}, &Error{Flow: -1, Err: ErrEvent, Detail: oneLine(err.Error())}
	}
	return out, nil
}

func verdictRank(v string) int {
	switch v {
	case "malicious":
		return 2
	case "anomalous":
		return 1
	}
	return 0
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
