package outlier

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// wrap puts a detector in the smallest model the codec accepts: a schema
// of d numeric features and a one-leaf logistic ensemble.
func wrap(o *model.Outlier, d int) *model.Model {
	m := &model.Model{
		Format:  model.FormatVersion,
		Classes: []string{"benign", "attack"},
		Benign:  []int{0},
		Ensemble: model.Ensemble{
			Objective: model.Logistic, Outputs: 1, BaseScore: []float32{0},
			Trees: []model.Tree{{Output: 0, Feature: []int32{-1}, Threshold: []float32{0},
				Op: []model.Op{model.Less}, DefaultLeft: []bool{false}, Left: []int32{-1},
				Right: []int32{-1}, Value: []float32{0}}},
		},
		Outlier: o,
	}
	for j := range d {
		m.Schema.Features = append(m.Schema.Features, model.Feature{Name: fmt.Sprintf("f%d", j)})
	}
	return m
}

// Both detectors' models pass the codec's validation and survive an
// encode–decode round trip with their scores unchanged.
func TestModelsRoundTripThroughCodec(t *testing.T) {
	rows := gaussian(rand.New(rand.NewPCG(41, 0)), 800, 4)
	batch, err := Fit(columns(rows), identity(4), DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	// A detector with log1p inputs: log-normal flows (3 inputs), all logged.
	flows := logNormalRows(rand.New(rand.NewPCG(42, 0)), 800)
	pl := DefaultParams()
	pl.Log1p = Log1pAll
	logged, err := Fit(columns(flows), identity(3), pl)
	if err != nil {
		t.Fatal(err)
	}
	on, _ := NewOnline(4, Params{Components: 2, NStdev: 3, StartClip: 20})
	if err := on.InferThreshold(rows, 95); err != nil {
		t.Fatal(err)
	}
	online, err := on.Model(identity(4))
	if err != nil {
		t.Fatal(err)
	}
	type tc struct {
		o    *model.Outlier
		rows [][]float64
	}
	for name, c := range map[string]tc{"batch": {batch, rows}, "batch log1p": {logged, flows}, "online": {online, rows}} {
		t.Run(name, func(t *testing.T) {
			o, rows := c.o, c.rows
			m := wrap(o, len(o.Features))
			if err := model.Validate(m); err != nil {
				t.Fatalf("validate: %v", err)
			}
			var buf bytes.Buffer
			if err := m.Encode(&buf); err != nil {
				t.Fatal(err)
			}
			back, err := model.Decode(&buf)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(back.Outlier.Log1p, o.Log1p) {
				t.Fatalf("log1p flags %v decoded as %v", o.Log1p, back.Outlier.Log1p)
			}
			if (back.Outlier.Online != nil) != (o.Online != nil) {
				t.Fatalf("online state lost: %v", back.Outlier.Online)
			}
			if o.Online != nil {
				if _, err := Resume(back.Outlier); err != nil {
					t.Fatalf("resume from the decoded model: %v", err)
				}
			}
			for _, r := range rows[:50] {
				if a, b := o.Score(f32(r)), back.Outlier.Score(f32(r)); a != b {
					t.Fatalf("score %v before encoding, %v after", a, b)
				}
			}
		})
	}
}
