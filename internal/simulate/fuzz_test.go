package simulate

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"testing"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/model"
)

// fuzzSchema has numeric features and a categorical one whose names need
// JSON escaping.
var fuzzSchema = &model.Schema{Features: []model.Feature{
	{Name: "Flow Duration"},
	{Name: `quote"and\backslash`},
	{Name: "protocol_type", Kind: model.Categorical, Categories: []string{"tcp", "udp", "icmp", `we"ird`, "é"}},
	{Name: "Fwd Pkt Len Max"},
	{Name: "flag", Kind: model.Categorical, Categories: []string{"SF", "S0"}, Unknown: model.UnknownError},
}}

// FuzzFlowJSON checks that every row the simulator encodes is read back by
// the function's flow decoder (cloudevents.FlowDecoder) to the same
// float32 bits: numbers, infinities, missing values, category names.
func FuzzFlowJSON(f *testing.F) {
	seed := func(vals ...float32) []byte {
		b := make([]byte, 4*len(vals))
		for i, v := range vals {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return b
	}
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	f.Add(seed(1, 2, 0, 3.5, 1))
	f.Add(seed(nan, -inf, 3, 1e-45, nan))
	f.Add(seed(inf, float32(math.Copysign(0, -1)), 4, 3.4028235e38, 0))
	f.Add(seed(16777217, 0.1, 7, -1.5e-39, 2))
	enc := newFlowEncoder(fuzzSchema)
	dec := cloudevents.NewFlowDecoder(fuzzSchema, 10)
	nf := len(fuzzSchema.Features)
	f.Fuzz(func(t *testing.T, b []byte) {
		row := make([]float32, nf)
		for j := range row {
			if len(b) >= 4*(j+1) {
				row[j] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*j:]))
			}
		}
		js := enc.appendFlow(nil, row)
		if !json.Valid(js) {
			t.Fatalf("not JSON: %s", js)
		}
		got, err := dec.Decode(js, nil)
		if err != nil {
			t.Fatalf("decoder refuses %s: %v", js, err)
		}
		if got.N != 1 || len(got.Rows) != nf {
			t.Fatalf("%d flows of %d values from %s", got.N, len(got.Rows), js)
		}
		for j, v := range row {
			want := v
			if k := fuzzSchema.Features[j]; k.Kind == model.Categorical {
				if c := int(v); float32(c) != v || c < 0 || c >= len(k.Categories) {
					want = float32(math.NaN()) // not a code: sent as missing
				} else {
					want = float32(c) // a code travels as its name: -0 comes back 0
				}
			}
			g := got.Rows[j]
			if math.Float32bits(g) != math.Float32bits(want) && !(math.IsNaN(float64(g)) && math.IsNaN(float64(want))) {
				t.Fatalf("feature %d: sent %v (%x) as %s, read back %v (%x)", j, want, math.Float32bits(want), js, g, math.Float32bits(g))
			}
		}
	})
}

// FuzzDecodeAnswers feeds arbitrary answers to the reply decoder: it
// returns exactly n labelled answers or an error wrapping ErrReply, and
// never panics.
func FuzzDecodeAnswers(f *testing.F) {
	f.Add([]byte(`{"label":"BENIGN","verdict":"benign","probability":0.9}`), 1)
	f.Add([]byte(`[{"label":"a","verdict":"malicious"},{"label":"b","verdict":"benign"}]`), 2)
	f.Add([]byte(`[{"label":"a"}]`), 1)
	f.Add([]byte(`[{"label":""}]`), 1)
	f.Add([]byte(`null`), 1)
	f.Add([]byte(`{"label":"a"`), 1)
	f.Add([]byte(`[]`), 0)
	f.Fuzz(func(t *testing.T, b []byte, n int) {
		if n < 0 || n > 1000 {
			return
		}
		got, err := decodeAnswers(b, n, nil)
		if err != nil {
			if !errorsIsReply(err) {
				t.Fatalf("error %v does not wrap ErrReply", err)
			}
			return
		}
		if len(got) != n {
			t.Fatalf("%d answers for %d flows from %q", len(got), n, b)
		}
		for _, a := range got {
			if a.Label == "" {
				t.Fatalf("an answer without a label from %q", b)
			}
		}
	})
}
