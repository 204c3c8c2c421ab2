package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/flowsense/flowsense/internal/htmltext"
)

// This file holds the small plotting kit the charts are drawn with: scales,
// nice ticks, axes and legends, written as SVG text. Coordinates are
// rounded to 0.1 px so the output is stable for golden tests.

// esc escapes a data string for HTML text and double-quoted attributes.
func esc(s string) string { return htmltext.Escape(s) }

// plottable reports whether v can be placed on an axis: finite and small
// enough that ranges and steps computed from it cannot overflow.
func plottable(v float64) bool { return !math.IsNaN(v) && math.Abs(v) <= 1e300 }

// f1 formats a pixel coordinate.
func f1(v float64) string {
	s := strconv.FormatFloat(v, 'f', 1, 64)
	if s == "-0.0" {
		return "0.0"
	}
	return s
}

// fnum formats a figure for tables: 4 decimals.
func fnum(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'f', 4, 64)
}

// fshort formats a value with 4 significant digits.
func fshort(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "n/a"
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// fint formats an integer with thin thousands separators.
func fint(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// compact formats a count in at most 5 characters (12345 -> 12.3k); the
// exact count goes in a tooltip.
func compact(n int) string {
	switch v := float64(n); {
	case n < 10_000:
		return strconv.Itoa(n)
	case n < 99_950:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case n < 999_500:
		return strconv.FormatFloat(v/1e3, 'f', 0, 64) + "k"
	case n < 9_950_000:
		return strconv.FormatFloat(v/1e6, 'f', 1, 64) + "M"
	default:
		return strconv.FormatFloat(v/1e6, 'f', 0, 64) + "M"
	}
}

// truncate shortens s to at most n runes, ending in an ellipsis.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// textWidth estimates the width in px of s in the sans-serif font at size
// px (an average glyph is about 0.58 em wide).
func textWidth(s string, size float64) float64 {
	return float64(len([]rune(s))) * size * 0.58
}

// palette holds distinguishable line colours (Tableau 10, then darker and
// lighter variants); series beyond it cycle with a dash pattern.
var palette = []string{
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
	"#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
	"#0b3d91", "#b35806", "#1b7837", "#67001f", "#542788",
	"#5e3c22", "#9c1f6e", "#3a3a3a", "#6b6b00", "#00626e",
}

func seriesStyle(i int) (color, dash string) {
	color = palette[i%len(palette)]
	if i >= len(palette) {
		dash = "6 3"
	}
	return color, dash
}

// scale maps data values to pixels along one axis.
type scale struct {
	lo, hi float64 // data range (log10 of it when log)
	a, b   float64 // pixel range
	log    bool
}

func (s scale) px(v float64) float64 {
	if s.log {
		v = math.Log10(v)
	}
	if s.hi == s.lo {
		return (s.a + s.b) / 2
	}
	return s.a + (v-s.lo)/(s.hi-s.lo)*(s.b-s.a)
}

// niceStep rounds span/target to 1, 2 or 5 times a power of ten.
func niceStep(span float64, target int) float64 {
	if !(span > 0) || math.IsInf(span, 0) {
		return 1
	}
	raw := span / float64(target)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	if !(p > 0) || math.IsInf(p, 0) {
		return 1
	}
	switch m := raw / p; {
	case m < 1.5:
		return p
	case m < 3.5:
		return 2 * p
	case m < 7.5:
		return 5 * p
	default:
		return 10 * p
	}
}

// niceRange widens [lo, hi] to multiples of a nice step and returns the
// ticks in it.
func niceRange(lo, hi float64, target int) (nlo, nhi float64, ticks []float64) {
	if hi < lo {
		lo, hi = hi, lo
	}
	if hi-lo < 1e-200 { // equal, or too close for steps to be representable
		d := math.Max(math.Abs(lo)*0.1, 1)
		lo, hi = lo-d, hi+d
	}
	step := niceStep(hi-lo, target)
	nlo = math.Floor(lo/step) * step
	nhi = math.Ceil(hi/step) * step
	return nlo, nhi, ticksIn(nlo, nhi, step)
}

func ticksIn(lo, hi, step float64) []float64 {
	var t []float64
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9 && len(t) < 50; k++ {
		t = append(t, k*step)
	}
	return t
}

// tickLabel formats a tick value with as many decimals as its step needs.
func tickLabel(v, step float64) string {
	dec := 0
	if step > 0 && step < 1 {
		dec = int(math.Ceil(-math.Log10(step) - 1e-9))
	}
	s := strconv.FormatFloat(v, 'f', dec, 64)
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-")
	}
	if math.Abs(v) >= 1e6 {
		return strconv.FormatFloat(v, 'g', 3, 64)
	}
	return s
}

// logTickLabel formats a power of ten.
func logTickLabel(k int) string {
	if k >= -3 && k <= 5 {
		return strconv.FormatFloat(math.Pow(10, float64(k)), 'f', max(0, -k), 64)
	}
	return "1e" + strconv.Itoa(k)
}

// chart is one SVG being written.
type chart struct {
	b      strings.Builder
	w, h   float64
	x, y   scale
	left   float64 // plot area edges in px
	right  float64
	top    float64
	bottom float64
}

// newChart starts an SVG of w x h px whose plot area is inset by the
// margins; title is its accessible name.
func newChart(id, title string, w, h, left, right, top, bottom float64) *chart {
	c := &chart{w: w, h: h, left: left, right: w - right, top: top, bottom: h - bottom}
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" id="%s" class="chart" role="img" width="%s" height="%s" viewBox="0 0 %s %s" font-family="system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif" font-size="12">`,
		id, f1(w), f1(h), f1(w), f1(h))
	fmt.Fprintf(&c.b, "<title>%s</title>", esc(title))
	fmt.Fprintf(&c.b, `<rect x="0" y="0" width="%s" height="%s" fill="#ffffff"/>`, f1(w), f1(h))
	return c
}

func (c *chart) end() string {
	c.b.WriteString("</svg>")
	return c.b.String()
}

// linear sets linear scales with the given ticks drawn as a grid and
// labelled; xTicks/yTicks must lie within [xlo,xhi]/[ylo,yhi].
func (c *chart) axes(xlo, xhi float64, xTicks []float64, ylo, yhi float64, yTicks []float64, xLabel, yLabel string) {
	c.x = scale{lo: xlo, hi: xhi, a: c.left, b: c.right}
	c.y = scale{lo: ylo, hi: yhi, a: c.bottom, b: c.top}
	c.grid(xTicks, yTicks, xLabel, yLabel, nil)
}

// grid draws the plot frame, grid lines, tick labels and axis titles.
// xNames, when non-nil, gives the label of each x tick.
func (c *chart) grid(xTicks, yTicks []float64, xLabel, yLabel string, xNames []string) {
	b := &c.b
	b.WriteString(`<g class="grid" stroke="#e3e3e3" stroke-width="1">`)
	for _, t := range xTicks {
		x := f1(c.x.px(t))
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, x, f1(c.top), x, f1(c.bottom))
	}
	for _, t := range yTicks {
		y := f1(c.y.px(t))
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s"/>`, f1(c.left), y, f1(c.right), y)
	}
	b.WriteString("</g>")
	fmt.Fprintf(b, `<rect x="%s" y="%s" width="%s" height="%s" fill="none" stroke="#888888"/>`,
		f1(c.left), f1(c.top), f1(c.right-c.left), f1(c.bottom-c.top))
	xstep, ystep := tickStep(xTicks), tickStep(yTicks)
	b.WriteString(`<g class="ticks" fill="#444444" font-size="11">`)
	for i, t := range xTicks {
		x := c.x.px(t)
		label := tickLabel(t, xstep)
		if xNames != nil {
			label = xNames[i]
		}
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#888888"/>`, f1(x), f1(c.bottom), f1(x), f1(c.bottom+4))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle">%s</text>`, f1(x), f1(c.bottom+16), esc(label))
	}
	for _, t := range yTicks {
		y := c.y.px(t)
		fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="#888888"/>`, f1(c.left-4), f1(y), f1(c.left), f1(y))
		fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="end">%s</text>`, f1(c.left-7), f1(y+4), esc(tickLabel(t, ystep)))
	}
	b.WriteString("</g>")
	fmt.Fprintf(b, `<text x="%s" y="%s" text-anchor="middle" fill="#222222">%s</text>`,
		f1((c.left+c.right)/2), f1(c.bottom+34), esc(xLabel))
	fmt.Fprintf(b, `<text transform="translate(%s %s) rotate(-90)" text-anchor="middle" fill="#222222">%s</text>`,
		f1(c.left-44), f1((c.top+c.bottom)/2), esc(yLabel))
}

func tickStep(t []float64) float64 {
	if len(t) < 2 {
		return 1
	}
	return t[1] - t[0]
}

// polyline draws pts (data coordinates) as one path, breaking it at
// non-finite points.
func (c *chart) polyline(xs, ys []float64, color, dash string, width float64, title string) {
	var d strings.Builder
	pen := false
	for i := range xs {
		x, y := xs[i], ys[i]
		if !plottable(x) || !plottable(y) {
			pen = false
			continue
		}
		if pen {
			d.WriteString("L")
		} else {
			d.WriteString("M")
			pen = true
		}
		d.WriteString(f1(c.x.px(x)) + " " + f1(c.y.px(y)))
	}
	if d.Len() == 0 {
		return
	}
	dashAttr := ""
	if dash != "" {
		dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, dash)
	}
	fmt.Fprintf(&c.b, `<path d="%s" fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round"%s>`,
		d.String(), color, f1(width), dashAttr)
	fmt.Fprintf(&c.b, "<title>%s</title></path>", esc(title))
}

// legendEntry is one line of a legend.
type legendEntry struct {
	label, color, dash string
	swatch             string // "line" (default) or "box"
}

// legend draws entries in a column starting at (x, y), truncating labels
// to maxChars runes (the full label is in a tooltip).
func (c *chart) legend(x, y float64, entries []legendEntry, maxChars int) {
	b := &c.b
	b.WriteString(`<g class="legend" font-size="11" fill="#222222">`)
	for i, e := range entries {
		yy := y + float64(i)*16
		fmt.Fprintf(b, "<g><title>%s</title>", esc(e.label))
		if e.swatch == "box" {
			fmt.Fprintf(b, `<rect x="%s" y="%s" width="16" height="10" fill="%s" fill-opacity="0.55" stroke="%s"/>`,
				f1(x), f1(yy-4), e.color, e.color)
		} else {
			dashAttr := ""
			if e.dash != "" {
				dashAttr = fmt.Sprintf(` stroke-dasharray="%s"`, e.dash)
			}
			fmt.Fprintf(b, `<line x1="%s" y1="%s" x2="%s" y2="%s" stroke="%s" stroke-width="2.5"%s/>`,
				f1(x), f1(yy+1), f1(x+18), f1(yy+1), e.color, dashAttr)
		}
		fmt.Fprintf(b, `<text x="%s" y="%s">%s</text></g>`, f1(x+24), f1(yy+5), esc(truncate(e.label, maxChars)))
	}
	b.WriteString("</g>")
}
