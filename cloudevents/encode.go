package cloudevents

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"

	"github.com/flowsense/flowsense/model"
)

// ClassificationEncoder writes classifications of one model as JSON, byte
// for byte as encoding/json writes them (FuzzClassificationEncoder checks),
// without reflection: the class names, verdicts and model are encoded once.
// A classification it was not built for (another class set, a verdict it
// does not know, another model) is handed to encoding/json. It is safe for
// concurrent use.
type ClassificationEncoder struct {
	list    []string       // the classes as given, for Classify
	plain   bool           // no duplicate class and no escape in any name: AppendResult writes directly
	classes map[string]int // name -> position in quoted
	quoted  [][]byte       // JSON string of each class
	sorted  []int          // class positions in the key order of encoding/json
	ref     ModelRef
	model   []byte // `"model":{...}`
}

var quotedVerdicts = map[string]string{"benign": `"benign"`, "malicious": `"malicious"`, "anomalous": `"anomalous"`}

// NewClassificationEncoder prepares an encoder for a model's classes and
// reference.
func NewClassificationEncoder(classes []string, ref ModelRef) *ClassificationEncoder {
	e := &ClassificationEncoder{list: slices.Clone(classes), plain: true, classes: make(map[string]int, len(classes)), ref: ref}
	for _, c := range classes {
		if _, dup := e.classes[c]; dup {
			e.plain = false
			continue
		}
		q, _ := json.Marshal(c) // a string always marshals
		if !plainString(q) {
			e.plain = false
		}
		e.classes[c] = len(e.quoted)
		e.quoted = append(e.quoted, q)
	}
	names := make([]string, 0, len(e.classes))
	for c := range e.classes {
		names = append(names, c)
	}
	slices.Sort(names) // encoding/json sorts map keys
	for _, c := range names {
		e.sorted = append(e.sorted, e.classes[c])
	}
	m, _ := json.Marshal(ref)
	e.model = append([]byte(`"model":`), m...)
	return e
}

// Append appends c's JSON to b.
func (e *ClassificationEncoder) Append(b []byte, c *Classification) ([]byte, error) {
	li, ok := e.classes[c.Label]
	v, vok := quotedVerdicts[c.Verdict]
	if !ok || !vok || c.Model != e.ref || len(c.Probabilities) != len(e.quoted) || c.Explanation != nil {
		return e.slow(b, c)
	}
	start := len(b)
	b = append(b, `{"label":`...)
	b = append(b, e.quoted[li]...)
	b = append(b, `,"probability":`...)
	var err error
	if b, err = appendFloat(b, c.Probability); err != nil {
		return b[:start], err
	}
	b = append(b, `,"probabilities":{`...)
	for k, i := range e.sorted {
		name := e.quoted[i]
		p, ok := c.Probabilities[string(name[1:len(name)-1])]
		if !ok || !plainString(name) {
			return e.slow(b[:start], c)
		}
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, name...)
		b = append(b, ':')
		if b, err = appendFloat(b, p); err != nil {
			return b[:start], err
		}
	}
	b = append(b, `},"outlier_score":`...)
	if b, err = appendFloat(b, c.OutlierScore); err != nil {
		return b[:start], err
	}
	b = append(b, `,"verdict":`...)
	b = append(b, v...)
	b = append(b, ',')
	b = append(b, e.model...)
	if c.ID != "" {
		if !plainID(c.ID) {
			return e.slow(b[:start], c)
		}
		b = append(b, `,"id":"`...)
		b = append(b, c.ID...)
		b = append(b, '"')
	}
	return append(b, '}'), nil
}

// AppendResult appends the JSON of the classification of r with reply id
// id (none when empty): byte for byte what Append writes for
// Classify(classes, r.Class, r.Probabilities, r.OutlierScore, r.Verdict,
// ref) with ID string(id) (TestAppendResult, FuzzAppendResult), without
// building it: no map, no string, nothing allocated beyond growing b. A
// result it cannot write directly (a class out of range, probabilities of
// another length, a verdict it does not know, class names with escapes or
// repeated, an id encoding/json would escape) goes through Classify and
// Append. As Append, it fails on a NaN or infinite number, with b as it
// was.
func (e *ClassificationEncoder) AppendResult(b []byte, r *model.Result, id []byte) ([]byte, error) {
	v, vok := verdictJSON(r.Verdict)
	if !e.plain || !vok || r.Class < 0 || r.Class >= len(e.quoted) || len(r.Probabilities) != len(e.quoted) || !plainID(id) {
		c := Classify(e.list, r.Class, r.Probabilities, r.OutlierScore, r.Verdict, e.ref)
		c.ID = string(id)
		return e.Append(b, &c)
	}
	start := len(b)
	b = append(b, `{"label":`...)
	b = append(b, e.quoted[r.Class]...)
	b = append(b, `,"probability":`...)
	var err error
	ps := len(b)
	if b, err = appendFloat(b, r.Probabilities[r.Class]); err != nil {
		return b[:start], err
	}
	pe := len(b)
	b = append(b, `,"probabilities":{`...)
	for k, i := range e.sorted {
		if k > 0 {
			b = append(b, ',')
		}
		b = append(b, e.quoted[i]...)
		b = append(b, ':')
		if i == r.Class { // the same number as "probability": its text again
			b = append(b, b[ps:pe]...)
			continue
		}
		if b, err = appendFloat(b, r.Probabilities[i]); err != nil {
			return b[:start], err
		}
	}
	b = append(b, `},"outlier_score":`...)
	if b, err = appendFloat(b, r.OutlierScore); err != nil {
		return b[:start], err
	}
	b = append(b, `,"verdict":`...)
	b = append(b, v...)
	b = append(b, ',')
	b = append(b, e.model...)
	if len(id) > 0 {
		b = append(b, `,"id":"`...)
		b = append(b, id...)
		b = append(b, '"')
	}
	return append(b, '}'), nil
}

// verdictJSON is the JSON string of a verdict Classify names, as
// quotedVerdicts has it.
func verdictJSON(v model.Verdict) (string, bool) {
	if v > model.Anomalous {
		return "", false // String would format a number
	}
	q, ok := quotedVerdicts[v.String()]
	return q, ok
}

// plainString reports whether a quoted name holds no escapes, so that its
// bytes between the quotes are the map key.
func plainString(q []byte) bool {
	for _, c := range q[1 : len(q)-1] {
		if c == '\\' {
			return false
		}
	}
	return true
}

// plainID reports whether an id is written by encoding/json as is
// (letters, digits, '-' and '_', as base64url ids are).
func plainID[S string | []byte](id S) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (e *ClassificationEncoder) slow(b []byte, c *Classification) ([]byte, error) {
	j, err := json.Marshal(c)
	if err != nil {
		return b, err
	}
	return append(b, j...), nil
}

// Marshal encodes one classification (single) or an array of them.
func (e *ClassificationEncoder) Marshal(results []Classification, single bool) ([]byte, error) {
	if single && len(results) == 1 {
		return e.Append(make([]byte, 0, 320), &results[0])
	}
	b := make([]byte, 0, 2+320*len(results))
	b = append(b, '[')
	var err error
	for i := range results {
		if i > 0 {
			b = append(b, ',')
		}
		if b, err = e.Append(b, &results[i]); err != nil {
			return nil, err
		}
	}
	return append(b, ']'), nil
}

// appendFloat writes f as encoding/json writes a float64.
func appendFloat(b []byte, f float64) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, &json.UnsupportedValueError{Str: strconv.FormatFloat(f, 'g', -1, 64)}
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' { // e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b, nil
}
