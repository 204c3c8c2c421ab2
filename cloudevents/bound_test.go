package cloudevents

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// TestBound: documents of a shape no flow has are refused before the
// parse, with little memory; documents at the bounds decode as before.
func TestBound(t *testing.T) {
	d := NewFlowDecoder(testSchema(), 10) // 3 features: at most 70 fields, arrays of 10
	fields := func(n int) string {
		var b strings.Builder
		b.WriteString("{")
		for i := range n {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, `"k%d":0`, i)
		}
		b.WriteString("}")
		return b.String()
	}
	flows := func(n int) string {
		return "[" + strings.TrimSuffix(strings.Repeat(`{"Dst Port":1},`, n), ",") + "]"
	}
	cases := map[string]struct {
		in   string
		want error // nil: decodes
	}{
		"70 fields (unknown, named)": {fields(70), ErrUnknownField},
		"71 fields":                  {fields(71), ErrNotFlow},
		"600,000 fields":             {fields(600000), ErrNotFlow},
		"10 flows":                   {flows(10), nil},
		"11 flows":                   {flows(11), ErrTooManyFlows},
		"a million values":           {"[" + strings.TrimSuffix(strings.Repeat("1,", 1000000), ",") + "]", ErrTooManyFlows},
		"wrapped flows, depth 3":     {`{"features":[[1,2,"tcp"],[3,4,"udp"]]}`, nil},
		"depth 4":                    {`{"features":[[[1],2,"tcp"]]}`, ErrNotFlow},
		"deep nesting":               {strings.Repeat("[", 100000) + strings.Repeat("]", 100000), ErrNotFlow},
		"commas in strings":          {`{"Dst Port":",,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,,"}`, ErrFieldValue},
		"escaped quotes":             {`{"Dst Port":"\",\",\"","proto":"tcp"}`, ErrFieldValue},
		"not JSON":                   {`{"Dst Port": 1,,}`, ErrMalformed},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := []byte(tc.in)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := d.Decode(in, nil)
			runtime.ReadMemStats(&after)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			if len(tc.in) > 1<<20 {
				if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 1<<20 {
					t.Errorf("refusing %d bytes allocated %d bytes", len(tc.in), alloc)
				}
			}
		})
	}
}
