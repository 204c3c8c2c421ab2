package model

import (
	"fmt"
	"math"
)

// Validate checks every rule of the format: version, names, kinds, sizes,
// index ranges, that every tree is a tree (no cycles, no shared or
// unreachable nodes), that no threshold or value is NaN or infinite, and
// the outlier detector's and histograms' shapes. Decode calls it; a model
// that passes can be predicted without further checks.
func Validate(m *Model) error { return ValidateLimits(m, DefaultLimits) }

// ValidateLimits is Validate with explicit limits.
func ValidateLimits(m *Model, lim Limits) error {
	if m.Format < 1 || m.Format > FormatVersion {
		return errAt("format", ErrVersion, "file has format %d, this flowsense reads 1 to %d", m.Format, FormatVersion)
	}
	if err := validateSchema(&m.Schema, lim); err != nil {
		return err
	}
	if err := validateClasses(m, lim); err != nil {
		return err
	}
	if err := validateEnsemble(m, lim); err != nil {
		return err
	}
	if m.Outlier != nil {
		if err := validateOutlier(m.Outlier, &m.Schema); err != nil {
			return err
		}
	}
	return validateReference(m)
}

func validateSchema(s *Schema, lim Limits) error {
	n := len(s.Features)
	if n == 0 {
		return errAt("schema.features", ErrInvalid, "no features")
	}
	if n > lim.Features {
		return errAt("schema.features", ErrTooLarge, "%d features, limit %d", n, lim.Features)
	}
	seen := make(map[string]bool, n)
	for i := range s.Features {
		f := &s.Features[i]
		p := fmt.Sprintf("schema.features[%d]", i)
		if f.Name == "" {
			return errAt(p+".name", ErrInvalid, "empty feature name")
		}
		if seen[f.Name] {
			return errAt(p+".name", ErrInvalid, "duplicate feature name %q", f.Name)
		}
		seen[f.Name] = true
		switch f.Kind {
		case Numeric:
			if len(f.Categories) != 0 {
				return errAt(p+".categories", ErrInvalid, "numeric feature %q has categories", f.Name)
			}
		case Categorical:
			if len(f.Categories) == 0 {
				return errAt(p+".categories", ErrInvalid, "categorical feature %q has no categories", f.Name)
			}
			if len(f.Categories) > lim.Categories {
				return errAt(p+".categories", ErrTooLarge, "%d categories, limit %d", len(f.Categories), lim.Categories)
			}
			cs := make(map[string]bool, len(f.Categories))
			for j, c := range f.Categories {
				if cs[c] {
					return errAt(fmt.Sprintf("%s.categories[%d]", p, j), ErrInvalid, "duplicate category %q", c)
				}
				cs[c] = true
			}
		default:
			return errAt(p+".kind", ErrInvalid, "unknown kind %d", f.Kind)
		}
		if f.Unknown > UnknownError {
			return errAt(p+".unknown", ErrInvalid, "unknown policy %d", f.Unknown)
		}
	}
	return nil
}

func validateClasses(m *Model, lim Limits) error {
	k := len(m.Classes)
	if k < 2 {
		return errAt("classes", ErrInvalid, "%d classes, need at least 2", k)
	}
	if k > lim.Classes {
		return errAt("classes", ErrTooLarge, "%d classes, limit %d", k, lim.Classes)
	}
	seen := make(map[string]bool, k)
	for i, c := range m.Classes {
		if c == "" || seen[c] {
			return errAt(fmt.Sprintf("classes[%d]", i), ErrInvalid, "empty or duplicate class name %q", c)
		}
		seen[c] = true
	}
	bs := make(map[int]bool, len(m.Benign))
	for i, b := range m.Benign {
		if b < 0 || b >= k {
			return errAt(fmt.Sprintf("benign[%d]", i), ErrRange, "class %d of %d", b, k)
		}
		if bs[b] {
			return errAt(fmt.Sprintf("benign[%d]", i), ErrInvalid, "class %d listed twice", b)
		}
		bs[b] = true
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func validateEnsemble(m *Model, lim Limits) error {
	e := &m.Ensemble
	k := len(m.Classes)
	switch e.Objective {
	case Softmax:
		if e.Outputs != k {
			return errAt("ensemble.outputs", ErrShape, "softmax needs one output per class: %d outputs, %d classes", e.Outputs, k)
		}
	case Logistic:
		if k != 2 || e.Outputs != 1 {
			return errAt("ensemble.outputs", ErrShape, "logistic needs 2 classes and 1 output: %d classes, %d outputs", k, e.Outputs)
		}
	default:
		return errAt("ensemble.objective", ErrInvalid, "unknown objective %d", e.Objective)
	}
	if len(e.BaseScore) != e.Outputs {
		return errAt("ensemble.base_score", ErrShape, "%d values for %d outputs", len(e.BaseScore), e.Outputs)
	}
	for i, v := range e.BaseScore {
		if !finite(float64(v)) {
			return errAt(fmt.Sprintf("ensemble.base_score[%d]", i), ErrNonFinite, "%v", v)
		}
	}
	if len(e.Trees) > lim.Trees {
		return errAt("ensemble.trees", ErrTooLarge, "%d trees, limit %d", len(e.Trees), lim.Trees)
	}
	nodes := 0
	for t := range e.Trees {
		nodes += e.Trees[t].Len()
		if nodes > lim.Nodes {
			return errAt("ensemble.trees", ErrTooLarge, "more than %d nodes", lim.Nodes)
		}
		if err := validateTree(&e.Trees[t], fmt.Sprintf("ensemble.trees[%d]", t), e.Outputs, &m.Schema); err != nil {
			return err
		}
	}
	return nil
}

func validateTree(t *Tree, p string, outputs int, s *Schema) error {
	n := t.Len()
	if n == 0 {
		return errAt(p+".feature", ErrShape, "tree has no nodes")
	}
	if t.Output < -1 || int(t.Output) >= outputs {
		return errAt(p+".output", ErrRange, "output %d of %d", t.Output, outputs)
	}
	w := t.Width(outputs)
	for _, c := range []struct {
		name string
		got  int
		want int
	}{
		{"threshold", len(t.Threshold), n},
		{"op", len(t.Op), n},
		{"default_left", len(t.DefaultLeft), n},
		{"left", len(t.Left), n},
		{"right", len(t.Right), n},
		{"value", len(t.Value), n * w},
	} {
		if c.got != c.want {
			return errAt(p+"."+c.name, ErrShape, "%d entries, want %d for %d nodes", c.got, c.want, n)
		}
	}
	if len(t.Cover) != 0 {
		if len(t.Cover) != n {
			return errAt(p+".cover", ErrShape, "%d entries, want %d for %d nodes", len(t.Cover), n, n)
		}
		for i, c := range t.Cover {
			if !finite(c) {
				return errAt(fmt.Sprintf("%s.cover[%d]", p, i), ErrNonFinite, "%v", c)
			}
			if c < 0 {
				return errAt(fmt.Sprintf("%s.cover[%d]", p, i), ErrInvalid, "negative cover %v", c)
			}
		}
	}
	hasSets := len(t.CatBegin) != 0 || len(t.CatBits) != 0
	if hasSets && len(t.CatBegin) != n {
		return errAt(p+".cat_begin", ErrShape, "%d entries, want %d", len(t.CatBegin), n)
	}
	nf := int32(len(s.Features))
	for i := 0; i < n; i++ {
		f := t.Feature[i]
		at := func(field string) string { return fmt.Sprintf("%s.%s[%d]", p, field, i) }
		if f < 0 {
			if f != -1 {
				return errAt(at("feature"), ErrRange, "feature %d (leaves are -1)", f)
			}
			if t.Left[i] != -1 || t.Right[i] != -1 {
				return errAt(at("left"), ErrShape, "leaf with children")
			}
			for j, v := range t.Value[i*w : i*w+w] {
				if !finite(float64(v)) {
					return errAt(fmt.Sprintf("%s.value[%d]", p, i*w+j), ErrNonFinite, "%v", v)
				}
			}
			if hasSets && t.CatBegin[i] != -1 {
				return errAt(at("cat_begin"), ErrShape, "leaf with a category set")
			}
			continue
		}
		if f >= nf {
			return errAt(at("feature"), ErrRange, "feature %d of %d", f, nf)
		}
		for _, c := range []int32{t.Left[i], t.Right[i]} {
			if c <= 0 || int(c) >= n {
				return errAt(at("left"), ErrRange, "child %d of %d nodes", c, n)
			}
		}
		feat := &s.Features[f]
		switch t.Op[i] {
		case Less, LessEqual:
			if feat.Kind != Numeric {
				return errAt(at("op"), ErrInvalid, "%q compares categorical feature %q", t.Op[i], feat.Name)
			}
			if !finite(float64(t.Threshold[i])) {
				return errAt(at("threshold"), ErrNonFinite, "%v", t.Threshold[i])
			}
			if hasSets && t.CatBegin[i] != -1 {
				return errAt(at("cat_begin"), ErrShape, "numeric split with a category set")
			}
		case InSet:
			if feat.Kind != Categorical {
				return errAt(at("op"), ErrInvalid, "category set on numeric feature %q", feat.Name)
			}
			if !hasSets {
				return errAt(p+".cat_begin", ErrShape, "category split but no category sets")
			}
			b := t.CatBegin[i]
			if b < 0 || int(b) >= len(t.CatBits) {
				return errAt(at("cat_begin"), ErrRange, "offset %d of %d words", b, len(t.CatBits))
			}
			cnt := t.CatBits[b]
			if int(cnt) != len(feat.Categories) {
				return errAt(at("cat_begin"), ErrShape, "set covers %d categories, feature %q has %d", cnt, feat.Name, len(feat.Categories))
			}
			if int(b)+1+int(cnt+31)/32 > len(t.CatBits) {
				return errAt(at("cat_begin"), ErrRange, "set of %d categories runs past cat_bits", cnt)
			}
		default:
			return errAt(at("op"), ErrInvalid, "unknown comparison %d", t.Op[i])
		}
	}
	// Every node but the root has exactly one parent, and every node is
	// reached from the root: the links form a tree. Walking from the root
	// with a visited set finds cycles and shared nodes (a second visit)
	// and unreachable nodes (never visited).
	seen := make([]bool, n)
	stack := []int32{0}
	seen[0] = true
	visited := 1
	for len(stack) > 0 {
		i := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t.Feature[i] < 0 {
			continue
		}
		for _, c := range []int32{t.Left[i], t.Right[i]} {
			if seen[c] {
				return errAt(fmt.Sprintf("%s.left[%d]", p, i), ErrCycle, "node %d is reached twice", c)
			}
			seen[c] = true
			visited++
			stack = append(stack, c)
		}
	}
	if visited != n {
		return errAt(p, ErrCycle, "%d of %d nodes unreachable from the root", n-visited, n)
	}
	return nil
}

func validateOutlier(o *Outlier, s *Schema) error {
	d := len(o.Features)
	if d == 0 {
		return errAt("outlier.features", ErrInvalid, "no features")
	}
	if d > len(s.Features) {
		return errAt("outlier.features", ErrShape, "%d features, schema has %d", d, len(s.Features))
	}
	for i, f := range o.Features {
		if f < 0 || int(f) >= len(s.Features) {
			return errAt(fmt.Sprintf("outlier.features[%d]", i), ErrRange, "feature %d of %d", f, len(s.Features))
		}
		if s.Features[f].Kind != Numeric {
			return errAt(fmt.Sprintf("outlier.features[%d]", i), ErrInvalid, "feature %q is not numeric", s.Features[f].Name)
		}
	}
	k := o.Components
	if k < 1 || k > d {
		return errAt("outlier.components", ErrRange, "%d components for %d features", k, d)
	}
	if !finite(o.Threshold) {
		return errAt("outlier.threshold", ErrNonFinite, "%v", o.Threshold)
	}
	vecs := []struct {
		name string
		v    []float64
		want int
	}{
		{"mean", o.Mean, d}, {"scale", o.Scale, d}, {"projection", o.Projection, d * k}, {"inv_cov", o.InvCov, k * k},
	}
	if o.Clip != nil {
		vecs = append(vecs, struct {
			name string
			v    []float64
			want int
		}{"clip.low", o.Clip.Low, d}, struct {
			name string
			v    []float64
			want int
		}{"clip.high", o.Clip.High, d})
	}
	if o.Online != nil {
		vecs = append(vecs, struct {
			name string
			v    []float64
			want int
		}{"online.cov", o.Online.Cov, d * d})
	}
	for _, v := range vecs {
		if len(v.v) != v.want {
			return errAt("outlier."+v.name, ErrShape, "%d values, want %d", len(v.v), v.want)
		}
		for i, x := range v.v {
			if !finite(x) {
				return errAt(fmt.Sprintf("outlier.%s[%d]", v.name, i), ErrNonFinite, "%v", x)
			}
		}
	}
	if o.Log1p != nil && len(o.Log1p) != d {
		return errAt("outlier.log1p", ErrShape, "%d flags, want %d", len(o.Log1p), d)
	}
	for i, x := range o.Scale {
		if x <= 0 {
			return errAt(fmt.Sprintf("outlier.scale[%d]", i), ErrInvalid, "scale %v is not positive", x)
		}
	}
	if o.Clip != nil {
		for i := range o.Clip.Low {
			if o.Clip.Low[i] > o.Clip.High[i] {
				return errAt(fmt.Sprintf("outlier.clip.low[%d]", i), ErrInvalid, "low %v above high %v", o.Clip.Low[i], o.Clip.High[i])
			}
		}
	}
	if st := o.Online; st != nil {
		if !finite(st.NStdev) || st.NStdev < 0 || st.StartClip < 0 || st.Seen < 0 {
			return errAt("outlier.online", ErrInvalid, "negative or non-finite parameter")
		}
	}
	return nil
}

func validateReference(m *Model) error {
	if len(m.Reference) == 0 {
		return nil // imported models carry no training histograms
	}
	if len(m.Reference) != len(m.Schema.Features) {
		return errAt("reference", ErrShape, "%d histograms for %d features", len(m.Reference), len(m.Schema.Features))
	}
	for i := range m.Reference {
		h := &m.Reference[i]
		f := &m.Schema.Features[i]
		p := fmt.Sprintf("reference[%d]", i)
		want := len(h.Edges) + 1
		if f.Kind == Categorical {
			if len(h.Edges) != 0 {
				return errAt(p+".edges", ErrShape, "categorical feature %q has edges", f.Name)
			}
			want = len(f.Categories) + 1
		}
		if len(h.Counts) != want {
			return errAt(p+".counts", ErrShape, "%d bins, want %d", len(h.Counts), want)
		}
		for j, e := range h.Edges {
			if !finite(e) {
				return errAt(fmt.Sprintf("%s.edges[%d]", p, j), ErrNonFinite, "%v", e)
			}
			if j > 0 && !(e > h.Edges[j-1]) {
				return errAt(fmt.Sprintf("%s.edges[%d]", p, j), ErrInvalid, "edges not ascending")
			}
		}
		for j, c := range h.Counts {
			if c < 0 {
				return errAt(fmt.Sprintf("%s.counts[%d]", p, j), ErrInvalid, "negative count")
			}
		}
		if h.Missing < 0 {
			return errAt(p+".missing", ErrInvalid, "negative count")
		}
	}
	return nil
}
