package report

import (
	"bytes"
	"encoding/binary"
	"math"
	"strconv"
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

// FuzzCharts feeds arbitrary numbers (NaN, infinities, huge and negative
// values included) to the charts that scale themselves from data: the
// training curve, importance bars, score histograms, TreeSHAP bars and
// dependence plots (numeric and categorical). They must not
// panic and must stay well-formed.
func FuzzCharts(f *testing.F) {
	f.Add([]byte{0, 0, 0, 0, 0, 0, 0xf0, 0x7f, 1, 2, 3, 4, 5, 6, 7, 8}, 1.5)
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, math.NaN())
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0x80}, math.Inf(1))
	f.Fuzz(func(t *testing.T, data []byte, threshold float64) {
		var vals []float64
		for len(data) >= 8 {
			vals = append(vals, math.Float64frombits(binary.LittleEndian.Uint64(data)))
			data = data[8:]
		}
		var rounds []Round
		var imp []Importance
		var benign, attack []float64
		shap := &SHAP{Rows: len(vals), Outputs: []string{"a", "b"}}
		num := Dependence{Feature: "x"}
		cat := Dependence{Feature: "c", Categories: []string{"tcp", "udp"}}
		for i, v := range vals {
			shap.Features = append(shap.Features, SHAPFeature{Name: strconv.Itoa(i), MeanAbs: []float64{math.Abs(v), threshold}})
			num.Value, num.Contribution, num.Class = append(num.Value, v), append(num.Contribution, threshold-v), append(num.Class, i%2)
			cat.Value, cat.Contribution, cat.Class = append(cat.Value, float64(i%7)-1), append(cat.Contribution, v), append(cat.Class, 0)
			rounds = append(rounds, Round{Round: i - 3, Train: v, Valid: -v})
			imp = append(imp, Importance{Name: strconv.Itoa(i), Gain: v})
			if i%2 == 0 {
				benign = append(benign, v)
			} else {
				attack = append(attack, v)
			}
		}
		shap.Dependence = []Dependence{num, cat}
		m := eval.Metrics{Classes: []string{"a", "b"}, Outlier: &eval.OutlierMetrics{Threshold: threshold}}
		in := Input{Metrics: m, Training: rounds, BestRound: 1, Importance: imp,
			OutlierScores: &OutlierScores{Benign: benign, Attack: attack}, SHAP: shap}
		var buf bytes.Buffer
		if err := Write(&buf, in); err != nil {
			t.Fatalf("Write: %v", err)
		}
		doc := buf.String()
		structure(t, doc)
		if strings.Contains(doc, "NaN") || strings.Contains(doc, "Inf") {
			i := max(strings.Index(doc, "NaN"), strings.Index(doc, "Inf"))
			t.Errorf("a non-finite number reached the SVG: %s", doc[max(0, i-200):i+20])
		}
	})
}
