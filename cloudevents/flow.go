package cloudevents

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// maxNamedFields is how many unknown field names an error lists.
const maxNamedFields = 10

// FlowDecoder reads the JSON shapes of flows against a model's schema:
//
//   - one flow as an object of named fields: {"Dst Port": 443, ...};
//   - one flow as an array of values in schema order: [443, 6, ...];
//   - one flow wrapped: {"features": [443, 6, ...]};
//   - many flows: an array of objects or of arrays, or {"features": [[...], ...]}.
//
// A field name is looked up as given, then as data.Canonical spells it
// (" Destination Port" and "Dst Port" name the same feature). A number is
// the value (a category code for a categorical feature), a string is read
// like a CSV cell (a number, or a category name), null is missing, true
// and false are 1 and 0; a feature the flow leaves out is missing.
//
// A FlowDecoder is safe for concurrent use.
type FlowDecoder struct {
	enc      *model.Encoder
	index    map[string]int // feature name -> position
	nf       int
	maxFlows int
	wrapper  bool               // {"features": [...]} is a wrapper (no feature is named "features")
	codes    []map[string]int32 // category name -> code per categorical feature, as enc has them (fast.go)
	names    []string           // feature names in schema order; nil when two are alike (fast.go)
}

// NewFlowDecoder returns a decoder for schema s that accepts at most
// maxFlows flows per document (no limit when maxFlows <= 0). The schema
// must not change afterwards.
func NewFlowDecoder(s *model.Schema, maxFlows int) *FlowDecoder {
	enc := model.NewEncoder(s)
	index := make(map[string]int, len(s.Features))
	codes := make([]map[string]int32, len(s.Features))
	for i, f := range s.Features {
		index[f.Name] = i
		if f.Kind != model.Numeric {
			codes[i] = make(map[string]int32, len(f.Categories))
			for c, name := range f.Categories {
				codes[i][name] = int32(c)
			}
		}
	}
	var names []string
	if len(index) == len(s.Features) { // index[name] is the only feature so named
		for _, f := range s.Features {
			names = append(names, f.Name)
		}
	}
	return &FlowDecoder{enc: enc, index: index, codes: codes, names: names, nf: len(s.Features), maxFlows: maxFlows, wrapper: enc.Index("features") < 0}
}

// Flows is a decoded document: N rows of Features values each, row-major.
type Flows struct {
	Rows []float32
	N    int
	// Single is true when the document was one flow (an object, an array of
	// values or a wrapped array of values): the answer is one object, not
	// an array.
	Single bool
}

// Decode reads one document. Rows reuses buf when it has room. Errors are
// *Error wrapping ErrMalformed (not JSON), ErrNotFlow (JSON of the wrong
// shape), ErrUnknownField (names the fields), ErrFieldValue or
// ErrTooManyFlows.
func (d *FlowDecoder) Decode(b []byte, buf []float32) (Flows, error) {
	if f, ok := d.fastDecode(b, buf); ok {
		return f, nil
	}
	return d.decodeGeneral(b, buf)
}

// decodeGeneral is Decode without the fast pass: the reference.
func (d *FlowDecoder) decodeGeneral(b []byte, buf []float32) (Flows, error) {
	if err := d.bound(b); err != nil { // bound.go
		return Flows{}, err
	}
	v, err := parseJSON(b)
	if err != nil {
		return Flows{}, err
	}
	return d.decodeValue(v, buf)
}

func parseJSON(b []byte) (any, error) {
	if !json.Valid(b) {
		detail := "not valid JSON"
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			detail = err.Error()
		}
		if len(bytes.TrimSpace(b)) == 0 {
			detail = "empty body"
		}
		return nil, &Error{Flow: -1, Err: ErrMalformed, Detail: detail}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Flow: -1, Err: ErrMalformed, Detail: err.Error()}
	}
	return v, nil
}

func (d *FlowDecoder) decodeValue(v any, buf []float32) (Flows, error) {
	switch x := v.(type) {
	case map[string]any:
		if w, ok := x["features"]; ok && d.wrapper && len(x) == 1 {
			arr, ok := w.([]any)
			if !ok {
				return Flows{}, &Error{Flow: -1, Err: ErrNotFlow, Detail: `"features" must be an array of values or of flows`}
			}
			return d.decodeArray(arr, buf)
		}
		rows := grow(buf, d.nf)
		if err := d.object(x, rows, 0); err != nil {
			return Flows{}, err
		}
		return Flows{Rows: rows, N: 1, Single: true}, nil
	case []any:
		return d.decodeArray(x, buf)
	case nil:
		return Flows{}, &Error{Flow: -1, Err: ErrNotFlow, Detail: "null is not a flow"}
	default:
		return Flows{}, &Error{Flow: -1, Err: ErrNotFlow, Detail: fmt.Sprintf("a JSON %s is not a flow", jsonKind(v))}
	}
}

func (d *FlowDecoder) decodeArray(arr []any, buf []float32) (Flows, error) {
	if len(arr) == 0 {
		return Flows{}, &Error{Flow: -1, Err: ErrNotFlow, Detail: "empty array: no flows"}
	}
	switch arr[0].(type) {
	case map[string]any, []any:
	default: // an array of values: one flow in schema order
		rows := grow(buf, d.nf)
		if err := d.values(arr, rows, 0); err != nil {
			return Flows{}, err
		}
		return Flows{Rows: rows, N: 1, Single: true}, nil
	}
	if d.maxFlows > 0 && len(arr) > d.maxFlows {
		return Flows{}, &Error{Flow: -1, Err: ErrTooManyFlows, Detail: fmt.Sprintf("%d flows, at most %d in one request", len(arr), d.maxFlows)}
	}
	rows := grow(buf, d.nf*len(arr))
	for k, e := range arr {
		row := rows[k*d.nf : (k+1)*d.nf]
		var err error
		switch x := e.(type) {
		case map[string]any:
			err = d.object(x, row, k)
		case []any:
			err = d.values(x, row, k)
		default:
			err = &Error{Flow: k, Err: ErrNotFlow, Detail: fmt.Sprintf("a JSON %s in a list of flows", jsonKind(e))}
		}
		if err != nil {
			return Flows{}, err
		}
	}
	return Flows{Rows: rows, N: len(arr)}, nil
}

func (d *FlowDecoder) object(o map[string]any, row []float32, k int) error {
	if len(o) == 0 {
		return &Error{Flow: k, Err: ErrNotFlow, Detail: "an empty object has no fields"}
	}
	model.NaNRow(row)
	names := make([]string, 0, len(o))
	for name := range o {
		names = append(names, name)
	}
	slices.Sort(names) // errors do not depend on map order
	var unknown []string
	by := make(map[int]string, len(names))
	for _, name := range names {
		val := o[name]
		i := d.enc.Index(name)
		if i < 0 {
			i = d.enc.Index(flowdata.Canonical(name))
		}
		if i < 0 {
			unknown = append(unknown, name)
			continue
		}
		if prev, dup := by[i]; dup {
			return &Error{Flow: k, Fields: []string{prev, name}, Err: ErrNotFlow,
				Detail: fmt.Sprintf("%q and %q name the same feature", prev, name)}
		}
		by[i] = name
		v, err := d.value(i, val)
		if err != nil {
			return &Error{Flow: k, Fields: []string{name}, Err: ErrFieldValue, Detail: fmt.Sprintf("field %q: %v", name, err)}
		}
		row[i] = v
	}
	if len(unknown) > 0 {
		shown := unknown[:min(len(unknown), maxNamedFields)]
		detail := ""
		for j, n := range shown {
			if j > 0 {
				detail += ", "
			}
			detail += strconv.Quote(n)
		}
		if len(unknown) > len(shown) {
			detail += fmt.Sprintf(" and %d more", len(unknown)-len(shown))
		}
		return &Error{Flow: k, Fields: shown, Err: ErrUnknownField, Detail: detail}
	}
	return nil
}

func (d *FlowDecoder) values(a []any, row []float32, k int) error {
	if len(a) != d.nf {
		return &Error{Flow: k, Err: ErrNotFlow, Detail: fmt.Sprintf("%d values, the schema has %d features", len(a), d.nf)}
	}
	for i, val := range a {
		v, err := d.value(i, val)
		if err != nil {
			name := d.enc.Schema().Features[i].Name
			return &Error{Flow: k, Fields: []string{name}, Err: ErrFieldValue, Detail: fmt.Sprintf("value %d (%q): %v", i, name, err)}
		}
		row[i] = v
	}
	return nil
}

func (d *FlowDecoder) value(i int, val any) (float32, error) {
	switch x := val.(type) {
	case nil:
		return float32(math.NaN()), nil
	case json.Number:
		f, err := model.ParseNumber(string(x))
		if err != nil {
			return 0, err
		}
		return d.enc.Number(i, float64(f))
	case string:
		return d.enc.Value(i, x)
	case bool:
		if x {
			return d.enc.Number(i, 1)
		}
		return d.enc.Number(i, 0)
	default:
		return 0, fmt.Errorf("a JSON %s is not a value", jsonKind(val))
	}
}

func grow(buf []float32, n int) []float32 {
	if cap(buf) >= n {
		return buf[:n]
	}
	return make([]float32, n)
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}
