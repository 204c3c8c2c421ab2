package eval

import "slices"

// Task is what a model's answers are scored against: its class names,
// which of them are benign, and its outlier detector's threshold (nil
// without a detector).
type Task struct {
	Classes   []string
	Benign    []int
	Threshold *float64
}

// EvaluateModel scores a model's answers on labelled rows: y are the true
// class indices into t.Classes (-1 for a label the model does not know),
// class, probs (row-major n x classes) and scores the model's answers.
// The outlier detector is scored too when the task has one and the rows
// hold both benign rows and attacks (a row is an attack when its label is
// unknown or not benign); Metrics.Outlier and Curves.Outlier stay nil
// otherwise.
func (t Task) EvaluateModel(y, class []int32, probs, scores []float64) (Metrics, Curves, error) {
	met, curves, err := Evaluate(t.Classes, y, class, probs)
	if err != nil || t.Threshold == nil {
		return met, curves, err
	}
	truth := make([]bool, len(y))
	for i, c := range y {
		truth[i] = c < 0 || !slices.Contains(t.Benign, int(c))
	}
	if !slices.Contains(truth, true) || !slices.Contains(truth, false) {
		return met, curves, nil
	}
	om, oc, err := EvaluateOutlier(truth, scores, *t.Threshold)
	if err != nil {
		return met, curves, err
	}
	met.Outlier, curves.Outlier = &om, &oc
	return met, curves, nil
}
