package xgboost

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/flowsense/flowsense/model"
)

// Options adjust what Read makes of a model. The zero value is the
// defaults.
type Options struct {
	// FeatureNames name the features in XGBoost's column order,
	// overriding the names saved in the model. Default: the model's
	// feature_names, or f0..fN-1 when it has none (XGBoost's own default).
	FeatureNames []string
	// Classes name the classes in XGBoost's label order (label i is
	// Classes[i]). Default: "0".."K-1".
	Classes []string
	// Benign lists the names of the classes that are not attacks.
	// Default: every class named "normal" or "benign" (in any case), or
	// else class 0.
	Benign []string
	// Name is recorded as the model's meta.name.
	Name string
	// Created is recorded as meta.created; zero means time.Now().
	Created time.Time
}

// maxFileBytes bounds what Read reads, like model.DefaultLimits.FileBytes.
var maxFileBytes = model.DefaultLimits.FileBytes

// Read converts an XGBoost JSON model (as Booster.save_model writes it
// for a file named *.json) into a flowsense model that passes
// model.Validate. Every error is an *Error wrapping one of this package's
// sentinel errors, which names the place in the document.
//
// XGBoost's rules are kept exactly: a node sends x to the left child when
// x < split_condition (model.Less) and a missing value to its default
// direction; a leaf's value is its split_condition (which already carries
// the learning rate; base_weights do not); tree_info gives the class each
// tree adds to. learner_model_param.base_score is the starting raw score
// of every class for multi:softprob and multi:softmax, and a probability
// for binary:logistic, whose starting margin is logit(base_score).
func Read(r io.Reader, opt Options) (*model.Model, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return nil, &Error{Err: fmt.Errorf("read: %w", err)}
	}
	if int64(len(b)) > maxFileBytes {
		return nil, errAt("", ErrUnsupported, "file larger than %d bytes", maxFileBytes)
	}
	var doc document
	if err := decode(b, &doc); err != nil {
		return nil, err
	}
	return convert(&doc, opt)
}

// ReadFile is Read of the file at path; errors name the file.
func ReadFile(path string, opt Options) (*model.Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Read(f, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

// The parts of XGBoost's JSON model schema (doc/model.schema in the
// XGBoost sources) that a prediction depends on. Scalars of the *_param
// objects are strings in that schema.
type document struct {
	Version []int    `json:"version"`
	Learner *learner `json:"learner"`
}

type learner struct {
	FeatureNames []string      `json:"feature_names"`
	Param        *learnerParam `json:"learner_model_param"`
	Objective    *struct {
		Name string `json:"name"`
	} `json:"objective"`
	Booster *struct {
		Name  string  `json:"name"`
		Model *gbtree `json:"model"` // gbtree
		// Dart keeps its trees in a gbtree of its own and one weight per
		// tree.
		Gbtree *struct {
			Model *gbtree `json:"model"`
		} `json:"gbtree"`
		WeightDrop []float64 `json:"weight_drop"`
	} `json:"gradient_booster"`
}

type learnerParam struct {
	BaseScore  string `json:"base_score"`
	NumClass   string `json:"num_class"`
	NumFeature string `json:"num_feature"`
	NumTarget  string `json:"num_target"`
}

type gbtree struct {
	Param struct {
		NumTrees       string `json:"num_trees"`
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"gbtree_model_param"`
	TreeInfo []int64 `json:"tree_info"`
	Trees    []xtree `json:"trees"`
}

type xtree struct {
	Param struct {
		NumNodes       string `json:"num_nodes"`
		SizeLeafVector string `json:"size_leaf_vector"`
	} `json:"tree_param"`
	Left            []int64    `json:"left_children"`
	Right           []int64    `json:"right_children"`
	SplitIndices    []int64    `json:"split_indices"`
	SplitConditions []float64  `json:"split_conditions"`
	DefaultLeft     []flexBool `json:"default_left"`
	SplitType       []int64    `json:"split_type"`
	CategoriesNodes []int64    `json:"categories_nodes"`
	SumHessian      []float64  `json:"sum_hessian"`
}

// flexBool reads a default_left entry: 0/1 (XGBoost 1.x and later) or
// true/false.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "1", "true":
		*f = true
	case "0", "false":
		*f = false
	default:
		return fmt.Errorf("default_left entry %s is not 0, 1, true or false", b)
	}
	return nil
}

// decode parses the document, turning JSON errors into *Error with a line
// and column, and NaN or Infinity literals (which XGBoost's and Python's
// writers emit, and JSON lacks) into ErrNonFinite.
func decode(b []byte, doc *document) error {
	if isUBJSON(b) {
		return errAt("", ErrUnsupported, "binary UBJSON model: save it as .json (Booster.save_model(\"model.json\"))")
	}
	err := json.Unmarshal(b, doc)
	if err == nil {
		return nil
	}
	off := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(b)) {
		return &Error{Err: ErrSyntax, Detail: err.Error()}
	}
	line, col := position(b, off)
	if se != nil && off > 0 {
		rest := strings.ToLower(string(b[off-1 : min(int64(len(b)), off+8)]))
		for _, lit := range []string{"nan", "inf"} {
			if strings.HasPrefix(rest, lit) {
				return &Error{Err: ErrNonFinite, Detail: fmt.Sprintf("line %d, column %d: %s", line, col, b[off-1:min(int64(len(b)), off+8)])}
			}
		}
	}
	return &Error{Err: ErrSyntax, Detail: fmt.Sprintf("line %d, column %d: %v", line, col, err)}
}

// position is the 1-based line and column of byte offset off.
func position(b []byte, off int64) (line, col int) {
	line, col = 1, 1
	for _, c := range b[:min(off, int64(len(b)))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// isUBJSON reports whether b starts like a UBJSON object: '{' then a
// type marker, where JSON has space, '"' or '}'.
func isUBJSON(b []byte) bool {
	return len(b) > 1 && b[0] == '{' && strings.IndexByte("iUIlLdD$#", b[1]) >= 0
}

const (
	pLearner = "learner"
	pParam   = "learner.learner_model_param"
	pBooster = "learner.gradient_booster"
	pModel   = "learner.gradient_booster.model"
)

func convert(doc *document, opt Options) (*model.Model, error) {
	l := doc.Learner
	switch {
	case l == nil:
		return nil, errAt(pLearner, ErrSyntax, "missing: not an XGBoost JSON model")
	case l.Param == nil:
		return nil, errAt(pParam, ErrSyntax, "missing")
	case l.Objective == nil:
		return nil, errAt(pLearner+".objective", ErrSyntax, "missing")
	case l.Booster == nil:
		return nil, errAt(pBooster, ErrSyntax, "missing")
	}
	bst := l.Booster
	g, gpath := bst.Model, pModel
	var weights []float64 // dart's, nil for gbtree
	switch bst.Name {
	case "gbtree":
	case "dart":
		g, gpath = nil, pBooster+".gbtree.model"
		if bst.Gbtree != nil {
			g = bst.Gbtree.Model
		}
		weights = bst.WeightDrop
		if weights == nil {
			weights = []float64{}
		}
	default:
		return nil, errAt(pBooster+".name", ErrUnsupported, "booster %q (only gbtree and dart)", bst.Name)
	}
	if g == nil {
		return nil, errAt(gpath, ErrSyntax, "missing")
	}
	obj := l.Objective.Name
	var logistic bool
	switch obj {
	case "multi:softprob", "multi:softmax":
	case "binary:logistic":
		logistic = true
	default:
		return nil, errAt(pLearner+".objective.name", ErrUnsupported, "objective %q (only multi:softprob, multi:softmax, binary:logistic)", obj)
	}
	p := l.Param
	nf, err := count(pParam+".num_feature", p.NumFeature, 1)
	if err != nil {
		return nil, err
	}
	if nf > model.DefaultLimits.Features {
		return nil, errAt(pParam+".num_feature", ErrUnsupported, "%d features, limit %d", nf, model.DefaultLimits.Features)
	}
	if p.NumTarget != "" {
		nt, err := count(pParam+".num_target", p.NumTarget, 0)
		if err != nil {
			return nil, err
		}
		if nt > 1 {
			return nil, errAt(pParam+".num_target", ErrUnsupported, "%d targets (multi-output)", nt)
		}
	}
	ncs := p.NumClass
	if ncs == "" {
		ncs = "0"
	}
	nc, err := count(pParam+".num_class", ncs, 0)
	if err != nil {
		return nil, err
	}
	k, outputs := nc, nc
	if logistic {
		if nc > 1 {
			return nil, errAt(pParam+".num_class", ErrShape, "binary:logistic with %d classes", nc)
		}
		k, outputs = 2, 1
	} else if nc < 2 || nc > model.DefaultLimits.Classes {
		return nil, errAt(pParam+".num_class", ErrRange, "%s with %d classes (2 to %d)", obj, nc, model.DefaultLimits.Classes)
	}
	base, err := baseScore(p.BaseScore, outputs, logistic)
	if err != nil {
		return nil, err
	}

	names, err := featureNames(opt.FeatureNames, l.FeatureNames, nf)
	if err != nil {
		return nil, err
	}
	classes, benign, err := classNames(opt, k)
	if err != nil {
		return nil, err
	}

	if g.Param.SizeLeafVector != "" && g.Param.SizeLeafVector != "0" {
		return nil, errAt(gpath+".gbtree_model_param.size_leaf_vector", ErrUnsupported, "vector leaves (%s)", g.Param.SizeLeafVector)
	}
	if g.Param.NumTrees != "" {
		nt, err := count(pModel+".gbtree_model_param.num_trees", g.Param.NumTrees, 0)
		if err != nil {
			return nil, err
		}
		if nt != len(g.Trees) {
			return nil, errAt(gpath+".trees", ErrShape, "%d trees, num_trees says %d", len(g.Trees), nt)
		}
	}
	if len(g.TreeInfo) != len(g.Trees) {
		return nil, errAt(gpath+".tree_info", ErrShape, "%d entries for %d trees", len(g.TreeInfo), len(g.Trees))
	}
	if weights != nil && len(weights) != len(g.Trees) {
		return nil, errAt(pBooster+".weight_drop", ErrShape, "%d weights for %d trees", len(weights), len(g.Trees))
	}
	trees := make([]model.Tree, len(g.Trees))
	for t := range g.Trees {
		out := g.TreeInfo[t]
		if out < 0 || out >= int64(outputs) {
			return nil, errAt(fmt.Sprintf("%s.tree_info[%d]", gpath, t), ErrRange, "class %d of %d outputs", out, outputs)
		}
		tr := &trees[t]
		if err := convertTree(&g.Trees[t], fmt.Sprintf("%s.trees[%d]", gpath, t), nf, int32(out), tr); err != nil {
			return nil, err
		}
		if weights != nil {
			// Dart scales each tree's output by its weight at prediction
			// time, in float32; scaling the leaves once is the same
			// product.
			w := float32(weights[t])
			if !finite32(w) {
				return nil, errAt(fmt.Sprintf("%s.weight_drop[%d]", pBooster, t), ErrNonFinite, "%v", weights[t])
			}
			for i, f := range tr.Feature {
				if f < 0 {
					tr.Value[i] *= w
					if !finite32(tr.Value[i]) {
						return nil, errAt(fmt.Sprintf("%s.weight_drop[%d]", pBooster, t), ErrNonFinite, "weight %v makes a leaf overflow", w)
					}
				}
			}
		}
	}

	feats := make([]model.Feature, nf)
	for i, n := range names {
		feats[i] = model.Feature{Name: n, Kind: model.Numeric}
	}
	ens := model.Ensemble{Objective: model.Softmax, Outputs: outputs, BaseScore: base, Trees: trees}
	if logistic {
		ens.Objective = model.Logistic
	}
	created := opt.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	m := &model.Model{
		Format:    model.FormatVersion,
		Schema:    model.Schema{Features: feats},
		Classes:   classes,
		Benign:    benign,
		Ensemble:  ens,
		Reference: []model.Histogram{},
		Meta: model.Metadata{
			Name:           opt.Name,
			TrainerVersion: "xgboost " + version(doc.Version),
			Created:        created,
			Params: map[string]string{
				"objective":  obj,
				"num_class":  ncs,
				"base_score": p.BaseScore,
				"booster":    bst.Name,
			},
		},
	}
	if err := model.Validate(m); err != nil {
		return nil, &Error{Err: fmt.Errorf("%w: %w", ErrModel, err)}
	}
	return m, nil
}

// count parses a non-negative integer parameter of at least lo.
func count(path, s string, lo int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < lo {
		return 0, errAt(path, ErrSyntax, "%q is not an integer >= %d", s, lo)
	}
	return n, nil
}

// baseScore reads learner_model_param.base_score: one number ("5E-1"), or
// a bracketed list of one or per-output numbers (later XGBoost versions),
// as the raw starting score of each output. For binary:logistic it is a
// probability and the margin is XGBoost's ProbToMargin,
// -log(1/base_score - 1), computed like XGBoost in float32 steps.
func baseScore(s string, outputs int, logistic bool) ([]float32, error) {
	const path = pParam + ".base_score"
	if s == "" {
		s = "0.5" // XGBoost's default
	}
	parts := strings.Split(strings.Trim(strings.TrimSpace(s), "[]"), ",")
	if len(parts) != 1 && len(parts) != outputs {
		return nil, errAt(path, ErrShape, "%d values for %d outputs", len(parts), outputs)
	}
	out := make([]float32, outputs)
	for j := range out {
		ps := parts[0]
		if len(parts) > 1 {
			ps = parts[j]
		}
		v, err := strconv.ParseFloat(strings.TrimSpace(ps), 32)
		if err != nil && !errors.Is(err, strconv.ErrRange) {
			return nil, errAt(path, ErrSyntax, "%q is not a number", s)
		}
		f := float32(v)
		if !finite32(f) {
			return nil, errAt(path, ErrNonFinite, "%q", s)
		}
		if logistic {
			if !(f > 0 && f < 1) {
				return nil, errAt(path, ErrRange, "binary:logistic base_score %v is not a probability in (0, 1)", f)
			}
			f = float32(-math.Log(float64(float32(1)/f - 1)))
		}
		out[j] = f
	}
	return out, nil
}

func finite32(f float32) bool { return !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) }

func featureNames(override, saved []string, nf int) ([]string, error) {
	switch {
	case override != nil:
		if len(override) != nf {
			return nil, errAt("options.feature_names", ErrOption, "%d names for %d features", len(override), nf)
		}
		return override, nil
	case len(saved) != 0:
		if len(saved) != nf {
			return nil, errAt(pLearner+".feature_names", ErrShape, "%d names for %d features", len(saved), nf)
		}
		return saved, nil
	}
	names := make([]string, nf)
	for i := range names {
		names[i] = "f" + strconv.Itoa(i)
	}
	return names, nil
}

func classNames(opt Options, k int) ([]string, []int, error) {
	classes := opt.Classes
	if classes == nil {
		classes = make([]string, k)
		for i := range classes {
			classes[i] = strconv.Itoa(i)
		}
	} else if len(classes) != k {
		return nil, nil, errAt("options.classes", ErrOption, "%d names for %d classes", len(classes), k)
	}
	index := make(map[string]int, k)
	for i, c := range classes {
		if _, dup := index[c]; dup || c == "" {
			return nil, nil, errAt("options.classes", ErrOption, "empty or duplicate class name %q", c)
		}
		index[c] = i
	}
	var benign []int
	if opt.Benign == nil {
		for i, c := range classes {
			if strings.EqualFold(c, "normal") || strings.EqualFold(c, "benign") {
				benign = append(benign, i)
			}
		}
		if benign == nil {
			benign = []int{0}
		}
		return classes, benign, nil
	}
	benign = []int{}
	seen := make(map[int]bool, len(opt.Benign))
	for _, b := range opt.Benign {
		i, ok := index[b]
		if !ok {
			return nil, nil, errAt("options.benign", ErrOption, "no class named %q (classes: %s)", b, strings.Join(classes, ", "))
		}
		if !seen[i] {
			seen[i] = true
			benign = append(benign, i)
		}
	}
	return classes, benign, nil
}

func version(v []int) string {
	if len(v) == 0 {
		return "(version not recorded)"
	}
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ".")
}

// convertTree checks one XGBoost tree and writes it, renumbered in
// breadth-first order from the root, into dst. Renumbering drops the
// nodes XGBoost keeps in its arrays after pruning (num_deleted), which no
// link reaches.
func convertTree(x *xtree, p string, nf int, output int32, dst *model.Tree) error {
	n := len(x.Left)
	if n == 0 {
		return errAt(p+".left_children", ErrShape, "tree has no nodes")
	}
	if x.Param.NumNodes != "" {
		nn, err := count(p+".tree_param.num_nodes", x.Param.NumNodes, 1)
		if err != nil {
			return err
		}
		if nn != n {
			return errAt(p+".left_children", ErrShape, "%d entries, num_nodes says %d", n, nn)
		}
	}
	if x.Param.SizeLeafVector != "" && x.Param.SizeLeafVector != "0" {
		return errAt(p+".tree_param.size_leaf_vector", ErrUnsupported, "vector leaves (%s)", x.Param.SizeLeafVector)
	}
	for _, c := range []struct {
		name string
		got  int
	}{
		{"right_children", len(x.Right)},
		{"split_indices", len(x.SplitIndices)},
		{"split_conditions", len(x.SplitConditions)},
		{"default_left", len(x.DefaultLeft)},
	} {
		if c.got != n {
			return errAt(p+"."+c.name, ErrShape, "%d entries for %d nodes", c.got, n)
		}
	}
	if x.SumHessian != nil && len(x.SumHessian) != n {
		return errAt(p+".sum_hessian", ErrShape, "%d entries for %d nodes", len(x.SumHessian), n)
	}
	if x.SplitType != nil && len(x.SplitType) != n {
		return errAt(p+".split_type", ErrShape, "%d entries for %d nodes", len(x.SplitType), n)
	}
	if len(x.CategoriesNodes) != 0 {
		return errAt(p+".categories_nodes", ErrUnsupported, "categorical splits at %d nodes", len(x.CategoriesNodes))
	}
	at := func(field string, i int) string { return fmt.Sprintf("%s.%s[%d]", p, field, i) }

	// Breadth-first from the root: newID[old] is the node's index in dst.
	newID := make([]int32, n)
	for i := range newID {
		newID[i] = -1
	}
	order := []int{0}
	newID[0] = 0
	for q := 0; q < len(order); q++ {
		i := order[q]
		l, r := x.Left[i], x.Right[i]
		if l == -1 {
			if r != -1 {
				return errAt(at("right_children", i), ErrRange, "leaf (left child -1) with right child %d", r)
			}
			continue
		}
		for _, c := range []struct {
			name string
			v    int64
		}{{"left_children", l}, {"right_children", r}} {
			if c.v < 0 || c.v >= int64(n) {
				return errAt(at(c.name, i), ErrRange, "child %d of %d nodes", c.v, n)
			}
			if newID[c.v] >= 0 {
				return errAt(at(c.name, i), ErrRange, "node %d is reached twice: links do not form a tree", c.v)
			}
			newID[c.v] = int32(len(order))
			order = append(order, int(c.v))
		}
	}

	m := len(order)
	t := model.Tree{
		Output:      output,
		Feature:     make([]int32, m),
		Threshold:   make([]float32, m),
		Op:          make([]model.Op, m),
		DefaultLeft: make([]bool, m),
		Left:        make([]int32, m),
		Right:       make([]int32, m),
		Value:       make([]float32, m),
	}
	if x.SumHessian != nil {
		t.Cover = make([]float64, m)
	}
	for j, i := range order {
		if x.SumHessian != nil {
			// the node cover TreeSHAP weighs children by (pred_contribs
			// reads the same array)
			c := x.SumHessian[i]
			if !(c >= 0) || math.IsInf(c, 0) {
				return errAt(at("sum_hessian", i), ErrRange, "cover %v is not a finite non-negative number", c)
			}
			t.Cover[j] = c
		}
		v := float32(x.SplitConditions[i])
		if !finite32(v) {
			return errAt(at("split_conditions", i), ErrNonFinite, "%v (float32 %v)", x.SplitConditions[i], v)
		}
		t.Op[j] = model.Less // XGBoost: x < split_condition goes left
		if x.Left[i] == -1 {
			t.Feature[j], t.Left[j], t.Right[j] = -1, -1, -1
			t.Value[j] = v // a leaf's split_condition is its value
			continue
		}
		if x.SplitType != nil && x.SplitType[i] != 0 {
			return errAt(at("split_type", i), ErrUnsupported, "categorical split (type %d)", x.SplitType[i])
		}
		f := x.SplitIndices[i]
		if f < 0 || f >= int64(nf) {
			return errAt(at("split_indices", i), ErrRange, "feature %d of %d", f, nf)
		}
		t.Feature[j] = int32(f)
		t.Threshold[j] = v
		t.DefaultLeft[j] = bool(x.DefaultLeft[i])
		t.Left[j] = newID[x.Left[i]]
		t.Right[j] = newID[x.Right[i]]
	}
	*dst = t
	return nil
}
