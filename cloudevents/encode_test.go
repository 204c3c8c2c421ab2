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

// appendResultRef is what AppendResult must write: the Classification
// ClassifyRows builds, with its id, through Append.
func appendResultRef(e *ClassificationEncoder, classes []string, ref ModelRef, r *model.Result, id string) ([]byte, error) {
	c := Classify(classes, r.Class, r.Probabilities, r.OutlierScore, r.Verdict, ref)
	c.ID = id
	return e.Append(nil, &c)
}

func TestAppendResult(t *testing.T) {
	classes := []string{"BENIGN", "Brute Force", "PortScan", "DDoS", "Web Attack", "Bot"}
	ref := ModelRef{Name: "cic", SHA256: "0123abcd"}
	probs := []float64{1e-7, 0.25, 1e21, 0, 5e-324, 0.123456789012345678}
	cases := map[string]struct {
		classes []string
		r       model.Result
		id      string
	}{
		"plain":              {classes, model.Result{Class: 1, Probabilities: probs, OutlierScore: 3.5, Verdict: model.Malicious}, "AQAAAAAA-_9"},
		"no id":              {classes, model.Result{Class: 0, Probabilities: probs, Verdict: model.Benign}, ""},
		"anomalous":          {classes, model.Result{Class: 5, Probabilities: []float64{-1, -1e-8, -2e22, 0, 0, 1}, OutlierScore: 1e-9, Verdict: model.Anomalous}, "x"},
		"escaped class":      {[]string{"a\"b", "<c>"}, model.Result{Class: 1, Probabilities: []float64{0.5, 0.5}}, "id"},
		"repeated class":     {[]string{"a", "a", "b"}, model.Result{Class: 1, Probabilities: []float64{0.1, 0.2, 0.7}}, "id"},
		"class out of range": {classes, model.Result{Class: 9, Probabilities: probs}, "id"},
		"short probs":        {classes, model.Result{Class: 1, Probabilities: probs[:2]}, "id"},
		"unknown verdict":    {classes, model.Result{Class: 1, Probabilities: probs, Verdict: 7}, "id"},
		"escaped id":         {classes, model.Result{Class: 1, Probabilities: probs}, "a\"<b"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			e := NewClassificationEncoder(tc.classes, ref)
			want, werr := appendResultRef(e, tc.classes, ref, &tc.r, tc.id)
			got, gerr := e.AppendResult([]byte("prefix"), &tc.r, []byte(tc.id))
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("errors differ: %v, %v", gerr, werr)
			}
			if werr == nil && !bytes.Equal(got, append([]byte("prefix"), want...)) {
				t.Fatalf("got\n%s\nwant\nprefix%s", got, want)
			}
		})
	}
	// the golden answer of the first case, as encoding/json writes it
	e := NewClassificationEncoder(classes, ref)
	c := cases["plain"]
	got, _ := e.AppendResult(nil, &c.r, []byte(c.id))
	golden := `{"label":"Brute Force","probability":0.25,"probabilities":{"BENIGN":1e-7,"Bot":0.12345678901234568,"Brute Force":0.25,"DDoS":0,"PortScan":1e+21,"Web Attack":5e-324},"outlier_score":3.5,"verdict":"malicious","model":{"name":"cic","sha256":"0123abcd"},"id":"AQAAAAAA-_9"}`
	if string(got) != golden {
		t.Errorf("got\n%s\nwant\n%s", got, golden)
	}
	bad := model.Result{Class: 0, Probabilities: []float64{0, math.NaN(), 0, 0, 0, 0}}
	if b, err := e.AppendResult([]byte("x"), &bad, nil); err == nil || string(b) != "x" {
		t.Errorf("NaN: %q, %v; want x and an error", b, err)
	}
	if n := testing.AllocsPerRun(100, func() { got, _ = e.AppendResult(got[:0], &c.r, []byte(c.id)) }); n != 0 {
		t.Errorf("%v allocations per result, want 0", n)
	}
}

// FuzzAppendResult: AppendResult writes what Append writes for the
// Classification of the same result.
func FuzzAppendResult(f *testing.F) {
	f.Add("BENIGN", "attack", 0.5, 1e-7, 12.5, 1, uint8(1), "", false)
	f.Add("a\u2028b", "<&>", 1e21, 0.0, 5e-324, 0, uint8(2), "AQAAAAAA-_9", false)
	f.Add("x", "x", 0.25, 0.75, 1.0, 1, uint8(0), "a\"b<", true)
	f.Add("x", "y", math.Copysign(0, -1), 1e-300, -1e300, 3, uint8(9), "abc", true)
	f.Fuzz(func(t *testing.T, c0, c1 string, p0, p1, score float64, class int, v uint8, id string, short bool) {
		classes := []string{c0, c1}
		ref := ModelRef{Name: c1, SHA256: c0}
		probs := []float64{p0, p1}
		if short {
			probs = probs[:1]
		}
		r := model.Result{Class: class, Probabilities: probs, OutlierScore: score, Verdict: model.Verdict(v)}
		e := NewClassificationEncoder(classes, ref)
		want, werr := appendResultRef(e, classes, ref, &r, id)
		got, gerr := e.AppendResult(nil, &r, []byte(id))
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("errors differ: %v, %v", gerr, werr)
		}
		if werr == nil && !bytes.Equal(got, want) {
			t.Fatalf("got\n%s\nwant\n%s", got, want)
		}
		if werr != nil && gerr.Error() != werr.Error() {
			t.Fatalf("errors differ: %v, %v", gerr, werr)
		}
	})
}

// BenchmarkAppendResult: one classification of six classes with
// probabilities as a model gives them (17 significant digits).
func BenchmarkAppendResult(b *testing.B) {
	classes := []string{"BENIGN", "Brute Force", "PortScan", "DDoS", "Web Attack", "Bot"}
	e := NewClassificationEncoder(classes, ModelRef{Name: "cic", SHA256: "0123abcd"})
	r := model.Result{Class: 1, Probabilities: []float64{0.0123456789012345, 0.9512345678901234, 1.2345678901234567e-05,
		0.0301234567890123, 0.00543210987654321, 0.0009876543210987}, OutlierScore: 3.141592653589793, Verdict: model.Malicious}
	id := []byte("AQAAAAAA-_9AQAAAAAA-_9AQAAAAAA-_9AQAAAAAA-")
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = e.AppendResult(buf[:0], &r, id); err != nil {
			b.Fatal(err)
		}
	}
}
