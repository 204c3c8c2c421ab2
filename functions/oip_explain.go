package functions

// Explanations in the Open Inference Protocol (issue 15): the request
// parameter explain=N adds output tensors with the top N contributions of
// each flow's predicted class (TreeSHAP) and of its outlier score.
//
// Design note: the protocol's parameters are scalars (string, integer,
// boolean, double) in the request and in the response, so a per-flow,
// per-feature explanation cannot be a response parameter; output tensors
// can carry it, in JSON, as binary data and over gRPC, and every client
// reads them as it reads label or probabilities. The explanation's
// features are named in BYTES tensors beside FP64 ones, [N, K] each, K
// the same for every flow: the top K = min(N, features) by magnitude,
// padded (when fewer than K features contribute at all) with features of
// zero contribution in schema order, which is what their TreeSHAP value
// is.

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/flowsense/flowsense/cloudevents"
	"github.com/flowsense/flowsense/model"
)

// The explanation outputs, sent when the request has the parameter
// explain=N (N > 0). K is min(N, features), Ko min(N, detector inputs).
const (
	// OutputExplainBias is the expected margin of each flow's predicted
	// class over the training data: FP64 [N]. It plus every feature's
	// contribution (not just the top K) is OutputExplainMargin.
	OutputExplainBias = "explain_bias"
	// OutputExplainMargin is the predicted class's raw score (its log-odds
	// for a two-class logistic model): FP64 [N].
	OutputExplainMargin = "explain_margin"
	// OutputExplainFeature names the top K features of each flow, largest
	// contribution (by magnitude) first: BYTES [N, K].
	OutputExplainFeature = "explain_feature"
	// OutputExplainValue is the flow's value of each of them as text, as
	// cloudevents.ValueText writes /predict?explain's value (a number in
	// float64's shortest form, a category's name, "" for missing, +Inf,
	// -Inf): BYTES [N, K].
	OutputExplainValue = "explain_value"
	// OutputExplainContribution is each one's TreeSHAP contribution to
	// the predicted class's margin: FP64 [N, K].
	OutputExplainContribution = "explain_contribution"
	// OutputExplainOutlierFeature names the top Ko detector inputs by
	// their share of the outlier score: BYTES [N, Ko]. The five outlier
	// outputs are sent only for a model with a detector.
	OutputExplainOutlierFeature = "explain_outlier_feature"
	// OutputExplainOutlierValue is the flow's value of each: BYTES [N, Ko].
	OutputExplainOutlierValue = "explain_outlier_value"
	// OutputExplainOutlierMean is each input's benign mean: FP64 [N, Ko].
	OutputExplainOutlierMean = "explain_outlier_mean"
	// OutputExplainOutlierZ is each input's standardised deviation:
	// FP64 [N, Ko].
	OutputExplainOutlierZ = "explain_outlier_z"
	// OutputExplainOutlierContribution is each input's share of the
	// outlier score (the shares of all inputs sum to it): FP64 [N, Ko].
	OutputExplainOutlierContribution = "explain_outlier_contribution"
)

// ParamExplain is the request parameter that asks for explanations.
const ParamExplain = "explain"

var (
	explainOutputs = []string{OutputExplainBias, OutputExplainMargin, OutputExplainFeature, OutputExplainValue, OutputExplainContribution}
	outlierOutputs = []string{OutputExplainOutlierFeature, OutputExplainOutlierValue, OutputExplainOutlierMean, OutputExplainOutlierZ, OutputExplainOutlierContribution}
)

func isExplainOutput(name string) bool {
	return slices.Contains(explainOutputs, name) || slices.Contains(outlierOutputs, name)
}

// Explained holds the explanation outputs of an InferResult, row-major.
type Explained struct {
	// K and KO are the columns of the feature and outlier outputs.
	K, KO                 int
	Bias, Margin          []float64 // N
	Feature, Value        []string  // N*K
	Contribution          []float64 // N*K
	OutlierFeature        []string  // N*KO
	OutlierValue          []string  // N*KO
	OutlierMean, OutlierZ []float64 // N*KO
	OutlierContribution   []float64 // N*KO
}

// explainOutput is Output for the explanation outputs; ok is false for
// another name.
func (r *InferResult) explainOutput(name string) (dt string, shape []int64, strs []string, fp64 []float64, ok bool) {
	x := r.Explained
	if x == nil {
		return "", nil, nil, nil, false
	}
	n, k, ko := int64(r.N), int64(x.K), int64(x.KO)
	switch name {
	case OutputExplainBias:
		return "FP64", []int64{n}, nil, x.Bias, true
	case OutputExplainMargin:
		return "FP64", []int64{n}, nil, x.Margin, true
	case OutputExplainFeature:
		return "BYTES", []int64{n, k}, x.Feature, nil, true
	case OutputExplainValue:
		return "BYTES", []int64{n, k}, x.Value, nil, true
	case OutputExplainContribution:
		return "FP64", []int64{n, k}, nil, x.Contribution, true
	case OutputExplainOutlierFeature:
		return "BYTES", []int64{n, ko}, x.OutlierFeature, nil, true
	case OutputExplainOutlierValue:
		return "BYTES", []int64{n, ko}, x.OutlierValue, nil, true
	case OutputExplainOutlierMean:
		return "FP64", []int64{n, ko}, nil, x.OutlierMean, true
	case OutputExplainOutlierZ:
		return "FP64", []int64{n, ko}, nil, x.OutlierZ, true
	case OutputExplainOutlierContribution:
		return "FP64", []int64{n, ko}, nil, x.OutlierContribution, true
	}
	return "", nil, nil, nil, false
}

// explainOutputs checks the explanation outputs named among names against
// explain and the model, and returns the outputs to answer with: names
// as asked when they name an explanation output (they pick among them),
// else names followed by every explanation output.
func (s *Server) explainOutputs(names []string, explain int) ([]string, error) {
	hasOutlier := s.meta.Outlier != nil
	named := false
	for _, n := range names {
		if !isExplainOutput(n) {
			continue
		}
		named = true
		if explain == 0 {
			return nil, fmt.Errorf("%w: output %q is an explanation: set the request parameter %s to the number of features wanted", ErrExplain, n, ParamExplain)
		}
		if !hasOutlier && slices.Contains(outlierOutputs, n) {
			return nil, badInfer("no output %q: the model has no outlier detector", n)
		}
	}
	if explain == 0 || named {
		return names, nil
	}
	out := append(slices.Clone(names), explainOutputs...)
	if hasOutlier {
		out = append(out, outlierOutputs...)
	}
	return out, nil
}

// explainTensors fills res.Explained for the flows of rows, each as
// classified into res.Labels.
func (s *Server) explainTensors(ctx context.Context, rows []float32, n, top int, res *InferResult) error {
	F := s.nf
	ko := -1
	if o := s.meta.Outlier; o != nil {
		ko = min(top, len(o.Features))
	}
	x := newExplained(n, min(top, F), ko)
	schema := &s.meta.Schema
	listed := make([]bool, F)
	err := s.explainEach(ctx, rows, n, func(i int) int { return s.classIndex(res.Labels[i]) }, 0, func(i int, e *model.Explanation) {
		x.put(i, schema, rows[i*F:(i+1)*F], e, listed)
	})
	if err != nil {
		return err
	}
	res.Explained = x
	return nil
}

// newExplained makes the outputs of n flows, k columns of features and
// ko of detector inputs (ko < 0: the model has no detector, no outlier
// outputs).
func newExplained(n, k, ko int) *Explained {
	x := &Explained{K: k}
	x.Bias, x.Margin = make([]float64, n), make([]float64, n)
	x.Feature, x.Value, x.Contribution = make([]string, n*k), make([]string, n*k), make([]float64, n*k)
	if ko >= 0 {
		x.KO = ko
		x.OutlierFeature, x.OutlierValue = make([]string, n*ko), make([]string, n*ko)
		x.OutlierMean, x.OutlierZ, x.OutlierContribution = make([]float64, n*ko), make([]float64, n*ko), make([]float64, n*ko)
	}
	return x
}

// put fills flow i's columns from its explanation e of row (listed is
// scratch, one per feature). The figures are clamped as
// /predict?explain clamps them (cloudevents.Finite): JSON has no
// infinity, and an overflowed share is the same number on every binding.
func (x *Explained) put(i int, schema *model.Schema, row []float32, e *model.Explanation, listed []bool) {
	F := len(schema.Features)
	x.Bias[i], x.Margin[i] = cloudevents.Finite(e.Bias), cloudevents.Finite(e.Margin)
	clear(listed)
	k := 0
	put := func(f int, c float64) {
		j := i*x.K + k
		x.Feature[j], x.Value[j], x.Contribution[j] = schema.Features[f].Name, valueText(&schema.Features[f], row[f]), cloudevents.Finite(c)
		listed[f] = true
		k++
	}
	for _, fc := range e.Features {
		if k == x.K {
			break
		}
		put(fc.Feature, fc.Contribution)
	}
	for f := 0; k < x.K && f < F; f++ {
		if !listed[f] {
			put(f, 0)
		}
	}
	for k, oc := range e.Outlier[:min(len(e.Outlier), x.KO)] {
		j := i*x.KO + k
		f := &schema.Features[oc.Feature]
		x.OutlierFeature[j], x.OutlierValue[j] = f.Name, valueText(f, oc.Value)
		x.OutlierMean[j], x.OutlierZ[j], x.OutlierContribution[j] = cloudevents.Finite(oc.Mean), cloudevents.Finite(oc.Z), cloudevents.Finite(oc.Contribution)
	}
}

// valueText is a row value as text: /predict?explain's value
// (cloudevents.WireValue) as cloudevents.ValueText writes it.
func valueText(f *model.Feature, v float32) string {
	return cloudevents.ValueText(cloudevents.WireValue(f, v))
}

// explainParamText turns an explain parameter given as a JSON value (a
// number, or a string holding one) into ParseExplain's text; anything
// else is an ErrExplain.
func explainParamText(v []byte) (string, error) {
	s := strings.TrimSpace(string(v))
	if strings.HasPrefix(s, `"`) {
		t, err := paramString(v)
		if err != nil {
			return "", fmt.Errorf("%w: parameter explain: %v", ErrExplain, err)
		}
		if t == "" {
			return "", fmt.Errorf("%w: parameter explain is an empty string; give the number of features wanted", ErrExplain)
		}
		return t, nil
	}
	if s == "" || !(s[0] == '-' || s[0] >= '0' && s[0] <= '9') {
		return "", fmt.Errorf("%w: parameter explain is %s, want a whole number of features from 0 (off) to %d", ErrExplain, s, MaxExplain)
	}
	return s, nil
}
