package model_test

import (
	"fmt"
	"strings"

	"github.com/flowsense/flowsense/model"
)

func ExampleModel_Predict() {
	const file = `{
 "format": 1,
 "schema": {"features": [{"name": "syn_count", "kind": "numeric"}]},
 "classes": ["benign", "syn-flood"],
 "benign": [0],
 "ensemble": {"objective": "logistic", "outputs": 1, "base_score": [0], "trees": [
  {"output": 0, "feature": [0, -1, -1], "threshold": [100, 0, 0], "op": ["<", "<", "<"],
   "default_left": [true, false, false], "left": [1, -1, -1], "right": [2, -1, -1], "value": [0, -3, 4]}
 ]},
 "reference": [],
 "meta": {"trainer_version": "example", "created": "2026-11-21T00:00:00Z"}
}`
	m, err := model.Decode(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	var r model.Result
	for _, syns := range []float32{3, 5000} {
		m.Predict([]float32{syns}, &r)
		fmt.Printf("%v SYNs: %s p=%.3f %s\n", syns, m.Classes[r.Class], r.Probability(), r.Verdict)
	}
	// Output:
	// 3 SYNs: benign p=0.953 benign
	// 5000 SYNs: syn-flood p=0.982 malicious
}

func ExampleExplainer() {
	// Two features; the tree splits on syn_count, then on duration. The
	// covers say 80 of 100 training rows (by hessian) had few SYNs.
	const file = `{
 "format": 1,
 "schema": {"features": [{"name": "syn_count", "kind": "numeric"}, {"name": "duration", "kind": "numeric"}]},
 "classes": ["benign", "syn-flood"],
 "benign": [0],
 "ensemble": {"objective": "logistic", "outputs": 1, "base_score": [0], "trees": [
  {"output": 0, "feature": [0, -1, 1, -1, -1], "threshold": [100, 0, 1, 0, 0], "op": ["<", "<", "<", "<", "<"],
   "default_left": [true, false, false, false, false], "left": [1, -1, 3, -1, -1], "right": [2, -1, 4, -1, -1],
   "value": [0, -3, 0, 5, 2], "cover": [100, 80, 20, 10, 10]}
 ]},
 "reference": [],
 "meta": {"trainer_version": "example", "created": "2026-11-21T00:00:00Z"}
}`
	m, err := model.Decode(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	x, err := model.NewExplainer(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	var e model.Explanation
	x.Explain([]float32{5000, 0.2}, 0, &e)
	fmt.Printf("%s: margin %.2f = bias %.2f", m.Classes[e.Class], e.Margin, e.Bias)
	for _, f := range e.Features {
		fmt.Printf(" %+.2f (%s)", f.Contribution, m.Schema.Features[f.Feature].Name)
	}
	fmt.Println()
	// Output:
	// syn-flood: margin 5.00 = bias -1.70 +5.80 (syn_count) +0.90 (duration)
}
