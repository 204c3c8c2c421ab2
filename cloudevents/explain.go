package cloudevents

import (
	"math"
	"strconv"

	"github.com/flowsense/flowsense/model"
)

// Explanation says why a flow got its classification: the features that
// pushed the predicted class's raw score (TreeSHAP values) and those that
// made the outlier score (its per-feature shares). It is in a
// classification only when the request asked for it (?explain=N, or the
// CloudEvents extension attribute explain=N).
type Explanation struct {
	// Class is the class explained: the predicted one (Label).
	Class string `json:"class"`
	// Margin is the class's raw score (for a two-class logistic model its
	// log-odds); Bias its expected value over the training data. Bias plus
	// every feature's contribution is Margin; Features holds the largest.
	Margin   float64               `json:"margin"`
	Bias     float64               `json:"bias"`
	Features []FeatureContribution `json:"features"`
	// Outlier holds the largest shares of OutlierScore; absent without a
	// detector. All the shares sum to the score.
	Outlier []OutlierContribution `json:"outlier,omitempty"`
}

// FeatureContribution is one feature's push on the explained class's raw
// score: positive towards the class, negative away from it.
type FeatureContribution struct {
	Name string `json:"name"`
	// Value is the flow's value: a number, a category name, or null when
	// missing.
	Value        any     `json:"value"`
	Contribution float64 `json:"contribution"`
}

// OutlierContribution is one feature's share of the outlier score, with
// the flow's value, the benign mean and how many benign standard
// deviations away the flow is (z, after the detector's log and clipping).
type OutlierContribution struct {
	Name         string  `json:"name"`
	Value        any     `json:"value"`
	Mean         float64 `json:"mean"`
	Z            float64 `json:"z"`
	Contribution float64 `json:"contribution"`
}

// Explain turns a model explanation into its wire form, naming features by
// the schema and classes by classes.
func Explain(schema *model.Schema, classes []string, e *model.Explanation) *Explanation {
	x := &Explanation{Margin: Finite(e.Margin), Bias: Finite(e.Bias), Features: make([]FeatureContribution, len(e.Features))}
	if e.Class >= 0 && e.Class < len(classes) {
		x.Class = classes[e.Class]
	}
	for i, f := range e.Features {
		x.Features[i] = FeatureContribution{Name: schema.Features[f.Feature].Name, Value: WireValue(&schema.Features[f.Feature], f.Value), Contribution: Finite(f.Contribution)}
	}
	for _, o := range e.Outlier {
		x.Outlier = append(x.Outlier, OutlierContribution{
			Name: schema.Features[o.Feature].Name, Value: WireValue(&schema.Features[o.Feature], o.Value),
			Mean: Finite(o.Mean), Z: Finite(o.Z), Contribution: Finite(o.Contribution),
		})
	}
	return x
}

// WireValue is a row value as JSON can carry it: a category's name, a
// number, null for missing, and the strings "+Inf" and "-Inf" for the
// infinities flow meters write.
func WireValue(f *model.Feature, v float32) any {
	switch {
	case v != v:
		return nil
	case math.IsInf(float64(v), 1):
		return "+Inf"
	case math.IsInf(float64(v), -1):
		return "-Inf"
	case f.Kind == model.Categorical && v >= 0 && int(v) < len(f.Categories):
		return f.Categories[int(v)]
	}
	return float64(v)
}

// Finite clamps an overflowed figure to the largest float64 JSON can
// carry (a share of an outlier score that overflowed): +Inf to
// math.MaxFloat64, -Inf to -math.MaxFloat64, NaN to 0. Every binding
// that sends explanation figures (/predict?explain, the Open Inference
// Protocol's explain_* outputs, flowsense predict --explain) clamps with it.
func Finite(v float64) float64 {
	switch {
	case math.IsInf(v, 1):
		return math.MaxFloat64
	case math.IsInf(v, -1):
		return -math.MaxFloat64
	case v != v:
		return 0
	}
	return v
}

// ValueText is a wire value (FeatureContribution's or
// OutlierContribution's Value) as text, as a CSV cell holds it: a number
// in float64's shortest form (the digits /predict's JSON sends), a
// category's name or "+Inf"/"-Inf" as they are, "" for missing. The
// Open Inference Protocol's explain_value outputs and flowsense predict
// --explain's CSV write values with it.
func ValueText(v any) string {
	switch v := v.(type) {
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case string:
		return v
	}
	return ""
}
