package drift_test

import (
	"fmt"

	"github.com/flowsense/flowsense/drift"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

func ExampleCompare() {
	column := func(name string, vals ...float32) *flowdata.Dataset {
		return &flowdata.Dataset{
			Schema:  model.Schema{Features: []model.Feature{{Name: name}}},
			Columns: [][]float32{vals},
			Rows:    len(vals),
		}
	}
	ref := column("duration", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)
	cur := column("duration", 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32)
	r, err := drift.Compare(ref, cur, drift.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	c := r.Columns[0]
	fmt.Printf("%s: %s D=%.2f p=%.2g drifted=%v\n", c.Column, c.Test, float64(c.Statistic), float64(*c.PValue), c.Drifted)
	fmt.Printf("dataset drift: %v (share %.2f)\n", r.DatasetDrift, r.DriftShare)
	// Output:
	// duration: ks D=1.00 p=7.4e-07 drifted=true
	// dataset drift: true (share 1.00)
}
