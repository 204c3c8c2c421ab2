package cloudevents

import (
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// testSchema: two numeric CICFlowMeter features and a strict categorical one.
func testSchema() *model.Schema {
	return &model.Schema{Features: []model.Feature{
		{Name: "Dst Port", Kind: model.Numeric},
		{Name: "Flow Bytes/s", Kind: model.Numeric},
		{Name: "proto", Kind: model.Categorical, Categories: []string{"tcp", "udp"}, Unknown: model.UnknownError},
	}}
}

var nan = float32(math.NaN())

func sameRows(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

func TestDecode(t *testing.T) {
	cases := map[string]struct {
		in     string
		rows   []float32
		single bool
	}{
		"object":                {`{"Dst Port": 443, "Flow Bytes/s": 1.5, "proto": "udp"}`, []float32{443, 1.5, 1}, true},
		"object raw names":      {`{" Destination Port": 443, "Flow Byts/s": 2}`, []float32{443, 2, nan}, true},
		"absent and null":       {`{"Dst Port": null, "proto": 0}`, []float32{nan, nan, 0}, true},
		"strings as cells":      {`{"Dst Port": "80", "Flow Bytes/s": "Infinity", "proto": ""}`, []float32{80, float32(math.Inf(1)), nan}, true},
		"booleans":              {`{"Dst Port": true, "Flow Bytes/s": false}`, []float32{1, 0, nan}, true},
		"huge number":           {`{"Dst Port": 1e400}`, []float32{float32(math.Inf(1)), nan, nan}, true},
		"values in order":       {`[80, 3.5, "tcp"]`, []float32{80, 3.5, 0}, true},
		"wrapped values":        {`{"features": [80, null, 1]}`, []float32{80, nan, 1}, true},
		"array of objects":      {`[{"Dst Port": 1}, {"Dst Port": 2}]`, []float32{1, nan, nan, 2, nan, nan}, false},
		"array of value arrays": {`[[1, 2, "udp"], [3, 4, "tcp"]]`, []float32{1, 2, 1, 3, 4, 0}, false},
		"mixed rows":            {`[[1, 2, "udp"], {"Dst Port": 3}]`, []float32{1, 2, 1, 3, nan, nan}, false},
		"wrapped rows":          {`{"features": [[1, 2, 0]]}`, []float32{1, 2, 0}, false},
	}
	d := NewFlowDecoder(testSchema(), 10)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f, err := d.Decode([]byte(tc.in), nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sameRows(f.Rows, tc.rows) || f.Single != tc.single || f.N*3 != len(f.Rows) {
				t.Fatalf("got %v (n %d, single %v), want %v (single %v)", f.Rows, f.N, f.Single, tc.rows, tc.single)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := map[string]struct {
		in     string
		err    error
		fields []string
		flow   int
	}{
		"empty":             {``, ErrMalformed, nil, -1},
		"truncated":         {`{"Dst Port": 1`, ErrMalformed, nil, -1},
		"trailing garbage":  {`{} x`, ErrMalformed, nil, -1},
		"number":            {`42`, ErrNotFlow, nil, -1},
		"string":            {`"flow"`, ErrNotFlow, nil, -1},
		"null":              {`null`, ErrNotFlow, nil, -1},
		"empty object":      {`{}`, ErrNotFlow, nil, 0},
		"empty array":       {`[]`, ErrNotFlow, nil, -1},
		"short values":      {`[1, 2]`, ErrNotFlow, nil, 0},
		"scalar in list":    {`[{"Dst Port": 1}, 7]`, ErrNotFlow, nil, 1},
		"wrapper not array": {`{"features": 3}`, ErrNotFlow, nil, -1},
		"unknown fields":    {`[{"Dst Port": 1}, {"b": 1, "a": 2, "Dst Port": 3}]`, ErrUnknownField, []string{"a", "b"}, 1},
		"object value":      {`{"Dst Port": {"x": 1}}`, ErrFieldValue, []string{"Dst Port"}, 0},
		"text not a number": {`{"Dst Port": "eighty"}`, ErrFieldValue, []string{"Dst Port"}, 0},
		"unknown category":  {`{"proto": "icmp"}`, ErrFieldValue, []string{"proto"}, 0},
		"code out of range": {`[1, 2, 7]`, ErrFieldValue, []string{"proto"}, 0},
		"too many flows":    {`[[1,2,0],[1,2,0],[1,2,0]]`, ErrTooManyFlows, nil, -1},
		"array in values":   {`[1, [2], 0]`, ErrFieldValue, []string{"Flow Bytes/s"}, 0},
	}
	d := NewFlowDecoder(testSchema(), 2)
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := d.Decode([]byte(tc.in), nil)
			if !errors.Is(err, tc.err) {
				t.Fatalf("error %v, want %v", err, tc.err)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if e.Flow != tc.flow || !slices.Equal(e.Fields, tc.fields) {
				t.Errorf("flow %d fields %v, want flow %d fields %v (%v)", e.Flow, e.Fields, tc.flow, tc.fields, err)
			}
		})
	}
}

// TestDecodeManyUnknown: an error names at most maxNamedFields fields and
// says how many more there are.
func TestDecodeManyUnknown(t *testing.T) {
	in := `{"f00":0,"f01":0,"f02":0,"f03":0,"f04":0,"f05":0,"f06":0,"f07":0,"f08":0,"f09":0,"f10":0,"f11":0}`
	_, err := NewFlowDecoder(testSchema(), 0).Decode([]byte(in), nil)
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) != maxNamedFields || e.Fields[0] != "f00" {
		t.Fatalf("got %v", err)
	}
	if want := "and 2 more"; !strings.Contains(e.Detail, want) {
		t.Errorf("detail %q lacks %q", e.Detail, want)
	}
}

// TestDecodeReusesBuffer: rows land in the caller's buffer when it has room.
func TestDecodeReusesBuffer(t *testing.T) {
	buf := make([]float32, 0, 6)
	f, err := NewFlowDecoder(testSchema(), 0).Decode([]byte(`[[1,2,0],[3,4,1]]`), buf)
	if err != nil {
		t.Fatal(err)
	}
	if &f.Rows[0] != &buf[:1][0] {
		t.Error("the buffer was not reused")
	}
}

// TestFeaturesNamedFeatures: a schema with a feature named "features"
// reads {"features": ...} as that feature, not as a wrapper.
func TestFeaturesNamedFeatures(t *testing.T) {
	s := &model.Schema{Features: []model.Feature{{Name: "features", Kind: model.Numeric}}}
	f, err := NewFlowDecoder(s, 0).Decode([]byte(`{"features": 5}`), nil)
	if err != nil || !sameRows(f.Rows, []float32{5}) {
		t.Fatalf("got %v, %v", f.Rows, err)
	}
}
