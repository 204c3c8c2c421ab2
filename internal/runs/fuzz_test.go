package runs

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

// FuzzDecode: Decode never panics, fails only with a *FileError wrapping
// ErrCorrupt, and what it accepts encodes and decodes to the same bytes.
func FuzzDecode(f *testing.F) {
	good, _ := Encode(sample(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC), 0.5))
	f.Add(good)
	f.Add([]byte(`{"format":1}`))
	f.Add([]byte(`{"format":1,"id":"20261121T100000.000Z-abcdef","time":"2026-11-21T10:00:00Z","metrics":{"a":1e308}}`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Decode(b)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v is not a *FileError wrapping ErrCorrupt", err)
			}
			return
		}
		enc, err := Encode(r)
		if err != nil {
			t.Fatalf("decoded run does not encode: %v", err)
		}
		r2, err := Decode(enc)
		if err != nil {
			t.Fatalf("encoded run does not decode: %v\n%s", err, enc)
		}
		enc2, err := Encode(r2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip differs:\n%s\n%s", enc, enc2)
		}
	})
}
