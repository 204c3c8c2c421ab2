package model

import (
	"bytes"
	"math"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to the decoder: it must return a model
// or an error, never panic, and whatever it accepts must predict without
// panicking, the compiled Predictor giving the reference's bits, and
// re-encode to a file that decodes to the same bytes.
func FuzzDecode(f *testing.F) {
	good, _ := sample().MarshalIndent()
	f.Add(good)
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":2}`))
	f.Add(bytes.Replace(good, []byte(`"left": [`), []byte(`"left": [0,`), 1))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(bytes.NewReader(b))
		if err != nil {
			return
		}
		row := make([]float32, len(m.Schema.Features))
		var r, c Result
		p, err := NewPredictor(m)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []float32{0, 1, -1, 2.5, float32(math.NaN()), float32(math.Inf(1)), 1e30} {
			for i := range row {
				row[i] = v
			}
			if err := m.Predict(row, &r); err != nil {
				t.Fatal(err)
			}
			if err := p.Predict(row, &c); err != nil {
				t.Fatal(err)
			}
			if !sameResult(&r, &c) {
				t.Fatalf("row of %v: reference %+v, compiled %+v", v, r, c)
			}
		}
		b2, err := m.MarshalIndent()
		if err != nil {
			t.Fatal(err)
		}
		m2, err := Decode(bytes.NewReader(b2))
		if err != nil {
			t.Fatalf("re-encoded model does not decode: %v", err)
		}
		b3, _ := m2.MarshalIndent()
		if !bytes.Equal(b2, b3) {
			t.Fatal("encoding is not stable")
		}
	})
}

// FuzzParseNumber: any text parses or errors, never panics.
func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"1", "-1.5e3", "NaN", "Infinity", "", " 2 ", "0x10", "1e999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ParseNumber(s)
	})
}
