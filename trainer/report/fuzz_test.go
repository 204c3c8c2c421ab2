package report

import (
	"bytes"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/trainer/eval"
)

// FuzzWrite puts arbitrary strings where data strings go (class, feature
// and parameter names, title, dataset) and checks the report is still
// well-formed with the expected charts and no element injected from data.
func FuzzWrite(f *testing.F) {
	f.Add("normal", "<script>alert(1)</script>", `"&<b>`, "]]><!--", "\x00\xff")
	f.Add("", "", "", "", "")
	f.Add("&amp;", "</svg></figure>", "' onload='x", "<![CDATA[", "é€𝄞")
	f.Fuzz(func(t *testing.T, c1, c2, feat, title, dataset string) {
		if c1 == c2 || c1 == eval.UnknownClass || c2 == eval.UnknownClass {
			return // eval rejects these
		}
		classes := []string{c1, c2}
		m, cv, err := eval.Evaluate(classes, []int32{0, 1, 1, -1}, []int32{0, 1, 0, 1},
			[]float64{0.9, 0.1, 0.3, 0.7, 0.6, 0.4, 0.2, 0.8})
		if err != nil {
			t.Fatalf("Evaluate: %v", err)
		}
		in := Input{
			Title: title, Dataset: dataset, Params: map[string]string{feat: title},
			Metrics: m, Curves: cv,
			Training:   []Round{{1, 0.5, 0.6}, {2, 0.4, 0.5}},
			Importance: []Importance{{feat, 3}, {c1, 1}},
		}
		var buf bytes.Buffer
		if err := Write(&buf, in); err != nil {
			t.Fatalf("Write: %v", err)
		}
		doc := buf.String()
		ids, elements := structure(t, doc)
		if want := "confusion,roc,pr,training,importance"; strings.Join(ids, ",") != want {
			t.Errorf("charts = %v, want %s", ids, want)
		}
		if elements["script"] != 0 || elements["@onload"] != 0 || elements["@src"] != 0 {
			t.Errorf("data injected an element or attribute: %v", elements)
		}
	})
}
