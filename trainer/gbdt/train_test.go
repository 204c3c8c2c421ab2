package gbdt

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// small returns parameters for tiny hand-made sets: no early stopping, no
// minimum child size to speak of.
func small() Params {
	p := DefaultParams()
	p.Rounds = 20
	p.EarlyStopping = 0
	p.MinChildSamples = 1
	p.LearningRate = 0.3
	p.ColSample = 1
	p.MaxDepth = 0
	return p
}

// wrap builds a model.Model around an ensemble so the IR's own Validate
// and Predict can be used.
func wrap(t *testing.T, d *Data, e model.Ensemble) *model.Model {
	t.Helper()
	m := &model.Model{Format: model.FormatVersion, Ensemble: e, Benign: []int{0}}
	for f := range d.Columns {
		ft := model.Feature{Name: "f" + itoa(f)}
		if d.Kinds != nil && d.Kinds[f] == model.Categorical {
			ft.Kind = model.Categorical
			for c := 0; c < d.Categories[f]; c++ {
				ft.Categories = append(ft.Categories, "c"+itoa(c))
			}
		}
		m.Schema.Features = append(m.Schema.Features, ft)
	}
	for c := 0; c < d.Classes; c++ {
		m.Classes = append(m.Classes, "k"+itoa(c))
	}
	m.Reference = make([]model.Histogram, len(d.Columns))
	for f := range m.Reference {
		m.Reference[f] = model.Histogram{Counts: []int64{0}}
		if m.Schema.Features[f].Kind == model.Categorical {
			m.Reference[f].Counts = make([]int64, d.Categories[f]+1)
		}
	}
	if err := model.Validate(m); err != nil {
		t.Fatalf("trained model does not validate: %v", err)
	}
	return m
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// predict returns the predictor's class for every row of d.
func predict(t *testing.T, m *model.Model, cols [][]float32) []int {
	t.Helper()
	n := len(cols[0])
	out := make([]int, n)
	row := make([]float32, len(cols))
	var r model.Result
	for i := 0; i < n; i++ {
		for f := range cols {
			row[f] = cols[f][i]
		}
		if err := m.Predict(row, &r); err != nil {
			t.Fatal(err)
		}
		out[i] = r.Class
	}
	return out
}

func mustTrain(t *testing.T, d *Data, p Params) *Result {
	t.Helper()
	res, err := Train(context.Background(), d, p, nil)
	if err != nil {
		t.Fatalf("Train: %v", err)
	}
	return res
}

func TestSingleSplit(t *testing.T) {
	// feature 1 separates the classes at 5; feature 0 is noise.
	d := &Data{Columns: [][]float32{
		{3, 1, 4, 1, 5, 9, 2, 6, 5, 3},
		{0, 1, 2, 3, 4, 5, 6, 7, 8, 9},
	}, Y: []int32{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, Classes: 2}
	p := small()
	p.MaxLeaves = 2
	res := mustTrain(t, d, p)
	tr := res.Ensemble.Trees[0]
	if tr.Len() != 3 || tr.Feature[0] != 1 || tr.Op[0] != model.Less || tr.Threshold[0] != 5 {
		t.Fatalf("first tree: feature %v op %v threshold %v, want one split x1 < 5", tr.Feature, tr.Op, tr.Threshold)
	}
	if res.Importance[1] <= 0 || res.Importance[0] != 0 {
		t.Errorf("importance %v, want all on feature 1", res.Importance)
	}
	m := wrap(t, d, res.Ensemble)
	for i, c := range predict(t, m, d.Columns) {
		if c != int(d.Y[i]) {
			t.Errorf("row %d: class %d, want %d", i, c, d.Y[i])
		}
	}
}

func TestMissingLearnsDefaultDirection(t *testing.T) {
	nan := float32(math.NaN())
	// Missing values belong with the high values (class 1).
	for name, col := range map[string][]float32{
		"missing with high": {1, 2, 3, 4, 5, 6, 7, 8, nan, nan, nan, nan},
	} {
		t.Run(name, func(t *testing.T) {
			d := &Data{Columns: [][]float32{col}, Y: []int32{0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1}, Classes: 2}
			p := small()
			p.MaxLeaves = 2
			res := mustTrain(t, d, p)
			tr := res.Ensemble.Trees[0]
			if tr.Feature[0] != 0 || tr.Threshold[0] != 5 {
				t.Fatalf("root %v < %v, want x0 < 5", tr.Feature[0], tr.Threshold[0])
			}
			if tr.DefaultLeft[0] {
				t.Error("missing goes left with the low values")
			}
			m := wrap(t, d, res.Ensemble)
			if c := predict(t, m, [][]float32{{nan}})[0]; c != 1 {
				t.Errorf("NaN predicted %d, want 1", c)
			}
		})
	}
}

func TestCategoricalSetSplit(t *testing.T) {
	// codes 0, 3, 5 are class 1; 1, 2, 4 class 0: no threshold separates
	// them, one set does.
	var col []float32
	var y []int32
	for r := 0; r < 60; r++ {
		c := r % 6
		col = append(col, float32(c))
		if c == 0 || c == 3 || c == 5 {
			y = append(y, 1)
		} else {
			y = append(y, 0)
		}
	}
	d := &Data{Columns: [][]float32{col}, Kinds: []model.Kind{model.Categorical}, Categories: []int{8},
		Y: y, Classes: 2}
	p := small()
	p.MaxLeaves = 2
	res := mustTrain(t, d, p)
	tr := res.Ensemble.Trees[0]
	if tr.Op[0] != model.InSet || tr.CatBits[tr.CatBegin[0]] != 8 {
		t.Fatalf("root op %v, want an InSet over 8 categories", tr.Op[0])
	}
	m := wrap(t, d, res.Ensemble)
	for i, c := range predict(t, m, d.Columns) {
		if c != int(y[i]) {
			t.Fatalf("row %d: class %d, want %d", i, c, y[i])
		}
	}
	// unseen codes (6, 7 in the vocabulary but never in training, 99 and
	// -1 out of it) all take the same path as a missing value
	nan := float32(math.NaN())
	want := predict(t, m, [][]float32{{nan}})[0]
	for _, x := range []float32{99, -1} {
		if got := predict(t, m, [][]float32{{x}})[0]; got != want {
			t.Errorf("code %v predicted %d, missing %d", x, got, want)
		}
	}
}

func TestBinaryLogistic(t *testing.T) {
	d := synth(2000, 6, 1, 2, 3)
	res := mustTrain(t, d, small())
	e := res.Ensemble
	if e.Objective != model.Logistic || e.Outputs != 1 || len(e.BaseScore) != 1 {
		t.Fatalf("objective %v outputs %d, want logistic with 1 output", e.Objective, e.Outputs)
	}
	for i, tr := range e.Trees {
		if tr.Output != 0 {
			t.Fatalf("tree %d adds to output %d, want 0", i, tr.Output)
		}
	}
	m := wrap(t, d, e)
	pred := predict(t, m, d.Columns)
	correct := 0
	for i, c := range pred {
		if c == int(d.Y[i]) {
			correct++
		}
	}
	if acc := float64(correct) / float64(len(pred)); acc < 0.8 {
		t.Errorf("training accuracy %.3f, want >= 0.8 on a learnable set", acc)
	}
}

func TestMulticlassModes(t *testing.T) {
	d := synth(3000, 8, 2, 4, 5)
	for name, c := range map[string]struct {
		mode    string
		perTree int // trees per round
	}{
		"vector":    {MultiVector, 1},
		"per-class": {MultiPerClass, 4},
	} {
		t.Run(name, func(t *testing.T) {
			p := small()
			p.Rounds = 5
			p.Multiclass = c.mode
			res := mustTrain(t, d, p)
			e := res.Ensemble
			if e.Objective != model.Softmax || e.Outputs != 4 {
				t.Fatalf("objective %v outputs %d", e.Objective, e.Outputs)
			}
			if len(e.Trees) != 5*c.perTree {
				t.Fatalf("%d trees, want %d", len(e.Trees), 5*c.perTree)
			}
			for i, tr := range e.Trees {
				want := int32(-1)
				if c.mode == MultiPerClass {
					want = int32(i % 4)
				}
				if tr.Output != want {
					t.Fatalf("tree %d output %d, want %d", i, tr.Output, want)
				}
				if len(tr.Value) != tr.Len()*tr.Width(4) {
					t.Fatalf("tree %d: %d values for %d nodes", i, len(tr.Value), tr.Len())
				}
			}
			wrap(t, d, e)
		})
	}
}

// TestPredictorParity checks that the reference predictor's raw scores on
// every row equal the scores the trainer accumulated, bit for bit.
func TestPredictorParity(t *testing.T) {
	d := synth(12000, 7, 2, 3, 9)
	inf := float32(math.Inf(1))
	for r := 0; r < 300; r++ { // infinities, out-of-vocabulary codes
		d.Columns[1][r*7] = inf
		d.Columns[2][r*11] = -inf
		d.Columns[6][r*13] = 40
	}
	for name, edit := range map[string]func(*Params){
		"vector":                   func(p *Params) {},
		"per-class depth 5":        func(p *Params) { p.Multiclass, p.MaxDepth = MultiPerClass, 5 },
		"subsample colsample":      func(p *Params) { p.Subsample, p.ColSample = 0.6, 0.5 },
		"validation split":         func(p *Params) { p.EarlyStopping, p.LearningRate = 100, 0.05 },
		"depth-wise balanced":      func(p *Params) { p.Growth, p.MaxDepth, p.ClassWeight = GrowDepth, 4, WeightBalanced },
		"few bins, sixteen bit":    func(p *Params) { p.MaxBins = 1000 },
		"binary with row weights":  func(p *Params) {},
		"lambda zero min weight 0": func(p *Params) { p.Lambda, p.MinChildWeight = 0, 0 },
		"defaults":                 func(p *Params) { *p = DefaultParams(); p.Rounds = 8 },
	} {
		t.Run(name, func(t *testing.T) {
			p := small()
			p.Rounds = 8
			edit(&p)
			dd := *d
			if name == "binary with row weights" {
				dd.Classes = 2
				dd.Y = slices.Clone(d.Y)
				dd.Weights = make([]float32, len(d.Y))
				for i := range dd.Y {
					dd.Y[i] %= 2
					dd.Weights[i] = float32(1 + i%3)
				}
			}
			res, tr, err := train(context.Background(), &dd, p, nil)
			if err != nil {
				t.Fatal(err)
			}
			// Parity needs every round kept: a run cut back to its best
			// round is trained again with that budget until none is cut.
			for res.BestRound != res.Rounds {
				p.Rounds = res.BestRound
				if res, tr, err = train(context.Background(), &dd, p, nil); err != nil {
					t.Fatal(err)
				}
			}
			if name == "validation split" && res.ValidRows == 0 {
				t.Fatal("no validation rows")
			}
			m := wrap(t, &dd, res.Ensemble)
			e := &m.Ensemble
			raw := make([]float64, e.Outputs)
			row := make([]float32, len(dd.Columns))
			for i := range dd.Y {
				for f := range dd.Columns {
					row[f] = dd.Columns[f][i]
				}
				e.Raw(row, raw)
				for j, v := range raw {
					if got := tr.scores[i*e.Outputs+j]; got != v {
						t.Fatalf("row %d output %d: predictor %v, trainer %v", i, j, v, got)
					}
				}
			}
		})
	}
}

func TestDeterministic(t *testing.T) {
	d := synth(15000, 10, 2, 3, 11)
	p := DefaultParams()
	p.Rounds = 15
	p.Subsample, p.ColSample = 0.8, 0.7
	encode := func(threads int) []byte {
		q := p
		q.Threads = threads
		res := mustTrain(t, d, q)
		b, err := json.Marshal(res.Ensemble)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	one, two, again := encode(1), encode(2), encode(2)
	if string(one) != string(two) {
		t.Error("Threads 1 and 2 give different models")
	}
	if string(two) != string(again) {
		t.Error("two runs give different models")
	}
	p.Seed++
	if string(encode(2)) == string(two) {
		t.Error("another seed gives the same model (subsampling ignores the seed)")
	}
}

func TestEarlyStoppingTruncates(t *testing.T) {
	// labels are pure noise: validation loss stops improving almost at once
	d := synth(11000, 5, 0, 2, 13)
	for i := range d.Y {
		d.Y[i] = int32((i * 7919 / 13) % 2)
	}
	p := DefaultParams()
	p.Rounds = 300
	p.EarlyStopping = 5
	p.LearningRate = 0.5
	var seen []Round
	res, err := Train(context.Background(), d, p, func(r Round) { seen = append(seen, r) })
	if err != nil {
		t.Fatal(err)
	}
	if res.ValidRows == 0 || res.TrainRows+res.ValidRows != 11000 {
		t.Fatalf("train %d valid %d rows", res.TrainRows, res.ValidRows)
	}
	if res.Rounds >= p.Rounds || res.Rounds-res.BestRound != p.EarlyStopping {
		t.Fatalf("trained %d rounds, best %d: want a stop %d rounds after the best", res.Rounds, res.BestRound, p.EarlyStopping)
	}
	if len(res.Ensemble.Trees) != res.BestRound {
		t.Fatalf("%d trees kept, want %d", len(res.Ensemble.Trees), res.BestRound)
	}
	if len(res.Curve) != res.Rounds || len(seen) != res.Rounds {
		t.Fatalf("curve %d, progress calls %d, want %d", len(res.Curve), len(seen), res.Rounds)
	}
	best := res.Curve[res.BestRound-1].ValidError
	for i, r := range res.Curve {
		if r.Round != i+1 || !sameRound(seen[i], r) {
			t.Fatalf("curve[%d] = %+v, progress %+v", i, r, seen[i])
		}
		// The round kept is the first of fewest validation errors.
		if r.ValidError < best || (r.Round < res.BestRound && r.ValidError == best) {
			t.Fatalf("round %d has validation error %v, the kept round %d %v", r.Round, r.ValidError, res.BestRound, best)
		}
		if math.IsNaN(r.Valid) || math.IsNaN(r.ValidError) {
			t.Fatalf("round %d: validation loss %v, error %v", r.Round, r.Valid, r.ValidError)
		}
		if math.IsNaN(r.Train) || r.Train <= 0 {
			t.Fatalf("round %d train loss %v", r.Round, r.Train)
		}
	}
}

func TestImportanceFindsSignal(t *testing.T) {
	n := 3000
	d := &Data{Columns: make([][]float32, 4), Y: make([]int32, n), Classes: 3}
	for f := range d.Columns {
		d.Columns[f] = make([]float32, n)
	}
	for i := 0; i < n; i++ {
		d.Y[i] = int32(i % 3)
		d.Columns[0][i] = float32((i * 31) % 97)
		d.Columns[1][i] = float32((i * 17) % 89)
		d.Columns[2][i] = float32(i%3) + float32((i*13)%7)/10 // the signal
		d.Columns[3][i] = 1                                   // constant
	}
	res := mustTrain(t, d, small())
	for f, v := range res.Importance {
		if f != 2 && v >= res.Importance[2] {
			t.Errorf("importance %v: feature %d above the signal", res.Importance, f)
		}
	}
	if res.Importance[3] != 0 {
		t.Errorf("constant feature has importance %v", res.Importance[3])
	}
}

func TestTrainRejectsBadData(t *testing.T) {
	good := func() *Data {
		return &Data{Columns: [][]float32{{1, 2, 3}, {0, 1, 0}}, Kinds: []model.Kind{model.Numeric, model.Categorical},
			Categories: []int{0, 2}, Y: []int32{0, 1, 0}, Classes: 2}
	}
	cases := map[string]struct {
		edit  func(*Data)
		field string
	}{
		"one class":         {func(d *Data) { d.Classes = 1 }, "Classes"},
		"no features":       {func(d *Data) { d.Columns, d.Kinds, d.Categories = nil, nil, nil }, "Columns"},
		"no rows":           {func(d *Data) { d.Y = nil }, "Y"},
		"short column":      {func(d *Data) { d.Columns[1] = d.Columns[1][:2] }, "Columns[1]"},
		"kinds length":      {func(d *Data) { d.Kinds = d.Kinds[:1] }, "Kinds"},
		"categories length": {func(d *Data) { d.Categories = nil }, "Categories"},
		"unknown kind":      {func(d *Data) { d.Kinds[0] = 7 }, "Kinds[0]"},
		"label too big":     {func(d *Data) { d.Y[2] = 2 }, "Y[2]"},
		"negative label":    {func(d *Data) { d.Y[0] = -1 }, "Y[0]"},
		"weights length":    {func(d *Data) { d.Weights = []float32{1} }, "Weights"},
		"NaN weight":        {func(d *Data) { d.Weights = []float32{1, float32(math.NaN()), 1} }, "Weights[1]"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			d := good()
			c.edit(d)
			_, err := Train(context.Background(), d, small(), nil)
			var de *DataError
			if !errors.As(err, &de) || !errors.Is(err, ErrData) {
				t.Fatalf("Train = %v, want a *DataError", err)
			}
			if de.Field != c.field {
				t.Fatalf("error names %q, want %q (%v)", de.Field, c.field, err)
			}
		})
	}
	t.Run("nil data", func(t *testing.T) {
		if _, err := Train(context.Background(), nil, small(), nil); !errors.Is(err, ErrData) {
			t.Fatalf("Train(nil) = %v", err)
		}
	})
	t.Run("bad params", func(t *testing.T) {
		p := small()
		p.Rounds = 0
		if _, err := Train(context.Background(), good(), p, nil); !errors.Is(err, ErrParam) {
			t.Fatalf("Train = %v, want ErrParam", err)
		}
	})
	t.Run("class weights length", func(t *testing.T) {
		p := small()
		p.ClassWeights = []float64{1, 2, 3}
		if _, err := Train(context.Background(), good(), p, nil); !errors.Is(err, ErrParam) {
			t.Fatalf("Train = %v, want ErrParam", err)
		}
	})
}

func TestTrainCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Train(ctx, synth(100, 3, 0, 2, 1), small(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Train = %v, want context.Canceled", err)
	}
}

func TestClassWeightsShiftPredictions(t *testing.T) {
	// overlapping classes, 9:1: weighting the rare class up must predict it
	// more often
	d := synth(4000, 4, 0, 2, 17)
	for i := range d.Y {
		if d.Y[i] == 1 && i%5 != 0 {
			d.Y[i] = 0
		}
	}
	count := func(p Params) int {
		m := wrap(t, d, mustTrain(t, d, p).Ensemble)
		n := 0
		for _, c := range predict(t, m, d.Columns) {
			n += c
		}
		return n
	}
	p := small()
	p.Rounds = 10
	p.ClassWeight = WeightNone
	plain := count(p)
	p.ClassWeight = WeightBalanced
	balanced := count(p)
	p.ClassWeight = WeightNone
	p.ClassWeights = []float64{1, 20}
	explicit := count(p)
	if balanced <= plain || explicit <= plain {
		t.Errorf("rare-class predictions: plain %d, balanced %d, explicit %d", plain, balanced, explicit)
	}
}

// sameRound compares rounds as values (NaN equal to NaN).
func sameRound(a, b Round) bool {
	eq := func(x, y float64) bool { return x == y || (math.IsNaN(x) && math.IsNaN(y)) }
	return a.Round == b.Round && eq(a.Train, b.Train) && eq(a.Valid, b.Valid) && eq(a.ValidError, b.ValidError) && a.Elapsed == b.Elapsed && a.Weight == b.Weight
}
