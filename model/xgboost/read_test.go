package xgboost_test

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/model/xgboost"
)

// tinyDoc is a hand-written binary:logistic model in XGBoost 1.7's JSON
// layout: one tree, f0 < 0.5 goes left (leaf -0.4), else f1 < 2 (missing
// goes right) to leaves 0.1 and 0.6; base_score 0.5 (margin 0).
const tinyDoc = `{
 "version": [1, 7, 4],
 "learner": {
  "attributes": {},
  "feature_names": [],
  "feature_types": [],
  "learner_model_param": {"base_score": "5E-1", "boost_from_average": "1", "num_class": "0", "num_feature": "2", "num_target": "1"},
  "objective": {"name": "binary:logistic", "reg_loss_param": {"scale_pos_weight": "1"}},
  "gradient_booster": {
   "name": "gbtree",
   "model": {
    "gbtree_model_param": {"num_parallel_tree": "1", "num_trees": "1", "size_leaf_vector": "0"},
    "tree_info": [0],
    "trees": [{
     "id": 0,
     "tree_param": {"num_deleted": "0", "num_feature": "2", "num_nodes": "5", "size_leaf_vector": "0"},
     "left_children": [1, -1, 3, -1, -1],
     "right_children": [2, -1, 4, -1, -1],
     "parents": [2147483647, 0, 0, 2, 2],
     "split_indices": [0, 0, 1, 0, 0],
     "split_conditions": [0.5, -0.4, 2, 0.1, 0.6],
     "split_type": [0, 0, 0, 0, 0],
     "default_left": [1, 0, 0, 0, 0],
     "base_weights": [0, -1.3, 0.9, 0.3, 2],
     "loss_changes": [1, 0, 1, 0, 0],
     "sum_hessian": [10, 4, 6, 3, 3],
     "categories": [], "categories_nodes": [], "categories_segments": [], "categories_sizes": []
    }]
   }
  }
 }
}`

// edit returns tinyDoc with the value at the dotted path (array indices
// as numbers) replaced by v, or removed when v is nil.
func edit(t testing.TB, path string, v any) string {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(tinyDoc), &doc); err != nil {
		t.Fatal(err)
	}
	keys := strings.Split(path, ".")
	cur := doc
	for _, k := range keys[:len(keys)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			cur = c[atoi(t, k)]
		}
	}
	last := keys[len(keys)-1]
	switch c := cur.(type) {
	case map[string]any:
		if v == nil {
			delete(c, last)
		} else {
			c[last] = v
		}
	case []any:
		c[atoi(t, last)] = v
	default:
		t.Fatalf("path %s: %T", path, cur)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func atoi(t testing.TB, s string) int {
	t.Helper()
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("bad index %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

const tree0 = "learner.gradient_booster.model.trees.0."

func TestReadTiny(t *testing.T) {
	m, err := xgboost.Read(strings.NewReader(tinyDoc), xgboost.Options{Created: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	nan := float32(math.NaN())
	cases := map[string]struct {
		row    []float32
		margin float64
	}{
		"left":                 {[]float32{0.4, 0}, -0.4},
		"on the threshold":     {[]float32{0.5, 0}, 0.1}, // 0.5 < 0.5 is false: right
		"missing goes left":    {[]float32{nan, 9}, -0.4},
		"right then left":      {[]float32{1, 1.5}, 0.1},
		"right then right":     {[]float32{1, 2}, 0.6},
		"right then missing":   {[]float32{1, nan}, 0.6},
		"infinity is a number": {[]float32{float32(math.Inf(1)), float32(math.Inf(-1))}, 0.1},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			var r model.Result
			if err := m.Predict(tc.row, &r); err != nil {
				t.Fatal(err)
			}
			want := 1 / (1 + math.Exp(-float64(float32(tc.margin))))
			if math.Abs(r.Probabilities[1]-want) > 1e-12 {
				t.Errorf("P(1) = %v, want %v (margin %v)", r.Probabilities[1], want, tc.margin)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	cases := map[string]struct {
		opt         xgboost.Options
		wantClasses []string
		wantBenign  []int
		wantNames   []string
	}{
		"defaults": {
			opt: xgboost.Options{}, wantClasses: []string{"0", "1"}, wantBenign: []int{0}, wantNames: []string{"f0", "f1"},
		},
		"named classes, benign found by name": {
			opt:         xgboost.Options{Classes: []string{"attack", "Normal"}},
			wantClasses: []string{"attack", "Normal"}, wantBenign: []int{1}, wantNames: []string{"f0", "f1"},
		},
		"explicit benign and features": {
			opt:         xgboost.Options{Classes: []string{"a", "b"}, Benign: []string{"b", "b"}, FeatureNames: []string{"bytes", "pkts"}},
			wantClasses: []string{"a", "b"}, wantBenign: []int{1}, wantNames: []string{"bytes", "pkts"},
		},
		"no benign class": {
			opt: xgboost.Options{Benign: []string{}}, wantClasses: []string{"0", "1"}, wantBenign: []int{}, wantNames: []string{"f0", "f1"},
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := xgboost.Read(strings.NewReader(tinyDoc), tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if !equal(m.Classes, tc.wantClasses) || !equal(m.Benign, tc.wantBenign) {
				t.Errorf("classes %q benign %v, want %q %v", m.Classes, m.Benign, tc.wantClasses, tc.wantBenign)
			}
			for i, f := range m.Schema.Features {
				if f.Name != tc.wantNames[i] {
					t.Errorf("feature %d named %q, want %q", i, f.Name, tc.wantNames[i])
				}
			}
		})
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadErrors(t *testing.T) {
	cases := map[string]struct {
		doc  string
		opt  xgboost.Options
		want error
		path string // expected in the message
	}{
		"not json":                {doc: "binf\x00\x00", want: xgboost.ErrSyntax},
		"empty":                   {doc: "", want: xgboost.ErrSyntax},
		"truncated":               {doc: tinyDoc[:len(tinyDoc)/2], want: xgboost.ErrSyntax},
		"ubjson":                  {doc: "{L\x00\x00\x00\x00\x00\x00\x00\x07learner{", want: xgboost.ErrUnsupported},
		"no learner":              {doc: `{"version": [1, 7, 4]}`, want: xgboost.ErrSyntax, path: "learner"},
		"a flowsense model":       {doc: `{"format": 1, "schema": {"features": []}}`, want: xgboost.ErrSyntax},
		"regression objective":    {doc: edit(t, "learner.objective.name", "reg:squarederror"), want: xgboost.ErrUnsupported, path: "objective"},
		"logitraw objective":      {doc: edit(t, "learner.objective.name", "binary:logitraw"), want: xgboost.ErrUnsupported},
		"dart without its gbtree": {doc: edit(t, "learner.gradient_booster.name", "dart"), want: xgboost.ErrSyntax, path: "gbtree"},
		"dart weights too few":    {doc: dartDoc(t, []float64{1, 1}), want: xgboost.ErrShape, path: "weight_drop"},
		"dart weight beyond f32":  {doc: dartDoc(t, []float64{1e39}), want: xgboost.ErrNonFinite, path: "weight_drop[0]"},
		"unknown booster":         {doc: edit(t, "learner.gradient_booster.name", "gbforest"), want: xgboost.ErrUnsupported},
		"gblinear booster":        {doc: edit(t, "learner.gradient_booster.name", "gblinear"), want: xgboost.ErrUnsupported},
		"categorical split":       {doc: edit(t, tree0+"split_type", []int{1, 0, 0, 0, 0}), want: xgboost.ErrUnsupported, path: "split_type[0]"},
		"categorical nodes":       {doc: edit(t, tree0+"categories_nodes", []int{0}), want: xgboost.ErrUnsupported},
		"vector leaves":           {doc: edit(t, tree0+"tree_param.size_leaf_vector", "3"), want: xgboost.ErrUnsupported},
		"multi-target":            {doc: edit(t, "learner.learner_model_param.num_target", "2"), want: xgboost.ErrUnsupported},
		"short right_children":    {doc: edit(t, tree0+"right_children", []int{2, -1, 4, -1}), want: xgboost.ErrShape, path: "right_children"},
		"short default_left":      {doc: edit(t, tree0+"default_left", []int{1}), want: xgboost.ErrShape},
		"num_nodes disagrees":     {doc: edit(t, tree0+"tree_param.num_nodes", "7"), want: xgboost.ErrShape},
		"no nodes":                {doc: edit(t, tree0+"left_children", []int{}), want: xgboost.ErrShape},
		"tree_info too short":     {doc: edit(t, "learner.gradient_booster.model.tree_info", []int{}), want: xgboost.ErrShape},
		"num_trees disagrees":     {doc: edit(t, "learner.gradient_booster.model.gbtree_model_param.num_trees", "2"), want: xgboost.ErrShape},
		"child out of range":      {doc: edit(t, tree0+"left_children", []int{1, -1, 9, -1, -1}), want: xgboost.ErrRange, path: "left_children[2]"},
		"negative child":          {doc: edit(t, tree0+"right_children", []int{-7, -1, 4, -1, -1}), want: xgboost.ErrRange},
		"child links to root":     {doc: edit(t, tree0+"left_children", []int{1, -1, 0, -1, -1}), want: xgboost.ErrRange},
		"shared child":            {doc: edit(t, tree0+"right_children", []int{2, -1, 3, -1, -1}), want: xgboost.ErrRange},
		"leaf with right child":   {doc: edit(t, tree0+"right_children", []int{2, 3, 4, -1, -1}), want: xgboost.ErrRange},
		"feature out of range":    {doc: edit(t, tree0+"split_indices", []int{2, 0, 1, 0, 0}), want: xgboost.ErrRange},
		"class out of range":      {doc: edit(t, "learner.gradient_booster.model.tree_info", []int{1}), want: xgboost.ErrRange},
		"NaN threshold":           {doc: strings.Replace(tinyDoc, "[0.5, -0.4", "[NaN, -0.4", 1), want: xgboost.ErrNonFinite},
		"infinite leaf":           {doc: strings.Replace(tinyDoc, "-0.4, 2", "-Infinity, 2", 1), want: xgboost.ErrNonFinite},
		"leaf beyond float32":     {doc: strings.Replace(tinyDoc, "-0.4, 2", "-1e39, 2", 1), want: xgboost.ErrNonFinite},
		"base_score 1":            {doc: edit(t, "learner.learner_model_param.base_score", "1"), want: xgboost.ErrRange},
		"base_score not a number": {doc: edit(t, "learner.learner_model_param.base_score", "half"), want: xgboost.ErrSyntax},
		"num_feature missing":     {doc: edit(t, "learner.learner_model_param.num_feature", nil), want: xgboost.ErrSyntax},
		"num_class as a number":   {doc: edit(t, "learner.learner_model_param.num_class", 0), want: xgboost.ErrSyntax},
		"default_left not 0/1":    {doc: edit(t, tree0+"default_left", []int{2, 0, 0, 0, 0}), want: xgboost.ErrSyntax},
		"saved names wrong count": {doc: edit(t, "learner.feature_names", []string{"a"}), want: xgboost.ErrShape},
		"duplicate saved names":   {doc: edit(t, "learner.feature_names", []string{"a", "a"}), want: xgboost.ErrModel},
		"option: feature names":   {doc: tinyDoc, opt: xgboost.Options{FeatureNames: []string{"a", "b", "c"}}, want: xgboost.ErrOption},
		"option: classes":         {doc: tinyDoc, opt: xgboost.Options{Classes: []string{"a", "b", "c"}}, want: xgboost.ErrOption},
		"option: duplicate class": {doc: tinyDoc, opt: xgboost.Options{Classes: []string{"a", "a"}}, want: xgboost.ErrOption},
		"option: unknown benign":  {doc: tinyDoc, opt: xgboost.Options{Benign: []string{"normal"}}, want: xgboost.ErrOption},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			m, err := xgboost.Read(strings.NewReader(tc.doc), tc.opt)
			if err == nil {
				t.Fatalf("accepted: %d trees", len(m.Ensemble.Trees))
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var xe *xgboost.Error
			if !errors.As(err, &xe) {
				t.Fatalf("error %T is not an *xgboost.Error", err)
			}
			if !strings.Contains(err.Error(), tc.path) {
				t.Errorf("message %q does not name %q", err, tc.path)
			}
		})
	}
}

// TestModelErrorWrapsModel: a converted model that fails validation says
// why in model's own terms too.
func TestModelErrorWrapsModel(t *testing.T) {
	_, err := xgboost.Read(strings.NewReader(edit(t, "learner.feature_names", []string{"a", "a"})), xgboost.Options{})
	if !errors.Is(err, xgboost.ErrModel) || !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("error %v, want ErrModel wrapping model.ErrInvalid", err)
	}
}

// TestDeletedNodesDropped: XGBoost keeps pruned nodes in its arrays; no
// link reaches them, and the converted tree leaves them out.
func TestDeletedNodesDropped(t *testing.T) {
	doc := tinyDoc
	for _, kv := range [][2]string{
		{`"left_children": [1, -1, 3, -1, -1]`, `"left_children": [1, -1, 3, -1, -1, -1]`},
		{`"right_children": [2, -1, 4, -1, -1]`, `"right_children": [2, -1, 4, -1, -1, -1]`},
		{`"split_indices": [0, 0, 1, 0, 0]`, `"split_indices": [0, 0, 1, 0, 0, 0]`},
		{`"split_conditions": [0.5, -0.4, 2, 0.1, 0.6]`, `"split_conditions": [0.5, -0.4, 2, 0.1, 0.6, 0]`},
		{`"split_type": [0, 0, 0, 0, 0]`, `"split_type": [0, 0, 0, 0, 0, 0]`},
		{`"default_left": [1, 0, 0, 0, 0]`, `"default_left": [1, 0, 0, 0, 0, 0]`},
		{`"num_nodes": "5"`, `"num_nodes": "6"`},
		{`"sum_hessian": [10, 4, 6, 3, 3]`, `"sum_hessian": [10, 4, 6, 3, 3, 0]`},
	} {
		if !strings.Contains(doc, kv[0]) {
			t.Fatalf("tinyDoc lacks %s", kv[0])
		}
		doc = strings.Replace(doc, kv[0], kv[1], 1)
	}
	m, err := xgboost.Read(strings.NewReader(doc), xgboost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := m.Ensemble.Trees[0].Len(); n != 5 {
		t.Errorf("%d nodes, want the 5 reachable ones", n)
	}
}

// dartDoc is tinyDoc saved by the dart booster with the given weights.
func dartDoc(t testing.TB, weights []float64) string {
	t.Helper()
	var doc map[string]any
	if err := json.Unmarshal([]byte(tinyDoc), &doc); err != nil {
		t.Fatal(err)
	}
	l := doc["learner"].(map[string]any)
	gb := l["gradient_booster"].(map[string]any)
	l["gradient_booster"] = map[string]any{"name": "dart", "gbtree": gb, "weight_drop": weights}
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDartWeights: a dart tree's leaves are scaled by its weight.
func TestDartWeights(t *testing.T) {
	m, err := xgboost.Read(strings.NewReader(dartDoc(t, []float64{0.5})), xgboost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]float64, 1)
	m.Ensemble.Raw([]float32{1, 2}, raw) // leaf 0.6
	if want := float64(float32(0.6) * 0.5); raw[0] != want {
		t.Errorf("margin %v, want %v", raw[0], want)
	}
	if m.Meta.Params["booster"] != "dart" {
		t.Errorf("params %v do not name the dart booster", m.Meta.Params)
	}
}

// TestStump: a tree whose root is a leaf (XGBoost found no split) adds its
// value to every row.
func TestStump(t *testing.T) {
	doc := tinyDoc
	for _, kv := range [][2]string{
		{`"left_children": [1, -1, 3, -1, -1]`, `"left_children": [-1]`},
		{`"right_children": [2, -1, 4, -1, -1]`, `"right_children": [-1]`},
		{`"split_indices": [0, 0, 1, 0, 0]`, `"split_indices": [0]`},
		{`"split_conditions": [0.5, -0.4, 2, 0.1, 0.6]`, `"split_conditions": [0.25]`},
		{`"split_type": [0, 0, 0, 0, 0]`, `"split_type": [0]`},
		{`"default_left": [1, 0, 0, 0, 0]`, `"default_left": [0]`},
		{`"num_nodes": "5"`, `"num_nodes": "1"`},
		{`"sum_hessian": [10, 4, 6, 3, 3]`, `"sum_hessian": [10]`},
	} {
		doc = strings.Replace(doc, kv[0], kv[1], 1)
	}
	m, err := xgboost.Read(strings.NewReader(doc), xgboost.Options{})
	if err != nil {
		t.Fatal(err)
	}
	raw := make([]float64, 1)
	for _, row := range [][]float32{{0, 0}, {float32(math.NaN()), 7}} {
		m.Ensemble.Raw(row, raw)
		if raw[0] != 0.25 {
			t.Errorf("row %v: margin %v, want the stump's 0.25", row, raw[0])
		}
	}
}
