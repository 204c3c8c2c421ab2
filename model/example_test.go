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
