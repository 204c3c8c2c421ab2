package eval

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"testing"
)

// Hand-computed cases. Each row of probs is the score of each class.
func TestEvaluateByHand(t *testing.T) {
	type want struct {
		accuracy, macroF1, weightedF1, rocAUC, prAUC float64
		precision, recall                            []float64
		confusion                                    [][]int
		unknown                                      int
	}
	cases := map[string]struct {
		classes []string
		y, pred []int32
		probs   []float64
		want    want
	}{
		// The textbook example: class-1 scores 0.1 0.4 0.35 0.8 for truths
		// 0 0 1 1. ROC-AUC of class 1 is 3/4; its AP is
		// 1/2*1 + 1/2*2/3 = 5/6. Class 0's scores are 1 - those, so its
		// AUC is also 3/4 and its AP is 1/2*1 + 1/2*2/3 = 5/6 as well.
		"textbook binary": {
			classes: []string{"benign", "attack"},
			y:       []int32{0, 0, 1, 1},
			pred:    []int32{0, 1, 0, 1},
			probs:   []float64{0.9, 0.1, 0.6, 0.4, 0.65, 0.35, 0.2, 0.8},
			want: want{
				accuracy: 0.5, macroF1: 0.5, weightedF1: 0.5,
				rocAUC: 0.75, prAUC: 5.0 / 6,
				precision: []float64{0.5, 0.5}, recall: []float64{0.5, 0.5},
				confusion: [][]int{{1, 1}, {1, 1}},
			},
		},
		// Every score tied: one diagonal step, AUC 1/2; AP is the
		// prevalence (one threshold with recall 1, precision P/n).
		"all tied": {
			classes: []string{"a", "b"},
			y:       []int32{0, 1, 1, 1},
			pred:    []int32{1, 1, 1, 1},
			probs:   []float64{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5},
			want: want{
				// a: never predicted, precision 0 (zero division), F1 0.
				// b: precision 3/4, recall 1, F1 6/7.
				accuracy: 0.75, macroF1: 3.0 / 7, weightedF1: 0.25*0 + 0.75*6.0/7,
				rocAUC: 0.5, prAUC: (0.25 + 0.75) / 2,
				precision: []float64{0, 0.75}, recall: []float64{0, 1},
				confusion: [][]int{{0, 1}, {0, 3}},
			},
		},
		// Perfect separation with three classes.
		"perfect": {
			classes: []string{"x", "y", "z"},
			y:       []int32{0, 1, 2, 2},
			pred:    []int32{0, 1, 2, 2},
			probs:   []float64{0.8, 0.1, 0.1, 0.1, 0.7, 0.2, 0, 0.1, 0.9, 0.2, 0.2, 0.6},
			want: want{
				accuracy: 1, macroF1: 1, weightedF1: 1, rocAUC: 1, prAUC: 1,
				precision: []float64{1, 1, 1}, recall: []float64{1, 1, 1},
				confusion: [][]int{{1, 0, 0}, {0, 1, 0}, {0, 0, 2}},
			},
		},
		// One row of an unknown true label predicted as class 0: an error
		// that costs class 0 precision, an extra confusion row, and a
		// negative for both curves.
		"unknown label": {
			classes: []string{"normal", "dos"},
			y:       []int32{0, 1, -1},
			pred:    []int32{0, 1, 0},
			probs:   []float64{0.9, 0.1, 0.2, 0.8, 0.7, 0.3},
			want: want{
				// normal: precision 1/2, recall 1, F1 2/3; dos: 1, 1, 1.
				accuracy: 2.0 / 3, macroF1: (2.0/3 + 1) / 2, weightedF1: (2.0/3 + 1) / 2,
				// normal scores: pos 0.9; neg 0.2, 0.7 -> AUC 1, AP 1.
				// dos scores: pos 0.8; neg 0.1, 0.3 -> AUC 1, AP 1.
				rocAUC: 1, prAUC: 1,
				precision: []float64{0.5, 1}, recall: []float64{1, 1},
				confusion: [][]int{{1, 0}, {0, 1}, {1, 0}},
				unknown:   1,
			},
		},
		// A class absent from truth and predictions: listed with zeros,
		// left out of every average.
		"absent class": {
			classes: []string{"a", "b", "never"},
			y:       []int32{0, 1},
			pred:    []int32{0, 1},
			probs:   []float64{0.6, 0.3, 0.1, 0.3, 0.6, 0.1},
			want: want{
				accuracy: 1, macroF1: 1, weightedF1: 1, rocAUC: 1, prAUC: 1,
				precision: []float64{1, 1, 0}, recall: []float64{1, 1, 0},
				confusion: [][]int{{1, 0, 0}, {0, 1, 0}, {0, 0, 0}},
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, cv, err := Evaluate(c.classes, c.y, c.pred, c.probs)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			for _, f := range []struct {
				what      string
				got, want float64
			}{
				{"accuracy", m.Accuracy, c.want.accuracy},
				{"macro_f1", m.MacroF1, c.want.macroF1},
				{"weighted_f1", m.WeightedF1, c.want.weightedF1},
				{"roc_auc", m.ROCAUC, c.want.rocAUC},
				{"pr_auc", m.PRAUC, c.want.prAUC},
			} {
				if !near(f.got, f.want) {
					t.Errorf("%s = %v, want %v", f.what, f.got, f.want)
				}
			}
			for k, name := range c.classes {
				pc := m.PerClass[name]
				if !near(pc.Precision, c.want.precision[k]) || !near(pc.Recall, c.want.recall[k]) {
					t.Errorf("%s precision, recall = %v, %v, want %v, %v", name, pc.Precision, pc.Recall, c.want.precision[k], c.want.recall[k])
				}
				if cv.ROC[k].Class != name || cv.PR[k].Class != name {
					t.Errorf("curve %d is named %q/%q, want %q", k, cv.ROC[k].Class, cv.PR[k].Class, name)
				}
			}
			if !slices.EqualFunc(m.Confusion, c.want.confusion, slices.Equal) {
				t.Errorf("confusion = %v, want %v", m.Confusion, c.want.confusion)
			}
			u, ok := m.PerClass[UnknownClass]
			if ok != (c.want.unknown > 0) || u.Support != c.want.unknown {
				t.Errorf("per_class[%q] = %+v present %v, want support %d", UnknownClass, u, ok, c.want.unknown)
			}
		})
	}
}

func TestEvaluateOutlierByHand(t *testing.T) {
	cases := map[string]struct {
		truth     []bool
		scores    []float64
		threshold float64
		want      OutlierMetrics
		defined   bool
	}{
		"strictly greater flags": {
			// Flagged: 5 and 9 (3 equals the threshold and is not flagged).
			truth:     []bool{false, true, true, false, true},
			scores:    []float64{1, 3, 9, 5, 0},
			threshold: 3,
			// TP 1 (9), FP 1 (5): precision 1/2, recall 1/3, F1 2/5.
			// AUC: pairs (pos > neg) over 3*2 pairs: 9 beats both, 3 beats 1,
			// 0 beats none -> 3/6.
			want:    OutlierMetrics{Precision: 0.5, Recall: 1.0 / 3, F1: 0.4, ROCAUC: 0.5, Threshold: 3},
			defined: true,
		},
		"nothing flagged": {
			truth:     []bool{true, false},
			scores:    []float64{2, 1},
			threshold: 10,
			want:      OutlierMetrics{Precision: 0, Recall: 0, F1: 0, ROCAUC: 1, Threshold: 10},
			defined:   true,
		},
		"only benign": {
			truth:     []bool{false, false},
			scores:    []float64{2, 1},
			threshold: 1.5,
			want:      OutlierMetrics{Threshold: 1.5},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			m, cv, err := EvaluateOutlier(c.truth, c.scores, c.threshold)
			if err != nil {
				t.Fatalf("EvaluateOutlier: %v", err)
			}
			if !near(m.Precision, c.want.Precision) || !near(m.Recall, c.want.Recall) ||
				!near(m.F1, c.want.F1) || !near(m.ROCAUC, c.want.ROCAUC) || m.Threshold != c.want.Threshold {
				t.Errorf("got %+v, want %+v", m, c.want)
			}
			if cv.ROC.Defined != c.defined {
				t.Errorf("ROC defined = %v, want %v", cv.ROC.Defined, c.defined)
			}
		})
	}
}

func TestEvaluateErrors(t *testing.T) {
	two := []string{"a", "b"}
	cases := map[string]struct {
		classes []string
		y, pred []int32
		probs   []float64
		want    error
		field   string
		row     int
	}{
		"no classes":                         {nil, []int32{0}, []int32{0}, nil, ErrEmpty, "classes", -1},
		"no rows":                            {two, nil, nil, nil, ErrEmpty, "y", -1},
		"pred too short":                     {two, []int32{0, 1}, []int32{0}, []float64{1, 0, 0, 1}, ErrLength, "pred", -1},
		"probs too short":                    {two, []int32{0}, []int32{0}, []float64{1}, ErrLength, "probs", -1},
		"true label 2":                       {two, []int32{0, 2}, []int32{0, 1}, []float64{1, 0, 0, 1}, ErrClass, "y", 1},
		"true label -2":                      {two, []int32{-2}, []int32{0}, []float64{1, 0}, ErrClass, "y", 0},
		"predicted -1":                       {two, []int32{0}, []int32{-1}, []float64{1, 0}, ErrClass, "pred", 0},
		"NaN score":                          {two, []int32{0, 1}, []int32{0, 1}, []float64{1, 0, 0, math.NaN()}, ErrScore, "probs", 1},
		"duplicate class":                    {[]string{"a", "a"}, []int32{0}, []int32{0}, []float64{1, 0}, ErrDuplicateClass, "classes", 1},
		"class named like the unknown entry": {[]string{"a", UnknownClass}, []int32{0}, []int32{0}, []float64{1, 0}, ErrDuplicateClass, "classes", 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, _, err := Evaluate(c.classes, c.y, c.pred, c.probs)
			if !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Field != c.field || ie.Row != c.row {
				t.Fatalf("error = %#v, want an *InputError for %s row %d", err, c.field, c.row)
			}
		})
	}
}

func TestEvaluateOutlierErrors(t *testing.T) {
	cases := map[string]struct {
		truth     []bool
		scores    []float64
		threshold float64
		want      error
	}{
		"empty":              {nil, nil, 0, ErrEmpty},
		"length":             {[]bool{true}, []float64{1, 2}, 0, ErrLength},
		"NaN score":          {[]bool{true, false}, []float64{1, math.NaN()}, 0, ErrScore},
		"NaN threshold":      {[]bool{true}, []float64{1}, math.NaN(), ErrScore},
		"infinite threshold": {[]bool{true}, []float64{1}, math.Inf(1), ErrScore},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, _, err := EvaluateOutlier(c.truth, c.scores, c.threshold); !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
		})
	}
}

// metrics.json must have exactly the agreed keys.
func TestMetricsJSONKeys(t *testing.T) {
	m, _, err := Evaluate([]string{"a", "b"}, []int32{0, 1}, []int32{0, 1}, []float64{1, 0, 0, 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"accuracy", "classes", "confusion", "macro_f1", "model_bytes", "n_test", "n_train",
		"per_class", "pr_auc", "roc_auc", "train_seconds", "weighted_f1"}
	keysOf := func(v any) []string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		var keys []string
		for k := range obj {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return keys
	}
	if got := keysOf(m); !slices.Equal(got, want) {
		t.Errorf("keys without detector = %v, want %v", got, want)
	}
	m.Outlier = &OutlierMetrics{}
	want = append(want, "outlier")
	slices.Sort(want)
	if got := keysOf(m); !slices.Equal(got, want) {
		t.Errorf("keys with detector = %v, want %v", got, want)
	}
	if got, want := keysOf(*m.Outlier), []string{"f1", "precision", "recall", "roc_auc", "threshold"}; !slices.Equal(got, want) {
		t.Errorf("outlier keys = %v, want %v", got, want)
	}
	if got, want := keysOf(m.PerClass["a"]), []string{"f1", "precision", "recall", "support"}; !slices.Equal(got, want) {
		t.Errorf("per_class keys = %v, want %v", got, want)
	}
}
