package eval

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// The reference values were computed by scikit-learn; testdata/README.md
// says how.

type skMulticlass struct {
	Name           string         `json:"name"`
	Classes        []string       `json:"classes"`
	Y              []int32        `json:"y"`
	Pred           []int32        `json:"pred"`
	Probs          []float64      `json:"probs"`
	Accuracy       float64        `json:"accuracy"`
	MacroF1        float64        `json:"macro_f1"`
	WeightedF1     float64        `json:"weighted_f1"`
	Precision      []float64      `json:"precision"`
	Recall         []float64      `json:"recall"`
	F1             []float64      `json:"f1"`
	Support        []int          `json:"support"`
	UnknownSupport int            `json:"unknown_support"`
	Confusion      [][]int        `json:"confusion"`
	ClassROCAUC    []*float64     `json:"class_roc_auc"`
	ClassAP        []*float64     `json:"class_ap"`
	ROCAUC         float64        `json:"roc_auc"`
	PRAUC          float64        `json:"pr_auc"`
	RawROCPoints   [][][2]float64 `json:"roc_points"`
	RawPRPoints    [][][2]float64 `json:"pr_points"`
	SklearnOVR     *float64       `json:"sklearn_ovr_macro"`
}

type skOutlier struct {
	Name      string       `json:"name"`
	Truth     []bool       `json:"truth"`
	Scores    []float64    `json:"scores"`
	Threshold float64      `json:"threshold"`
	Precision float64      `json:"precision"`
	Recall    float64      `json:"recall"`
	F1        float64      `json:"f1"`
	ROCAUC    float64      `json:"roc_auc"`
	AP        float64      `json:"ap"`
	ROCPoints [][2]float64 `json:"roc_points"`
	PRPoints  [][2]float64 `json:"pr_points"`
}

type skCases struct {
	Sklearn    string         `json:"sklearn"`
	Multiclass []skMulticlass `json:"multiclass"`
	Outlier    []skOutlier    `json:"outlier"`
}

func loadSklearn(t *testing.T) skCases {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sklearn_cases.json"))
	if err != nil {
		t.Fatalf("reading reference values: %v", err)
	}
	var c skCases
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("decoding reference values: %v", err)
	}
	if len(c.Multiclass) == 0 || len(c.Outlier) == 0 {
		t.Fatalf("reference file holds no cases")
	}
	return c
}

const tol = 1e-9

func near(a, b float64) bool { return math.Abs(a-b) <= tol }

// onCurve reports whether every point of got is one of ref's points: the
// downsampled curve must be a subset of the full curve.
func onCurve(got []Point, ref [][2]float64) (Point, bool) {
	for _, p := range got {
		found := false
		for _, r := range ref {
			if near(p.X, r[0]) && near(p.Y, r[1]) {
				found = true
				break
			}
		}
		if !found {
			return p, false
		}
	}
	return Point{}, true
}

func TestEvaluateMatchesSklearn(t *testing.T) {
	cases := loadSklearn(t)
	for _, c := range cases.Multiclass {
		t.Run(c.Name, func(t *testing.T) {
			m, cv, err := Evaluate(c.Classes, c.Y, c.Pred, c.Probs)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			check := func(what string, got, want float64) {
				t.Helper()
				if !near(got, want) {
					t.Errorf("%s = %.17g, scikit-learn %.17g", what, got, want)
				}
			}
			check("accuracy", m.Accuracy, c.Accuracy)
			check("macro_f1", m.MacroF1, c.MacroF1)
			check("weighted_f1", m.WeightedF1, c.WeightedF1)
			check("roc_auc", m.ROCAUC, c.ROCAUC)
			check("pr_auc", m.PRAUC, c.PRAUC)
			if c.SklearnOVR != nil {
				check("roc_auc vs roc_auc_score(multi_class=ovr)", m.ROCAUC, *c.SklearnOVR)
			}
			if m.NTest != len(c.Y) {
				t.Errorf("n_test = %d, want %d", m.NTest, len(c.Y))
			}
			for k, name := range c.Classes {
				pc, ok := m.PerClass[name]
				if !ok {
					t.Fatalf("per_class lacks %q", name)
				}
				check(name+" precision", pc.Precision, c.Precision[k])
				check(name+" recall", pc.Recall, c.Recall[k])
				check(name+" f1", pc.F1, c.F1[k])
				if pc.Support != c.Support[k] {
					t.Errorf("%s support = %d, scikit-learn %d", name, pc.Support, c.Support[k])
				}
				roc, pr := cv.ROC[k], cv.PR[k]
				if (c.ClassROCAUC[k] != nil) != roc.Defined {
					t.Errorf("%s ROC defined = %v, scikit-learn has an AUC: %v", name, roc.Defined, c.ClassROCAUC[k] != nil)
				} else if roc.Defined {
					check(name+" ROC-AUC", roc.Area, *c.ClassROCAUC[k])
					if p, ok := onCurve(roc.Points, c.RawROCPoints[k]); !ok {
						t.Errorf("%s ROC point %v is not on scikit-learn's roc_curve", name, p)
					}
				}
				if (c.ClassAP[k] != nil) != pr.Defined {
					t.Errorf("%s PR defined = %v, scikit-learn has an AP: %v", name, pr.Defined, c.ClassAP[k] != nil)
				} else if pr.Defined {
					check(name+" average precision", pr.Area, *c.ClassAP[k])
					if p, ok := onCurve(pr.Points, c.RawPRPoints[k]); !ok {
						t.Errorf("%s PR point %v is not on scikit-learn's precision_recall_curve", name, p)
					}
				}
			}
			if u, ok := m.PerClass[UnknownClass]; ok != (c.UnknownSupport > 0) || u.Support != c.UnknownSupport {
				t.Errorf("per_class[%q] = %+v (present %v), want support %d", UnknownClass, u, ok, c.UnknownSupport)
			}
			if len(m.Confusion) != len(c.Confusion) {
				t.Fatalf("confusion has %d rows, scikit-learn %d", len(m.Confusion), len(c.Confusion))
			}
			for i := range c.Confusion {
				for j := range c.Confusion[i] {
					if m.Confusion[i][j] != c.Confusion[i][j] {
						t.Errorf("confusion[%d][%d] = %d, scikit-learn %d", i, j, m.Confusion[i][j], c.Confusion[i][j])
					}
				}
			}
		})
	}
}

func TestEvaluateOutlierMatchesSklearn(t *testing.T) {
	cases := loadSklearn(t)
	for _, c := range cases.Outlier {
		t.Run(c.Name, func(t *testing.T) {
			m, cv, err := EvaluateOutlier(c.Truth, c.Scores, c.Threshold)
			if err != nil {
				t.Fatalf("EvaluateOutlier: %v", err)
			}
			for _, f := range []struct {
				what      string
				got, want float64
			}{
				{"precision", m.Precision, c.Precision},
				{"recall", m.Recall, c.Recall},
				{"f1", m.F1, c.F1},
				{"roc_auc", m.ROCAUC, c.ROCAUC},
				{"ROC curve area", cv.ROC.Area, c.ROCAUC},
				{"average precision", cv.PR.Area, c.AP},
				{"threshold", m.Threshold, c.Threshold},
			} {
				if !near(f.got, f.want) {
					t.Errorf("%s = %.17g, scikit-learn %.17g", f.what, f.got, f.want)
				}
			}
			if p, ok := onCurve(cv.ROC.Points, c.ROCPoints); !ok {
				t.Errorf("ROC point %v is not on scikit-learn's roc_curve", p)
			}
			if p, ok := onCurve(cv.PR.Points, c.PRPoints); !ok {
				t.Errorf("PR point %v is not on scikit-learn's precision_recall_curve", p)
			}
		})
	}
}
