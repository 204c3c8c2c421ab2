package report

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/flowsense/flowsense/trainer/eval"
)

// unitTicks are the ticks of a [0,1] axis.
var unitTicks = []float64{0, 0.2, 0.4, 0.6, 0.8, 1}

// curveChart draws one line per class on unit axes: ROC curves (with the
// chance diagonal) or precision-recall curves.
func curveChart(id, title string, curves []eval.Curve, roc bool, areaName string) string {
	const plot, maxName = 340.0, 26
	entries := make([]legendEntry, len(curves))
	legendW := 0.0
	for i, c := range curves {
		color, dash := seriesStyle(i)
		area := "n/a"
		if c.Defined {
			area = fmt.Sprintf("%.4f", c.Area)
		}
		entries[i] = legendEntry{label: fmt.Sprintf("%s (%s %s)", c.Class, areaName, area), color: color, dash: dash}
		legendW = math.Max(legendW, textWidth(truncate(c.Class, maxName)+" (AUC 0.0000)", 11))
	}
	// The legend goes under the plot so that two charts fit side by side.
	left, top, right := 58.0, 14.0, 20.0
	bottom := 50 + 10 + float64(len(curves))*16
	w := math.Max(left+plot+right, left+24+legendW+right)
	c := newChart(id, title, w, top+plot+bottom, left, w-left-plot, top, bottom)
	xl, yl := "Recall", "Precision"
	if roc {
		xl, yl = "False-positive rate", "True-positive rate"
	}
	c.axes(0, 1, unitTicks, 0, 1, unitTicks, xl, yl)
	if roc {
		c.polyline([]float64{0, 1}, []float64{0, 1}, "#9a9a9a", "4 4", 1, "chance")
	}
	for i, cv := range curves {
		if !cv.Defined || len(cv.Points) == 0 {
			continue
		}
		xs := make([]float64, len(cv.Points))
		ys := make([]float64, len(cv.Points))
		for k, p := range cv.Points {
			xs[k], ys[k] = p.X, p.Y
		}
		c.polyline(xs, ys, entries[i].color, entries[i].dash, 1.8, entries[i].label)
	}
	c.legend(left, c.bottom+58, entries, maxName+16)
	return c.end()
}

// trainingChart draws train and validation loss per round and marks the
// best round. It returns the SVG, a sentence about the best round, and
// false when there is nothing to draw.
func trainingChart(rounds []Round, bestRound int) (string, string, bool) {
	finite := plottable
	var xs, tr, va []float64
	ylo, yhi := math.Inf(1), math.Inf(-1)
	best := -1
	for i, r := range rounds {
		xs = append(xs, float64(r.Round))
		tr = append(tr, r.Train)
		va = append(va, r.Valid)
		for _, v := range []float64{r.Train, r.Valid} {
			if finite(v) {
				ylo, yhi = math.Min(ylo, v), math.Max(yhi, v)
			}
		}
		if r.Round == bestRound {
			best = i
		}
	}
	if math.IsInf(ylo, 1) {
		return "", "", false
	}
	if best < 0 {
		for i, r := range rounds {
			if finite(r.Valid) && (best < 0 || r.Valid < rounds[best].Valid) {
				best = i
			}
		}
	}
	xlo, xhi := slices.Min(xs), slices.Max(xs)
	if xhi == xlo {
		xlo, xhi = xlo-1, xhi+1
	}
	xTicks := ticksIn(xlo, xhi, math.Max(1, niceStep(xhi-xlo, 8)))
	ylo, yhi, yTicks := niceRange(ylo, yhi, 5)

	title := "Training and validation loss per boosting round"
	if !hasValidation(rounds) {
		title = "Training loss per boosting round"
	}
	c := newChart("training", title, 720, 360, 64, 150, 14, 50)
	c.axes(xlo, xhi, xTicks, ylo, yhi, yTicks, "Boosting round", "Loss")
	c.polyline(xs, tr, palette[0], "", 1.8, "training loss")
	entries := []legendEntry{{label: "training", color: palette[0]}}
	if hasValidation(rounds) {
		c.polyline(xs, va, palette[1], "", 1.8, "validation loss")
		entries = append(entries, legendEntry{label: "validation", color: palette[1]})
	}
	note := ""
	if best >= 0 {
		r := rounds[best]
		x := c.x.px(float64(r.Round))
		fmt.Fprintf(&c.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#2ca02c" stroke-width="1.5" stroke-dasharray="5 4"/>`,
			f1(x), f1(c.top), f1(x), f1(c.bottom))
		loss := r.Valid
		if !finite(loss) {
			loss = r.Train
		}
		if finite(loss) {
			fmt.Fprintf(&c.b, `<circle cx="%s" cy="%s" r="4.5" fill="#2ca02c"><title>best round %d: loss %s</title></circle>`,
				f1(x), f1(c.y.px(loss)), r.Round, esc(fshort(loss)))
		}
		entries = append(entries, legendEntry{label: fmt.Sprintf("best round %d", r.Round), color: "#2ca02c", dash: "5 4"})
		if finite(r.Valid) {
			note = fmt.Sprintf("The best round, %d (validation loss %s), is marked.", r.Round, fshort(r.Valid))
		} else {
			note = fmt.Sprintf("The last round kept, %d, is marked.", r.Round)
		}
	}
	c.legend(c.right+20, c.top+8, entries, 20)
	return c.end(), note, true
}

// hasValidation reports whether any round has a validation loss to draw.
func hasValidation(rounds []Round) bool {
	for _, r := range rounds {
		if plottable(r.Valid) {
			return true
		}
	}
	return false
}

// importanceChart draws the top features by gain as horizontal bars
// labelled with their share of the total gain. It returns the SVG, the
// number of bars and false when there is nothing to draw.
func importanceChart(imp []Importance) (string, int, bool) {
	top := topImportance(imp, TopFeatures)
	if len(top) == 0 {
		return "", 0, false
	}
	var total float64
	for _, f := range imp {
		if f.Gain > 0 && plottable(f.Gain) {
			total += f.Gain
		}
	}
	const maxName, rowH, barW = 40, 20.0, 420.0
	labelW := 0.0
	for _, f := range top {
		labelW = math.Max(labelW, textWidth(truncate(f.Name, maxName), 12))
	}
	left := math.Min(labelW, 300) + 16
	h := 10 + rowH*float64(len(top)) + 10
	c := newChart("importance", "Feature importance by total gain", left+barW+80, h, left, 80, 10, 10)
	maxGain := math.Max(top[0].Gain, 0)
	for i, f := range top {
		y := 10 + rowH*float64(i)
		w := 0.0
		if maxGain > 0 {
			w = math.Max(f.Gain, 0) / maxGain * barW
		}
		value := fshort(f.Gain)
		if total > 0 {
			value = fmt.Sprintf("%.1f%%", 100*math.Max(f.Gain, 0)/total)
		}
		fmt.Fprintf(&c.b, `<g><title>%s: gain %s</title>`, esc(f.Name), esc(fshort(f.Gain)))
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" text-anchor="end" fill="#222222">%s</text>`, f1(left-8), f1(y+14), esc(truncate(f.Name, maxName)))
		fmt.Fprintf(&c.b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s"/>`, f1(left), f1(y+3), f1(w), f1(rowH-6), palette[0])
		fmt.Fprintf(&c.b, `<text x="%s" y="%s" fill="#444444" font-size="11">%s</text></g>`, f1(left+w+6), f1(y+14), esc(value))
	}
	return c.end(), len(top), true
}

// blues is a white-to-dark-blue colour ramp (ColorBrewer Blues).
var blues = [][3]float64{
	{247, 251, 255}, {222, 235, 247}, {198, 219, 239}, {158, 202, 225},
	{107, 174, 214}, {66, 146, 198}, {33, 113, 181}, {8, 81, 156}, {8, 48, 107},
}

func ramp(f float64) string {
	f = math.Max(0, math.Min(1, f))
	pos := f * float64(len(blues)-1)
	i := min(int(pos), len(blues)-2)
	t := pos - float64(i)
	var rgb [3]int
	for k := range 3 {
		rgb[k] = int(math.Round(blues[i][k] + t*(blues[i+1][k]-blues[i][k])))
	}
	return fmt.Sprintf("#%02x%02x%02x", rgb[0], rgb[1], rgb[2])
}

// confusionChart draws the confusion matrix as a heatmap coloured by row
// share, with the count in each cell.
func confusionChart(m eval.Metrics) string {
	const maxName = 30
	K := len(m.Classes)
	rows := slices.Clone(m.Classes)
	if len(m.Confusion) == K+1 {
		rows = append(rows, eval.UnknownClass)
	}
	cell := math.Max(30, math.Min(60, 600/float64(max(K, 1))))
	font := math.Max(9, math.Min(13, cell*0.3))
	rowW, colW := 0.0, 0.0
	for _, r := range rows {
		rowW = math.Max(rowW, textWidth(truncate(r, maxName), 12))
	}
	for _, cl := range m.Classes {
		colW = math.Max(colW, textWidth(truncate(cl, maxName), 12))
	}
	left := 30 + rowW + 10
	top := 26 + colW*0.72 + 10
	right := math.Max(20, colW*0.72-cell/2+10)
	w := left + cell*float64(K) + right
	h := top + cell*float64(len(rows)) + 14
	c := newChart("confusion", "Confusion matrix: rows true class, columns predicted class", w, h, left, right, top, 14)
	b := &c.b
	fmt.Fprintf(b, `<text x="%s" y="16" text-anchor="middle" fill="#222222" font-weight="600">predicted class</text>`, f1(left+cell*float64(K)/2))
	fmt.Fprintf(b, `<text transform="translate(16 %s) rotate(-90)" text-anchor="middle" fill="#222222" font-weight="600">true class</text>`,
		f1(top+cell*float64(len(rows))/2))
	for j, cl := range m.Classes {
		x := left + cell*(float64(j)+0.5)
		fmt.Fprintf(b, `<text transform="translate(%s %s) rotate(-45)" fill="#222222"><title>%s</title>%s</text>`,
			f1(x), f1(top-6), esc(cl), esc(truncate(cl, maxName)))
	}
	for i, r := range rows {
		y := top + cell*float64(i)
		style := ""
		if i >= K {
			style = ` font-style="italic"`
		}
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end" fill="#222222"%s><title>%s</title>%s</text>`,
			f1(left-8), f1(y+cell/2+4), style, esc(r), esc(truncate(r, maxName)))
		rowSum := 0
		for _, v := range m.Confusion[i] {
			rowSum += v
		}
		for j, v := range m.Confusion[i] {
			share := 0.0
			if rowSum > 0 {
				share = float64(v) / float64(rowSum)
			}
			x := left + cell*float64(j)
			fg := "#1d1f23"
			if share > 0.55 {
				fg = "#ffffff"
			}
			fmt.Fprintf(b, `<g><title>true %s, predicted %s: %s rows (%.1f%% of the true class)</title>`,
				esc(r), esc(m.Classes[j]), fint(int64(v)), 100*share)
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="%s" stroke="#ffffff"/>`, f1(x), f1(y), f1(cell), f1(cell), ramp(share))
			fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" font-size="%s" fill="%s">%s</text></g>`,
				f1(x+cell/2), f1(y+cell/2+font*0.35), f1(font), fg, compact(v))
		}
	}
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#888888"/>`,
		f1(left), f1(top), f1(cell*float64(K)), f1(cell*float64(len(rows))))
	return c.end()
}

func outlierSection(b *strings.Builder, in Input) {
	o := in.Metrics.Outlier
	b.WriteString("<section id=\"sec-outlier\">\n<h2>Outlier detector</h2>\n<table class=\"kv\">\n")
	row := func(k, v string) { fmt.Fprintf(b, "<tr><td>%s</td><td class=\"name\">%s</td></tr>\n", esc(k), esc(v)) }
	row("Precision", fnum(o.Precision))
	row("Recall", fnum(o.Recall))
	row("F1", fnum(o.F1))
	row("ROC-AUC", fnum(o.ROCAUC))
	row("Threshold (flag when score > threshold)", fshort(o.Threshold))
	if s := in.OutlierScores; s != nil {
		row("Score samples", fmt.Sprintf("%s benign, %s attack", fint(int64(len(s.Benign))), fint(int64(len(s.Attack)))))
	}
	b.WriteString("</table>\n<div class=\"cols\">\n")
	if cv := in.Curves.Outlier; cv != nil && cv.ROC.Defined {
		figure(b, "fig-outlier-roc", curveChart("outlier-roc", "Outlier detector ROC curve", []eval.Curve{cv.ROC}, true, "AUC"),
			"True-positive rate (attacks flagged) against false-positive rate (benign rows flagged) as the threshold varies.")
	} else {
		missing(b, "no ROC curve of the outlier detector given")
	}
	if svg, note, ok := histogramChart(in.OutlierScores, o.Threshold); ok {
		figure(b, "fig-outlier-hist", svg, "Distribution of outlier scores of benign and attack rows, each as a share of its own rows; rows to the right of the threshold are flagged. "+note)
	} else {
		missing(b, "no outlier score samples given")
	}
	b.WriteString("</div>\n</section>\n")
}

// histogramChart draws the score distributions of benign and attack rows
// and the threshold. Scores spanning more than three decades (all
// positive) get a log axis; otherwise the axis stops at the 99.5th
// percentile and the last bin holds the rest.
func histogramChart(s *OutlierScores, threshold float64) (string, string, bool) {
	if s == nil {
		return "", "", false
	}
	finite := func(v []float64) []float64 {
		var out []float64
		for _, x := range v {
			if plottable(x) {
				out = append(out, x)
			}
		}
		return out
	}
	benign, attack := finite(s.Benign), finite(s.Attack)
	all := append(slices.Clone(benign), attack...)
	if len(all) == 0 {
		return "", "", false
	}
	slices.Sort(all)
	lo, hi := all[0], all[len(all)-1]
	log := lo > 0 && hi/lo > 1000
	note := ""
	if log {
		if threshold > 0 && plottable(threshold) {
			lo, hi = math.Min(lo, threshold), math.Max(hi, threshold)
		}
		lo, hi = math.Log10(lo), math.Log10(hi)
		note = "The score axis is logarithmic."
	} else {
		q := all[min(len(all)-1, int(math.Ceil(0.995*float64(len(all))))-1)]
		if q < hi {
			hi = q
			note = fmt.Sprintf("The last bin also holds the scores above %s (the 99.5th percentile).", fshort(q))
		}
		if plottable(threshold) {
			lo, hi = math.Min(lo, threshold), math.Max(hi, threshold)
		}
	}
	if hi <= lo {
		hi = lo + 1
	}
	const bins = 40
	width := (hi - lo) / bins
	hist := func(v []float64) []float64 {
		h := make([]float64, bins)
		for _, x := range v {
			if log {
				x = math.Log10(math.Max(x, math.Pow(10, lo)))
			}
			k := int((x - lo) / width)
			h[max(0, min(bins-1, k))]++
		}
		for k := range h {
			if len(v) > 0 {
				h[k] /= float64(len(v))
			}
		}
		return h
	}
	hb, ha := hist(benign), hist(attack)
	ymax := math.Max(slices.Max(hb), slices.Max(ha))
	ylo, yhi, yTicks := niceRange(0, math.Max(ymax, 1e-9), 5)

	c := newChart("outlier-hist", "Outlier score histograms, benign and attack", 680, 360, 64, 170, 14, 50)
	c.x = scale{lo: lo, hi: hi, a: c.left, b: c.right}
	c.y = scale{lo: ylo, hi: yhi, a: c.bottom, b: c.top}
	var xTicks []float64
	var xNames []string
	if log {
		for k := math.Ceil(lo - 1e-9); k <= hi+1e-9; k++ {
			xTicks = append(xTicks, k)
			xNames = append(xNames, logTickLabel(int(k)))
		}
	} else {
		xTicks = ticksIn(lo, hi, niceStep(hi-lo, 6))
	}
	xl := "Outlier score"
	if log {
		xl += " (log scale)"
	}
	c.grid(xTicks, yTicks, xl, "Share of rows", xNames)
	groups := []struct {
		name  string
		h     []float64
		n     int
		color string
	}{{"benign", hb, len(benign), palette[0]}, {"attack", ha, len(attack), palette[3]}}
	var entries []legendEntry
	for _, g := range groups {
		if g.n == 0 {
			continue
		}
		var d strings.Builder
		fmt.Fprintf(&d, "M%s %s", f1(c.left), f1(c.bottom))
		for k, v := range g.h {
			x0, x1 := c.left+float64(k)*(c.right-c.left)/bins, c.left+float64(k+1)*(c.right-c.left)/bins
			y := f1(c.y.px(v))
			fmt.Fprintf(&d, "L%s %sL%s %s", f1(x0), y, f1(x1), y)
		}
		fmt.Fprintf(&d, "L%s %sZ", f1(c.right), f1(c.bottom))
		label := fmt.Sprintf("%s (%s rows)", g.name, fint(int64(g.n)))
		fmt.Fprintf(&c.b, `<path d="%s" fill="%s" fill-opacity="0.4" stroke="%s" stroke-width="1.2"><title>%s</title></path>`,
			d.String(), g.color, g.color, esc(label))
		entries = append(entries, legendEntry{label: label, color: g.color, swatch: "box"})
	}
	tx := threshold
	if log {
		tx = math.Log10(math.Max(threshold, math.Pow(10, lo)))
	}
	if px := c.x.px(tx); px >= c.left-0.5 && px <= c.right+0.5 {
		fmt.Fprintf(&c.b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#222222" stroke-width="1.5" stroke-dasharray="6 3"><title>threshold %s</title></line>`,
			f1(px), f1(c.top), f1(px), f1(c.bottom), esc(fshort(threshold)))
	}
	entries = append(entries, legendEntry{label: "threshold " + fshort(threshold), color: "#222222", dash: "6 3"})
	c.legend(c.right+20, c.top+8, entries, 24)
	return c.end(), note, true
}
