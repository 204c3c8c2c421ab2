package tune

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

// FuzzDecodeSlice: DecodeSlice never panics, fails only with ErrSlice, and
// what it accepts encodes and decodes to the same slice.
func FuzzDecodeSlice(f *testing.F) {
	c := small()
	c.Trials = 3
	s, err := Run(context.Background(), table(f), c)
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(NewSlice(c, []string{"abc"}, s))
	f.Add(good)
	f.Add([]byte(`{"format":1,"trials":1,"trial_count":1,"metric":"accuracy","search":{"metric":"accuracy"}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeSlice(b)
		if err != nil {
			if !errors.Is(err, ErrSlice) {
				t.Fatalf("error %v does not wrap ErrSlice", err)
			}
			return
		}
		enc, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("accepted slice does not encode: %v", err)
		}
		s2, err := DecodeSlice(enc)
		if err != nil {
			t.Fatalf("re-encoded slice rejected: %v\n%s", err, enc)
		}
		enc2, _ := json.Marshal(s2)
		if string(enc) != string(enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
	})
}
