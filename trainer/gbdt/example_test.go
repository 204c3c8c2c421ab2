package gbdt_test

import (
	"context"
	"fmt"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer/gbdt"
)

func ExampleTrain() {
	// Two features: packets per second, and the protocol as a category
	// code (0 tcp, 1 udp, 2 icmp). Class 1 floods: many packets, or icmp.
	d := &gbdt.Data{
		Columns: [][]float32{
			{10, 12, 9000, 11, 8000, 13, 9500, 13, 12, 10},
			{0, 1, 0, 2, 1, 0, 0, 2, 1, 0},
		},
		Kinds:      []model.Kind{model.Numeric, model.Categorical},
		Categories: []int{0, 3},
		Y:          []int32{0, 0, 1, 1, 1, 0, 1, 1, 0, 0},
		Classes:    2,
	}
	p := gbdt.DefaultParams()
	p.Rounds = 30
	p.MinChildSamples = 1
	res, err := gbdt.Train(context.Background(), d, p, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	e := res.Ensemble
	fmt.Println(e.Objective, e.Outputs, len(e.Trees))
	raw := make([]float64, 1)
	probs := make([]float64, 2)
	for _, row := range [][]float32{{9, 0}, {9000, 1}, {12, 2}} {
		e.Raw(row, raw)
		e.Probabilities(raw, probs)
		fmt.Printf("%v -> flood %v\n", row, probs[1] > 0.5)
	}
	// Output:
	// logistic 1 30
	// [9 0] -> flood false
	// [9000 1] -> flood true
	// [12 2] -> flood true
}
