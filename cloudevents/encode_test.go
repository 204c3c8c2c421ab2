package cloudevents

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/flowsense/flowsense/model"
)

func TestClassificationEncoder(t *testing.T) {
	classes := []string{"BENIGN", "Brute Force", "<script>", "Web Attack \u2013 XSS", "a\"b", "DDoS"}
	ref := ModelRef{Name: "m&m", SHA256: "ab"}
	e := NewClassificationEncoder(classes, ref)
	probs := []float64{1e-7, 0.25, 1e21, 0, 5e-324, 0.123456789012345678}
	cases := map[string]Classification{
		"plain":            Classify(classes, 1, probs, 3.5, model.Malicious, ref),
		"escaped label":    Classify(classes, 3, probs, 0, model.Benign, ref),
		"quote in label":   Classify(classes, 4, probs, 1e-9, model.Anomalous, ref),
		"html in label":    Classify(classes, 2, probs, 123456789, model.Malicious, ref),
		"another model":    Classify(classes, 0, probs, 1, model.Benign, ModelRef{Name: "other"}),
		"other classes":    Classify([]string{"x", "y"}, 0, []float64{0.5, 0.5}, 1, model.Benign, ref),
		"unknown verdict":  {Label: "BENIGN", Verdict: "maybe", Probabilities: map[string]float64{}, Model: ref},
		"negative numbers": Classify(classes, 5, []float64{-1, -1e-8, -2e22, 0, 0, 0}, -0.5, model.Malicious, ref),
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			got, err := e.Append(nil, &c)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("got\n%s\nwant\n%s", got, want)
			}
		})
	}
	bad := Classify(classes, 0, []float64{math.NaN(), 0, 0, 0, 0, 0}, 0, model.Benign, ref)
	if _, err := e.Append(nil, &bad); err == nil {
		t.Error("NaN encoded without an error")
	}
	all := []Classification{cases["plain"], cases["escaped label"]}
	got, _ := e.Marshal(all, false)
	want, _ := json.Marshal(all)
	if !bytes.Equal(got, want) {
		t.Errorf("array: got %s, want %s", got, want)
	}
}

// FuzzClassificationEncoder: the encoder writes what encoding/json writes.
func FuzzClassificationEncoder(f *testing.F) {
	f.Add("BENIGN", "attack", 0.5, 1e-7, 12.5, uint8(1), "")
	f.Add("a\u2028b", "<&>", 1e21, 0.0, 5e-324, uint8(2), "AQAAAAAA-_9")
	f.Add("x", "y", 0.25, 0.75, 1.0, uint8(0), "a\"b<")
	f.Fuzz(func(t *testing.T, c0, c1 string, p0, p1, score float64, v uint8, id string) {
		classes := []string{c0, c1}
		ref := ModelRef{Name: c1, SHA256: c0}
		c := Classify(classes, int(v)%2, []float64{p0, p1}, score, model.Verdict(v%3), ref)
		c.ID = id
		want, werr := json.Marshal(c)
		got, gerr := NewClassificationEncoder(classes, ref).Append(nil, &c)
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors differ: %v, %v", werr, gerr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
	})
}
