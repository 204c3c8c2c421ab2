package eval

import (
	"math"
	"slices"
)

// UnknownClass names the extra per_class entry and the extra last
// confusion row for test rows whose true label the model does not know
// (class index -1). See the package documentation.
const UnknownClass = "(unknown)"

// ClassMetrics are the figures of one class.
type ClassMetrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Support   int     `json:"support"` // rows whose true label is the class
}

// OutlierMetrics are the figures of the outlier detector; a row is flagged
// when its score is strictly greater than Threshold.
type OutlierMetrics struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	ROCAUC    float64 `json:"roc_auc"`
	Threshold float64 `json:"threshold"`
}

// Metrics is the content of metrics.json. [Evaluate] fills everything but
// NTrain, TrainSeconds and ModelBytes, which the caller sets, and Outlier,
// which the caller sets from [EvaluateOutlier] when a detector was
// evaluated.
type Metrics struct {
	Accuracy   float64                 `json:"accuracy"`
	MacroF1    float64                 `json:"macro_f1"`
	WeightedF1 float64                 `json:"weighted_f1"`
	Classes    []string                `json:"classes"`
	PerClass   map[string]ClassMetrics `json:"per_class"`
	// Confusion[t][p] counts rows of true class t predicted as p. It has
	// len(Classes) columns and len(Classes) rows, plus a last row for
	// unknown true labels when there were any.
	Confusion    [][]int `json:"confusion"`
	ROCAUC       float64 `json:"roc_auc"`
	PRAUC        float64 `json:"pr_auc"`
	NTrain       int     `json:"n_train"`
	NTest        int     `json:"n_test"`
	TrainSeconds float64 `json:"train_seconds"`
	ModelBytes   int64   `json:"model_bytes"`
	// WasmBytes is the size of the compiled module (set by the caller).
	WasmBytes int64           `json:"wasm_bytes,omitempty"`
	Outlier   *OutlierMetrics `json:"outlier,omitempty"`
	// Training is how the classifier was trained (set by the caller).
	Training *Training `json:"training,omitempty"`
}

// Curves are the curves behind the areas of [Metrics], at most
// [MaxCurvePoints] points each, for drawing. They are not part of
// metrics.json.
type Curves struct {
	ROC     []Curve        `json:"roc"` // one per class, in class order
	PR      []Curve        `json:"pr"`  // one per class, in class order
	Outlier *OutlierCurves `json:"outlier,omitempty"`
}

// OutlierCurves are the ROC and precision-recall curves of the outlier
// detector (Class is "attack").
type OutlierCurves struct {
	ROC Curve `json:"roc"`
	PR  Curve `json:"pr"`
}

// Evaluate computes the multiclass figures of n test rows over
// K = len(classes) classes. y holds the true class indices (in [0,K), or
// -1 for a label the model does not know), pred the predicted indices (in
// [0,K)), probs the class scores row-major n x K (probabilities, or any
// score where higher means more likely; only their order matters).
// Binary models are evaluated the same way with K = 2.
//
// Each class's scores are radix-sorted once (O(K n) time, O(n) extra
// memory, reused across classes); see BenchmarkEvaluate_*.
func Evaluate(classes []string, y, pred []int32, probs []float64) (Metrics, Curves, error) {
	K, n := len(classes), len(y)
	if K == 0 {
		return Metrics{}, Curves{}, inputErr("classes", -1, ErrEmpty)
	}
	if n == 0 {
		return Metrics{}, Curves{}, inputErr("y", -1, ErrEmpty)
	}
	if len(pred) != n {
		return Metrics{}, Curves{}, inputErr("pred", -1, ErrLength)
	}
	if len(probs) != n*K {
		return Metrics{}, Curves{}, inputErr("probs", -1, ErrLength)
	}
	seen := make(map[string]bool, K)
	for c, name := range classes {
		if seen[name] || name == UnknownClass {
			return Metrics{}, Curves{}, inputErr("classes", c, ErrDuplicateClass)
		}
		seen[name] = true
	}
	for r := range n {
		if y[r] < -1 || int(y[r]) >= K {
			return Metrics{}, Curves{}, inputErr("y", r, ErrClass)
		}
		if pred[r] < 0 || int(pred[r]) >= K {
			return Metrics{}, Curves{}, inputErr("pred", r, ErrClass)
		}
	}
	for i, p := range probs {
		if math.IsNaN(p) {
			return Metrics{}, Curves{}, inputErr("probs", i/K, ErrScore)
		}
	}

	// Confusion matrix; the row for unknown true labels is index K.
	conf := make([][]int, K+1)
	cells := make([]int, (K+1)*K)
	for t := range conf {
		conf[t] = cells[t*K : (t+1)*K : (t+1)*K]
	}
	correct := 0
	for r := range n {
		t := int(y[r])
		if t < 0 {
			t = K
		}
		conf[t][pred[r]]++
		if t == int(pred[r]) {
			correct++
		}
	}
	unknown := 0
	for _, v := range conf[K] {
		unknown += v
	}
	if unknown == 0 {
		conf = conf[:K]
	}

	m := Metrics{
		Accuracy:  float64(correct) / float64(n),
		Classes:   slices.Clone(classes),
		PerClass:  make(map[string]ClassMetrics, K+1),
		Confusion: conf,
		NTest:     n,
	}
	var macro, weighted float64
	averaged, supportSum := 0, 0
	for c, name := range classes {
		tp, support, predicted := conf[c][c], 0, 0
		for _, v := range conf[c] {
			support += v
		}
		for t := range conf {
			predicted += conf[t][c]
		}
		cm := ClassMetrics{
			Precision: ratio(tp, predicted),
			Recall:    ratio(tp, support),
			F1:        ratio(2*tp, support+predicted),
			Support:   support,
		}
		m.PerClass[name] = cm
		if support > 0 || predicted > 0 {
			macro += cm.F1
			averaged++
		}
		weighted += cm.F1 * float64(support)
		supportSum += support
	}
	if unknown > 0 {
		m.PerClass[UnknownClass] = ClassMetrics{Support: unknown}
	}
	if averaged > 0 {
		m.MacroF1 = macro / float64(averaged)
	}
	if supportSum > 0 {
		m.WeightedF1 = weighted / float64(supportSum)
	}

	// One-vs-rest curves: split each class's scores into positives and
	// negatives and sort each once.
	var cv Curves
	cv.ROC = make([]Curve, K)
	cv.PR = make([]Curve, K)
	s := newScratch(n)
	var rocSum, apSum float64
	rocN, apN := 0, 0
	for c, name := range classes {
		s.pos, s.neg = s.pos[:0], s.neg[:0]
		for r := range n {
			k := key(probs[r*K+c])
			if int(y[r]) == c {
				s.pos = append(s.pos, k)
			} else {
				s.neg = append(s.neg, k)
			}
		}
		s.sortKeys()
		b := binaryCurve(s.pos, s.neg, s)
		cv.ROC[c] = Curve{Class: name, Defined: b.rocDefined, Area: b.rocAUC, Points: b.roc}
		cv.PR[c] = Curve{Class: name, Defined: b.prDefined, Area: b.ap, Points: b.pr}
		if b.rocDefined {
			rocSum += b.rocAUC
			rocN++
		}
		if b.prDefined {
			apSum += b.ap
			apN++
		}
	}
	if rocN > 0 {
		m.ROCAUC = rocSum / float64(rocN)
	}
	if apN > 0 {
		m.PRAUC = apSum / float64(apN)
	}
	return m, cv, nil
}

// ratio is num/den, or 0 when den is 0 (scikit-learn's zero_division=0).
func ratio(num, den int) float64 {
	if den == 0 {
		return 0
	}
	return float64(num) / float64(den)
}
