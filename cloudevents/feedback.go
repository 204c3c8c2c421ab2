package cloudevents

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/cloudevents/sdk-go/v2/event"
)

// TypeFeedback is the type of an event carrying feedback: the label a
// function returned for a flow and the flow's true label, once someone
// knows it. Frozen, like the flow types. It has no reply event.
const TypeFeedback = "io.flowsense.feedback.v1"

var (
	// ErrNotFeedback: valid JSON that is not feedback (not an object with
	// "predicted" and "truth", or a non-empty array of them).
	ErrNotFeedback = errors.New("not feedback")
	// ErrUnknownLabel: feedback names a label that is not a class of the
	// model.
	ErrUnknownLabel = errors.New("unknown label")
)

// Feedback is one item of feedback data: the reply id of the prediction
// (Classification.ID), the label the function returned and the true label,
// both exactly as the model names its classes. With an id, Predicted may
// be left out (the id names it); a host that checks ids counts no item
// without one.
type Feedback struct {
	ID        string `json:"id,omitempty"`
	Predicted string `json:"predicted,omitempty"`
	Truth     string `json:"truth"`
}

// LabelPair is one decoded item of feedback as class indices. Predicted
// is -1 when the item gave only an id.
type LabelPair struct {
	Predicted, Truth int
	// ID is the item's reply id, "" for none.
	ID string
}

// MaxIDLen bounds the reply id of a feedback item.
const MaxIDLen = 256

// FeedbackDecoder reads feedback data (the body of POST /feedback and the
// data of a TypeFeedback event) against a model's classes. It is safe for
// concurrent use.
type FeedbackDecoder struct {
	classes map[string]int
	max     int
}

// NewFeedbackDecoder returns a decoder for the given class names that
// takes at most maxItems items in one document.
func NewFeedbackDecoder(classes []string, maxItems int) *FeedbackDecoder {
	m := make(map[string]int, len(classes))
	for i, c := range classes {
		m[c] = i
	}
	return &FeedbackDecoder{classes: m, max: max(1, maxItems)}
}

// Decode reads one feedback object or a non-empty JSON array of them and
// appends the items to dst as class indices. Errors are *Error (Flow -1;
// Detail names the item of an array) wrapping ErrMalformed (not JSON, 400),
// ErrNotFeedback (422), ErrUnknownField (a member other than predicted and
// truth, 422), ErrFieldValue (a label that is not a string, 400),
// ErrUnknownLabel (422) or ErrTooManyFlows (more than maxItems, 413).
func (d *FeedbackDecoder) Decode(data []byte, dst []LabelPair) ([]LabelPair, error) {
	data = bytes.TrimSpace(data)
	if !json.Valid(data) {
		return dst, &Error{Flow: -1, Err: ErrMalformed, Detail: malformedDetail(data)}
	}
	switch {
	case len(data) > 0 && data[0] == '{':
		p, err := d.item(data, "")
		if err != nil {
			return dst, err
		}
		return append(dst, p), nil
	case len(data) > 0 && data[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(data, &items); err != nil { // cannot happen: valid JSON array
			return dst, &Error{Flow: -1, Err: ErrMalformed, Detail: oneLine(err.Error())}
		}
		if len(items) == 0 {
			return dst, &Error{Flow: -1, Err: ErrNotFeedback, Detail: "an empty array"}
		}
		if len(items) > d.max {
			return dst, &Error{Flow: -1, Err: ErrTooManyFlows, Detail: fmt.Sprintf("%d feedback items, at most %d in one request", len(items), d.max)}
		}
		for i, it := range items {
			p, err := d.item(it, "item "+itoa(i)+": ")
			if err != nil {
				return dst, err
			}
			dst = append(dst, p)
		}
		return dst, nil
	}
	return dst, &Error{Flow: -1, Err: ErrNotFeedback, Detail: `want {"predicted": LABEL, "truth": LABEL} or an array of them`}
}

// item reads one feedback object; at prefixes the detail of its errors.
func (d *FeedbackDecoder) item(data []byte, at string) (LabelPair, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return LabelPair{}, &Error{Flow: -1, Err: ErrNotFeedback, Detail: at + `want an object {"predicted": LABEL, "truth": LABEL}`}
	}
	var unknown []string
	for k := range obj {
		if k != "predicted" && k != "truth" && k != "id" {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		if len(unknown) > 10 {
			unknown = unknown[:10]
		}
		return LabelPair{}, &Error{Flow: -1, Err: ErrUnknownField, Fields: unknown, Detail: at + quoteList(unknown)}
	}
	var p LabelPair
	if raw, ok := obj["id"]; ok {
		if err := json.Unmarshal(raw, &p.ID); err != nil || p.ID == "" || len(p.ID) > MaxIDLen {
			return LabelPair{}, &Error{Flow: -1, Err: ErrFieldValue, Fields: []string{"id"}, Detail: at + "id is not a reply id (a non-empty string of at most " + itoa(MaxIDLen) + " bytes)"}
		}
	}
	for _, f := range [...]struct {
		name string
		dst  *int
	}{{"predicted", &p.Predicted}, {"truth", &p.Truth}} {
		raw, ok := obj[f.name]
		if !ok && f.name == "predicted" && p.ID != "" {
			p.Predicted = -1
			continue
		}
		if !ok {
			return LabelPair{}, &Error{Flow: -1, Err: ErrNotFeedback, Fields: []string{f.name}, Detail: at + "no " + f.name + " label"}
		}
		var label string
		// null decodes into a string without error: it is no label either
		if err := json.Unmarshal(raw, &label); err != nil || string(bytes.TrimSpace(raw)) == "null" {
			return LabelPair{}, &Error{Flow: -1, Err: ErrFieldValue, Fields: []string{f.name}, Detail: at + f.name + " is not a string"}
		}
		c, ok := d.classes[label]
		if !ok {
			return LabelPair{}, &Error{Flow: -1, Err: ErrUnknownLabel, Fields: []string{f.name}, Detail: fmt.Sprintf("%s%s %q is not a class of the model", at, f.name, label)}
		}
		*f.dst = c
	}
	return p, nil
}

func quoteList(names []string) string {
	var b bytes.Buffer
	for i, n := range names {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q", n)
	}
	return b.String()
}

// malformedDetail says where JSON stops being JSON.
func malformedDetail(data []byte) string {
	var v any
	err := json.Unmarshal(data, &v)
	if err == nil {
		return "not JSON"
	}
	return oneLine(err.Error())
}

// ValidateFeedbackEvent checks an incoming feedback event as
// ValidateFlowEvent checks a flow event, but for type TypeFeedback.
func ValidateFeedbackEvent(e *event.Event) error {
	return validateEvent(e, TypeFeedback)
}

// FeedbackSchema returns a JSON Schema (draft 2020-12) of the data of a
// TypeFeedback event (and of a POST /feedback body) for a model's classes:
// one {"id", "truth"} object (or {"id", "predicted", "truth"}, or, where a
// host counts feedback without ids, {"predicted", "truth"}) or a non-empty
// array of them, labels one of classes. id is the schema's $id (a URI;
// empty for none).
func FeedbackSchema(classes []string, id string) ([]byte, error) {
	label := map[string]any{"type": "string", "enum": append([]string{}, classes...)}
	item := map[string]any{
		"type":                 "object",
		"required":             []string{"truth"},
		"anyOf":                []any{map[string]any{"required": []string{"id"}}, map[string]any{"required": []string{"predicted"}}},
		"additionalProperties": false,
		"properties": map[string]any{
			"id":        map[string]any{"type": "string", "minLength": 1, "maxLength": MaxIDLen, "description": "the reply id the function returned with the prediction"},
			"predicted": withDescription(label, "the label the function returned"),
			"truth":     withDescription(label, "the flow's true label"),
		},
	}
	doc := map[string]any{
		"$schema":     JSONSchemaDialect,
		"title":       "flowsense feedback (" + TypeFeedback + " data)",
		"description": "The label returned for a flow and its true label, or a list of them.",
		"$defs":       map[string]any{"feedback": item},
		"anyOf": []any{
			map[string]any{"$ref": "#/$defs/feedback"},
			map[string]any{"type": "array", "minItems": 1, "items": map[string]any{"$ref": "#/$defs/feedback"}},
		},
	}
	if id != "" {
		doc["$id"] = id
	}
	return json.MarshalIndent(doc, "", "  ")
}

func withDescription(m map[string]any, d string) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["description"] = d
	return out
}
