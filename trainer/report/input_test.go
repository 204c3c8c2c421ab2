package report

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/flowsense/flowsense/trainer/eval"
)

// hostile names come from user files; they must come out escaped.
const (
	hostileClass   = `<script>alert(1)</script>`
	hostileFeature = `"&<b>bytes</b>`
)

// syntheticInput builds a deterministic report input from a made-up
// 5-class test set with unknown labels, a training curve, 30 features and
// an outlier detector. It stands in for a real training run.
func syntheticInput() Input {
	rng := rand.New(rand.NewPCG(42, 7))
	classes := []string{"normal", "dos", "probe", hostileClass, "DoS Slowhttptest - Attempted (long name)"}
	K, n := len(classes), 3000
	weights := []float64{0.5, 0.25, 0.12, 0.08, 0.05}
	y := make([]int32, n)
	pred := make([]int32, n)
	probs := make([]float64, n*K)
	for r := range n {
		u, c := rng.Float64(), 0
		for c < K-1 && u > weights[c] {
			u -= weights[c]
			c++
		}
		y[r] = int32(c)
		var sum float64
		best := 0
		for k := range K {
			v := math.Exp(rng.NormFloat64())
			if k == c {
				v *= 1 + 6*float64(K-k)/float64(K)
			}
			probs[r*K+k] = v
			sum += v
			if v > probs[r*K+best] {
				best = k
			}
		}
		for k := range K {
			probs[r*K+k] /= sum
		}
		pred[r] = int32(best)
		if rng.IntN(100) == 0 {
			y[r] = -1
		}
	}
	m, cv, err := eval.Evaluate(classes, y, pred, probs)
	if err != nil {
		panic(err) // test helper on fixed data
	}
	m.NTrain, m.TrainSeconds, m.ModelBytes = 12000, 3.25, 1_234_567

	truth := make([]bool, 2000)
	scores := make([]float64, 2000)
	var benign, attack []float64
	for i := range truth {
		truth[i] = rng.IntN(4) == 0
		s := rng.ExpFloat64()*8 + rng.ExpFloat64()*2
		if truth[i] {
			s += 5 + rng.ExpFloat64()*30
			attack = append(attack, s)
		} else {
			benign = append(benign, s)
		}
		scores[i] = s
	}
	om, oc, err := eval.EvaluateOutlier(truth, scores, 30)
	if err != nil {
		panic(err)
	}
	m.Outlier, cv.Outlier = &om, &oc

	var rounds []Round
	for i := 1; i <= 120; i++ {
		t := 1.6*math.Exp(-float64(i)/25) + 0.08
		v := t + 0.02 + 0.0015*math.Max(0, float64(i-80))
		rounds = append(rounds, Round{Round: i, Train: t, Valid: v})
	}
	var imp []Importance
	for i := range 30 {
		name := fmt.Sprintf("feature_%02d", i)
		switch i {
		case 3:
			name = hostileFeature
		case 7:
			name = "Fwd Packet Length Mean with a very long column name indeed"
		}
		imp = append(imp, Importance{Name: name, Gain: 1000 * math.Pow(0.82, float64(i))})
	}
	shap := syntheticSHAP(rng, classes, imp)
	return Input{
		Title:   "flowsense report: synthetic <test> & data",
		Dataset: "Synthetic 5-class test set (3,000 rows) with 1% unknown labels; not real traffic.",
		Params: map[string]string{
			"rounds": "120", "learning_rate": "0.1", "max_depth": "6",
			"note": `<img src=x onerror="alert(2)">`,
		},
		Metrics:       m,
		Curves:        cv,
		Training:      rounds,
		BestRound:     80,
		Importance:    imp,
		OutlierScores: &OutlierScores{Benign: benign, Attack: attack},
		SHAP:          shap,
	}
}

// syntheticSHAP makes TreeSHAP summaries for the features of imp: mean
// absolute values per class in an order that differs from the gain's,
// and dependence plots of a step-shaped numeric feature, a heavy-tailed
// one (a log axis), a categorical one, one with missing values, the
// hostile name and a plain one.
func syntheticSHAP(rng *rand.Rand, classes []string, imp []Importance) *SHAP {
	s := &SHAP{Rows: 1000, Of: 3000, Outputs: classes}
	for i, f := range imp {
		mean := make([]float64, len(classes))
		for k := range mean {
			// feature 5 matters most by SHAP; gain ranks it sixth
			w := math.Pow(0.8, math.Abs(float64(i-5)))
			mean[k] = w * (0.2 + 0.8*rng.Float64()) / float64(k+1)
		}
		s.Features = append(s.Features, SHAPFeature{Name: f.Name, MeanAbs: mean})
	}
	const n = 400
	kinds := []struct {
		name string
		cats []string
		gen  func(i int) (float64, float64)
	}{
		{imp[5].Name, nil, func(int) (float64, float64) {
			v := rng.Float64() * 100
			c := -0.8
			if v > 40 {
				c = 1.2
			}
			return v, c + 0.2*rng.NormFloat64()
		}},
		{"Flow Bytes/s", nil, func(int) (float64, float64) {
			v := math.Floor(math.Pow(10, rng.Float64()*7)) - 1
			return v, 0.3*math.Log10(1+v) - 1 + 0.1*rng.NormFloat64()
		}},
		{"protocol_type", []string{"tcp", "udp", "icmp"}, func(int) (float64, float64) {
			v := float64(rng.IntN(3))
			return v, []float64{-0.5, 0.3, 1.5}[int(v)] + 0.2*rng.NormFloat64()
		}},
		{"Idle Mean", nil, func(i int) (float64, float64) {
			if i%5 == 0 {
				return math.NaN(), 0
			}
			v := rng.NormFloat64()*3 - 2
			return v, -0.1 * v
		}},
		{hostileFeature, nil, func(int) (float64, float64) {
			v := rng.Float64()
			return v, v*v - 0.3
		}},
		{imp[4].Name, nil, func(int) (float64, float64) { return float64(rng.IntN(20)), 0.05 * rng.NormFloat64() }},
	}
	for _, k := range kinds {
		d := Dependence{Feature: k.name, Categories: k.cats}
		for i := range n {
			v, c := k.gen(i)
			d.Value = append(d.Value, v)
			d.Contribution = append(d.Contribution, c)
			d.Class = append(d.Class, rng.IntN(len(classes)))
		}
		s.Dependence = append(s.Dependence, d)
	}
	return s
}
