package report

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// SHAP is the model's TreeSHAP explanation of the test rows, for the
// importance and dependence charts (issue 15). The report computes
// nothing: the trainer explains the rows and fills it in.
type SHAP struct {
	// Rows is the number of test rows the means are over; Of is the
	// number of test rows they were drawn from (evenly spaced) when not
	// all were explained.
	Rows, Of int
	// Outputs name the raw scores explained, one per column of
	// Features[i].MeanAbs: the classes of a softmax model, or the single
	// log-odds of a logistic one.
	Outputs []string
	// Features are every feature's mean absolute contribution to each
	// output, in any order. A feature's overall importance is the sum
	// over the outputs (the stacked bar of shap's summary plot).
	Features []SHAPFeature
	// Dependence holds, for the features to plot (most important
	// first), the sampled rows' values and contributions.
	Dependence []Dependence
}

// SHAPFeature is one feature's mean absolute TreeSHAP value per output.
type SHAPFeature struct {
	Name    string
	MeanAbs []float64
}

// Overall is the feature's importance over all outputs.
func (f SHAPFeature) Overall() float64 {
	var s float64
	for _, v := range f.MeanAbs {
		if plottable(v) {
			s += v
		}
	}
	return s
}

// Dependence is one feature's dependence plot: for each sampled row its
// value and its contribution to the margin of the class the row was
// predicted as, coloured by that class.
type Dependence struct {
	Feature string
	// Categories, for a categorical feature, name the codes of Value
	// (drawn as labelled, slightly jittered columns).
	Categories []string
	// Value, Contribution and Class have one element per row. Class
	// indexes Metrics.Classes. Rows whose value is missing (NaN) or
	// infinite are counted, not drawn.
	Value        []float64
	Contribution []float64
	Class        []int
}

// TopCompared is the number of features in the table that sets the
// ranks by mean |SHAP| next to the ranks by gain.
const TopCompared = 15

// TopDependence is the most dependence plots the report draws.
const TopDependence = 6

func checkSHAP(in Input) error {
	s := in.SHAP
	if s == nil {
		return nil
	}
	bad := func(field, format string, args ...any) error {
		return &InputError{Field: field, Detail: fmt.Sprintf(format, args...), Err: ErrShape}
	}
	for i, f := range s.Features {
		if len(f.MeanAbs) != len(s.Outputs) {
			return bad(fmt.Sprintf("SHAP.Features[%d].MeanAbs", i), "%d values for %d outputs", len(f.MeanAbs), len(s.Outputs))
		}
	}
	for i, d := range s.Dependence {
		if len(d.Contribution) != len(d.Value) || len(d.Class) != len(d.Value) {
			return bad(fmt.Sprintf("SHAP.Dependence[%d]", i), "%d values, %d contributions, %d classes", len(d.Value), len(d.Contribution), len(d.Class))
		}
		for k, c := range d.Class {
			if c < 0 || c >= len(in.Metrics.Classes) {
				return bad(fmt.Sprintf("SHAP.Dependence[%d].Class", i), "row %d has class %d of %d", k, c, len(in.Metrics.Classes))
			}
		}
	}
	return nil
}

// topSHAP returns the n features of largest overall importance, largest
// first, ties by name.
func topSHAP(fs []SHAPFeature, n int) []SHAPFeature {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b SHAPFeature) int {
		if c := cmp.Compare(b.Overall(), a.Overall()); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out[:min(n, len(out))]
}

// shapChart draws the top features by mean |SHAP| as horizontal bars,
// one segment per output, labelled with the overall value.
func shapChart(s *SHAP) (string, int, bool) {
	top := topSHAP(s.Features, TopFeatures)
	if len(top) == 0 || !(top[0].Overall() > 0) {
		return "", 0, false
	}
	const maxName, rowH, barW = 40, 20.0, 420.0
	labelW := 0.0
	for _, f := range top {
		labelW = math.Max(labelW, textWidth(truncate(f.Name, maxName), 12))
	}
	left := math.Min(labelW, 300) + 16
	legendH := 0.0
	if len(s.Outputs) > 1 {
		legendH = 12 + 16*float64(len(s.Outputs))
	}
	h := 10 + rowH*float64(len(top)) + 10 + legendH
	c := newChart("shap-importance", "Feature importance by mean absolute TreeSHAP value", left+barW+90, h, left, 90, 10, 10+legendH)
	maxV := top[0].Overall()
	for i, f := range top {
		y := 10 + rowH*float64(i)
		fmt.Fprintf(&c.b, `<g><title>%s: mean |SHAP| %s</title>`, esc(f.Name), esc(fshort(f.Overall())))
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="end" fill="#222222">%s</text>`, f1(left-8), f1(y+14), esc(truncate(f.Name, maxName)))
		x := left
		for j, v := range f.MeanAbs {
			if !plottable(v) || v <= 0 {
				continue
			}
			w := v / maxV * barW
			color, _ := seriesStyle(j)
			fmt.Fprintf(&c.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"><title>%s, %s: %s</title></rect>`,
				f1(x), f1(y+3), f1(w), f1(rowH-6), color, esc(f.Name), esc(s.Outputs[j]), esc(fshort(v)))
			x += w
		}
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" fill="#444444" font-size="11">%s</text></g>`, f1(x+6), f1(y+14), esc(fshort(f.Overall())))
	}
	if len(s.Outputs) > 1 {
		entries := make([]legendEntry, len(s.Outputs))
		for j, o := range s.Outputs {
			color, _ := seriesStyle(j)
			entries[j] = legendEntry{label: o, color: color, swatch: "box"}
		}
		c.legend(left, c.bottom+22, entries, 40)
	}
	return c.end(), len(top), true
}

// comparisonTable lists the top features by mean |SHAP| with their rank
// and share by both measures.
func comparisonTable(b *strings.Builder, s *SHAP, imp []Importance) {
	top := topSHAP(s.Features, TopCompared)
	var shapTotal, gainTotal float64
	for _, f := range s.Features {
		shapTotal += f.Overall()
	}
	gainRank := map[string]int{}
	gain := map[string]float64{}
	for i, f := range topImportance(imp, len(imp)) {
		gainRank[f.Name] = i + 1
		gain[f.Name] = f.Gain
		if f.Gain > 0 {
			gainTotal += f.Gain
		}
	}
	b.WriteString("<table id=\"importance-compare\">\n<tr><th>SHAP rank</th><th class=\"name\">Feature</th><th>Mean |SHAP|</th><th>Share</th><th>Gain rank</th><th>Gain share</th></tr>\n")
	for i, f := range top {
		share := "n/a"
		if shapTotal > 0 {
			share = fmt.Sprintf("%.1f%%", 100*f.Overall()/shapTotal)
		}
		gr, gs := "–", "–"
		if r, ok := gainRank[f.Name]; ok {
			gr = fint(int64(r))
			if gainTotal > 0 {
				gs = fmt.Sprintf("%.1f%%", 100*math.Max(gain[f.Name], 0)/gainTotal)
			}
		}
		fmt.Fprintf(b, "<tr><td>%d</td><td class=\"name\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			i+1, esc(f.Name), esc(fshort(f.Overall())), share, gr, gs)
	}
	b.WriteString("</table>\n")
	missing(b, fmt.Sprintf("The %d most important features by mean |SHAP| with their rank and share by total gain (– where the gain is not given); the two disagree where splits that helped training move few test predictions, or the reverse", len(top)))
}

func shapSection(b *strings.Builder, in Input) {
	s := in.SHAP
	b.WriteString("<section id=\"sec-shap\">\n<h2>Contributions (TreeSHAP)</h2>\n")
	if s == nil {
		missing(b, "no TreeSHAP contributions given")
		b.WriteString("</section>\n")
		return
	}
	rows := fint(int64(s.Rows)) + " test rows"
	if s.Of > s.Rows {
		rows = fmt.Sprintf("%s of the %s test rows (evenly spaced)", fint(int64(s.Rows)), fint(int64(s.Of)))
	}
	if svg, n, ok := shapChart(s); ok {
		what := "the class margins: each segment is one class's raw score"
		if len(s.Outputs) == 1 {
			what = s.Outputs[0]
		}
		figure(b, "fig-shap-importance", svg, fmt.Sprintf("Mean absolute TreeSHAP contribution of the %d most important features of %d to %s, over %s. Unlike total gain, which counts how much the splits on a feature improved the training loss, this measures how far the feature moves the predictions of rows the model did not train on.", n, len(s.Features), what, rows))
		comparisonTable(b, s, in.Importance)
	} else {
		missing(b, "every TreeSHAP contribution is zero")
	}
	if len(s.Dependence) > 0 {
		b.WriteString("<h3>Dependence plots</h3>\n<div class=\"cols\">\n")
		for i, d := range s.Dependence[:min(len(s.Dependence), TopDependence)] {
			svg, note := dependenceChart(fmt.Sprintf("dependence-%d", i), d, in.Metrics.Classes)
			rows := fint(int64(len(d.Value)))
			figure(b, fmt.Sprintf("fig-dependence-%d", i), svg, strings.TrimSpace(fmt.Sprintf("%s: each dot is one of %s test rows; its value of the feature against the feature's contribution to the margin of the class it was predicted as, coloured by that class. %s", d.Feature, rows, note)))
		}
		b.WriteString("</div>\n")
	}
	b.WriteString("</section>\n")
}

// dependenceChart draws a feature's value against its contribution, one
// dot per row (a zero-length round-capped path segment: a dot costs a
// dozen bytes), one path per predicted class. Values spanning more than
// three decades (none negative) get a log(1+x) axis; a categorical
// feature's codes are columns with a deterministic jitter.
func dependenceChart(id string, d Dependence, classes []string) (string, string) {
	var xs, ys []float64
	var cls []int
	skipped := 0
	for k, v := range d.Value {
		if !plottable(v) || math.IsInf(v, 0) || !plottable(d.Contribution[k]) || math.IsInf(d.Contribution[k], 0) {
			skipped++
			continue
		}
		xs, ys, cls = append(xs, v), append(ys, d.Contribution[k]), append(cls, d.Class[k])
	}
	cat := len(d.Categories) > 0
	logX := false
	if len(xs) > 0 && !cat {
		lo, hi := slices.Min(xs), slices.Max(xs)
		pos := math.Inf(1)
		for _, x := range xs {
			if x > 0 {
				pos = math.Min(pos, x)
			}
		}
		logX = lo >= 0 && hi > 0 && hi/pos > 1000
	}
	tx := func(x float64) float64 {
		if logX {
			return math.Log10(1 + x)
		}
		return x
	}
	// classes present, in class order, for the legend
	present := map[int]int{}
	for _, c := range cls {
		present[c]++
	}
	var order []int
	for c := range present {
		order = append(order, c)
	}
	slices.Sort(order)
	legendW := 0.0
	for _, c := range order {
		legendW = math.Max(legendW, textWidth(truncate(classes[c], 18), 11))
	}
	right := 24 + 24 + legendW
	if len(order) == 0 {
		right = 20
	}
	c := newChart(id, "Dependence plot of "+d.Feature, 300+64+right, 330, 64, right, 14, 50)
	note := ""
	if skipped > 0 {
		note = fmt.Sprintf("%s rows with the value missing or infinite are not drawn.", fint(int64(skipped)))
	}
	if len(xs) == 0 {
		c.axes(0, 1, unitTicks, 0, 1, unitTicks, truncate(d.Feature, 40), "Contribution")
		return c.end(), strings.TrimSpace(note + " No row has a value to draw.")
	}
	var xlo, xhi float64
	var xTicks []float64
	var xNames []string
	if cat {
		lo, hi := slices.Min(xs), slices.Max(xs)
		xlo, xhi = math.Floor(lo)-0.6, math.Ceil(hi)+0.6
		n := int(math.Ceil(hi) - math.Floor(lo) + 1)
		step := math.Max(1, math.Ceil(float64(n)/6))
		for k := math.Floor(lo); k <= math.Ceil(hi)+1e-9 && len(xTicks) < 50; k += step {
			xTicks = append(xTicks, k)
			name := fmt.Sprintf("%g", k)
			if i := int(k); k >= 0 && i < len(d.Categories) {
				name = truncate(d.Categories[i], 8)
			}
			xNames = append(xNames, name)
		}
	} else if logX {
		hi := tx(slices.Max(xs))
		xlo, xhi = 0, math.Max(math.Ceil(hi), 1)
		xTicks, xNames = []float64{0}, []string{"0"}
		// every decade, or every other one past six; 1 only when the
		// axis is short enough to keep it clear of 0
		step := 1
		if xhi > 6 {
			step = 2
		}
		for k := 0; float64(k) <= xhi && len(xTicks) < 30; k += step {
			if k == 0 && xhi > 3 {
				continue
			}
			if p := tx(math.Pow(10, float64(k))); p <= xhi {
				xTicks = append(xTicks, p)
				xNames = append(xNames, decadeLabel(k))
			}
		}
	} else {
		xlo, xhi, xTicks = niceRange(slices.Min(xs), slices.Max(xs), 6)
	}
	ylo, yhi, yTicks := niceRange(math.Min(0, slices.Min(ys)), math.Max(0, slices.Max(ys)), 5)
	c.x = scale{lo: xlo, hi: xhi, a: c.left, b: c.right}
	c.y = scale{lo: ylo, hi: yhi, a: c.bottom, b: c.top}
	xl := truncate(d.Feature, 40)
	if logX {
		xl += " (log scale)"
	}
	c.grid(xTicks, yTicks, xl, "Contribution to the margin", xNames)
	y0 := f1(c.y.px(0))
	fmt.Fprintf(&c.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#888888" stroke-width="1"/>`, f1(c.left), y0, f1(c.right), y0)
	var entries []legendEntry
	for _, k := range order {
		var p strings.Builder
		for i, x := range xs {
			if cls[i] != k {
				continue
			}
			px := tx(x)
			if cat {
				px += 0.6 * (jitter(i) - 0.5)
			}
			fmt.Fprintf(&p, "M%s %sh0", f1(c.x.px(px)), f1(c.y.px(ys[i])))
		}
		color, _ := seriesStyle(k)
		label := fmt.Sprintf("%s (%s rows)", classes[k], fint(int64(present[k])))
		fmt.Fprintf(&c.b, `<path d="%s" fill="none" stroke="%s" stroke-opacity="0.6" stroke-width="4" stroke-linecap="round"><title>%s</title></path>`,
			p.String(), color, esc(label))
		entries = append(entries, legendEntry{label: classes[k], color: color, swatch: "box"})
	}
	c.legend(c.right+20, c.top+8, entries, 18)
	if logX {
		note = strings.TrimSpace("The value axis is log(1 + value). " + note)
	}
	return c.end(), note
}

// decadeLabel names 10^k briefly: 1, 10, 100, 1k ... 100k, 1M ... 1e12.
func decadeLabel(k int) string {
	switch {
	case k < 3:
		return logTickLabel(k)
	case k < 6:
		return logTickLabel(k-3) + "k"
	case k < 9:
		return logTickLabel(k-6) + "M"
	case k < 12:
		return logTickLabel(k-9) + "G"
	}
	return "1e" + fmt.Sprint(k)
}

// jitter is a deterministic value in [0, 1) for dot i.
func jitter(i int) float64 {
	h := uint32(i)*2654435761 + 0x9e3779b9
	h ^= h >> 15
	h *= 0x85ebca6b
	h ^= h >> 13
	return float64(h%1000) / 1000
}
