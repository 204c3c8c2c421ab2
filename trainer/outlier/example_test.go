package outlier_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/flowsense/flowsense/trainer/outlier"
)

// Fit a batch detector on benign flows: two features, bytes (in the
// thousands) and a rate in [0, 1], correlated.
func ExampleFit() {
	rng := rand.New(rand.NewPCG(1, 2))
	bytes := make([]float32, 5000)
	rate := make([]float32, 5000)
	for i := range bytes {
		g := rng.NormFloat64()
		bytes[i] = float32(5000 + 1000*g)
		rate[i] = float32(0.5 + 0.1*g + 0.02*rng.NormFloat64())
	}
	// Schema positions 3 and 7 of the flow rows.
	det, err := outlier.Fit([][]float32{bytes, rate}, []int32{3, 7}, outlier.DefaultParams())
	if err != nil {
		fmt.Println(err)
		return
	}
	row := make([]float32, 8)
	row[3], row[7] = 6000, 0.6 // big and busy, as benign flows are
	fmt.Println("typical flow is an outlier:", det.Score(row) > det.Threshold)
	row[3], row[7] = 6000, 0.4 // big but idle: unlike any benign flow
	fmt.Println("odd flow is an outlier:", det.Score(row) > det.Threshold)
	fmt.Println("components:", det.Components)
	// Output:
	// typical flow is an outlier: false
	// odd flow is an outlier: true
	// components: 2
}

// Run alibi-detect's online detector: infer a threshold on a first batch,
// predict the next, export the state for a host and resume it.
func ExampleOnline() {
	rng := rand.New(rand.NewPCG(3, 4))
	batch := func(n int) [][]float64 {
		rows := make([][]float64, n)
		for i := range rows {
			g := rng.NormFloat64()
			rows[i] = []float64{g, 2*g + 0.1*rng.NormFloat64()}
		}
		return rows
	}
	od, err := outlier.NewOnline(2, outlier.Params{Components: 2, NStdev: 3, StartClip: 20})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := od.InferThreshold(batch(1000), 99); err != nil {
		fmt.Println(err)
		return
	}
	rows := append(batch(3), []float64{1, -2}) // the last row breaks the correlation
	flags, _, err := od.Predict(rows)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("outliers:", flags)

	m, err := od.Model([]int32{0, 1})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("exported state seen:", m.Online.Seen)
	resumed, err := outlier.Resume(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("resumed seen:", resumed.Seen())
	// Output:
	// outliers: [false false false true]
	// exported state seen: 1004
	// resumed seen: 1004
}
