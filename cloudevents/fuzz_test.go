package cloudevents

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"testing"

	"github.com/cloudevents/sdk-go/v2/event"
)

// FuzzDecode: any bytes give rows of the schema's width or an *Error
// wrapping one of the decoder's sentinels; nothing panics.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"Dst Port": 443, "proto": "udp"}`, `[80, 3.5, "tcp"]`, `{"features": [1, 2, 0]}`,
		`[{"Dst Port": 1}, [1, 2, "udp"]]`, `{"Dst Port": {"x": 1}}`, `[]`, `42`, `{"a": 1}`,
		`{"Dst Port": 1e400, "Flow Bytes/s": "-Infinity"}`, `[[1,2,0],[1,2,0],[1,2,0]]`,
	} {
		f.Add([]byte(s))
	}
	d := NewFlowDecoder(testSchema(), 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		fl, err := d.Decode(b, nil)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not an *Error: %v", err, err)
			}
			for _, s := range []error{ErrMalformed, ErrNotFlow, ErrUnknownField, ErrFieldValue, ErrTooManyFlows} {
				if errors.Is(err, s) {
					return
				}
			}
			t.Fatalf("error wraps no decoder sentinel: %v", err)
		}
		if fl.N < 1 || fl.N > 2 || len(fl.Rows) != 3*fl.N || (fl.Single && fl.N != 1) {
			t.Fatalf("%d rows, %d values, single %v", fl.N, len(fl.Rows), fl.Single)
		}
		if !json.Valid(b) {
			t.Fatalf("decoded invalid JSON %q", b)
		}
	})
}

// FuzzEvent: a structured event's bytes, decoded by sdk-go, validated and
// its data decoded, never panic; a reply to an event that passes is valid.
func FuzzEvent(f *testing.F) {
	f.Add([]byte(`{"specversion":"1.0","id":"a","source":"/s","type":"io.flowsense.flow.v1","data":{"Dst Port":1}}`))
	f.Add([]byte(`{"specversion":"1.0","id":"a","source":"/s","type":"io.flowsense.flow.v1","datacontenttype":"text/plain","data":"x"}`))
	f.Add([]byte(`{"specversion":"1.0","id":"","source":"/s","type":"x"}`))
	f.Add([]byte(`{"specversion":"0.3","id":"a","source":"/s","type":"io.flowsense.flow.v1","data_base64":"e30="}`))
	d := NewFlowDecoder(testSchema(), 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		var e event.Event
		if err := json.Unmarshal(b, &e); err != nil {
			return
		}
		if err := ValidateFlowEvent(&e); err != nil {
			if !errors.Is(err, ErrEvent) && !errors.Is(err, ErrContentType) {
				t.Fatalf("validation error wraps no sentinel: %v", err)
			}
			return
		}
		fl, err := d.Decode(e.Data(), nil)
		if err != nil {
			return
		}
		res := make([]Classification, fl.N)
		for i := range res {
			res[i] = Classification{Label: "x", Verdict: "benign"}
		}
		out, err := Reply(&e, "/fn", res, fl.Single, e.Time())
		if err != nil {
			t.Fatalf("reply: %v", err)
		}
		if err := out.Validate(); err != nil {
			t.Fatalf("reply does not validate: %v", err)
		}
	})
}

// FuzzFastDecode: Decode (with its fast pass) and the general decoder
// agree on every input: the same rows, or both an error of the same kind.
func FuzzFastDecode(f *testing.F) {
	for _, s := range []string{
		`{"Dst Port": 443, "proto": "udp"}`, `[80, 3.5, "tcp"]`, `[[1,2,"udp"],{"Dst Port":2}]`,
		`{"Dst Port": 1, "Dst Port": 2}`, `{"Dst Port": 1, " Destination Port": 2}`, `{"features": [1,2,0]}`,
		`{"Dst Port": "\u0038\u0030"}`, `[{"Dst Port": -1.5e3}, {"Flow Byts/s": null, "proto": true}]`,
		`[[1,2,0],[1,2,0],[1,2,0]]`, `[1,2]`, `[1,2,0,4]`, `{"proto": 1.5}`, `{"proto": "icmp"}`, `  {"Dst Port" : 1 }  `,
		`{"Flow Bytes/s": " 1.5 ", "proto": " udp "}`, `{"Flow Bytes/s": "-inf", "proto": ""}`, `{"Flow Bytes/s": "abc"}`,
		`{"Dst Port": 1.00000000000000000000000000000000001e5}`, `{"Dst Port": 1e400, "Flow Bytes/s": "1e-400"}`,
		`[{"Dst Port": "?"}, {"Dst Port": "0x10"}]`, `{"Dst Port": 123456789012345678, "Flow Bytes/s": -0}`,
		`{"Dst Port": 0.000123, "Flow Bytes/s": 1.7976931348623157e308}`, `{"Dst Port": 9007199254740993, "Flow Bytes/s": -0.0}`,
		`{"Dst Port": 12345678901234567890123, "Flow Bytes/s": 4.9e-324}`, `{"Dst Port": 5.445161290322581, "Flow Bytes/s": 1e22}`,
		`{"Dst Port": 0.30000000000000004e-22, "Flow Bytes/s": 123.456E+5}`, `{"Dst Port": 1E23, "Flow Bytes/s": 9007199254740992e-22}`,
	} {
		f.Add([]byte(s))
	}
	d := NewFlowDecoder(testSchema(), 2)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gerr := d.Decode(b, nil)
		want, werr := d.decodeGeneral(b, nil)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("Decode: %v; general: %v", gerr, werr)
		}
		if gerr != nil {
			if gerr.Error() != werr.Error() {
				t.Fatalf("Decode: %v; general: %v", gerr, werr)
			}
			return
		}
		if got.N != want.N || got.Single != want.Single || !sameRows(got.Rows, want.Rows) {
			t.Fatalf("Decode: %v %d %v; general: %v %d %v", got.Rows, got.N, got.Single, want.Rows, want.N, want.Single)
		}
	})
}

// FuzzNumber: a JSON number the fast parser reads to its end has the bits
// strconv.ParseFloat gives it (its own fast path or not), and one it
// refuses is no JSON number.
func FuzzNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "5.445161290322581", "156839", "0.000123", "1e22", "1e23", "9007199254740993",
		"12345678901234567890", "1234567890123456789", "4.9e-324", "1.7976931348623157e308", "2e308", "0.1e-22",
		"123.456E+5", "-1.5e-3", "00", "1.", ".5", "1e", "-", "1e99999999999999",
		// the edges of the one-pass fast path (mantissa <= 2^53, power within ±22)
		"9007199254740992", "9007199254740992.0", "900719925474099.3", "0.1", "1.5e22", "15e21", "123456789e-22",
		"0.0000000000000000000001", "0.00000000000000000000001", "1e-23", "-0.0", "0e99999", "-0e-99999",
		"9007199254740992e22", "1234567890123456789.5", "0.00000000000000000000000000000000000001234",
		"1000000000000000000000000", "0.1234567890123456789", "0.12345678901234567891", "43.51", "-156839.25e-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p := fastParser{b: []byte(s)}
		got, ok := p.number64()
		last := len(s) - 1
		valid := json.Valid([]byte(s)) && len(s) > 0 && (s[0] == '-' || s[0] >= '0' && s[0] <= '9') && s[last] >= '0' && s[last] <= '9'
		if !ok || p.i != len(s) {
			if valid {
				t.Fatalf("%q refused (at %d), a JSON number", s, p.i)
			}
			return
		}
		if !valid {
			t.Fatalf("%q read as %v, not a JSON number", s, got)
		}
		want, err := strconv.ParseFloat(s, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			t.Fatalf("%q: ParseFloat: %v", s, err)
		}
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%q: %v (%x), ParseFloat %v (%x)", s, got, math.Float64bits(got), want, math.Float64bits(want))
		}
	})
}
