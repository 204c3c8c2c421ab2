package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/flowsense/flowsense/trainer/eval"
)

// Round is one boosting round of the training curve.
type Round struct {
	Round int
	Train float64 // training loss; NaN when not measured
	Valid float64 // validation loss; NaN when there is no validation set
}

// Importance is the importance of one feature, by total split gain.
type Importance struct {
	Name string
	Gain float64
}

// OutlierScores are samples of the outlier detector's scores on benign
// and on attack test rows, for the score histograms. Any number of
// samples may be given; the histogram shows fractions of each group.
type OutlierScores struct {
	Benign []float64
	Attack []float64
}

// Input is everything the report shows. Zero fields leave their section
// out (with a note), except the metrics, which are always shown.
type Input struct {
	Title   string            // page title and heading
	Dataset string            // a description of the training and test data
	Params  map[string]string // training parameters, shown sorted by name

	Metrics eval.Metrics // from eval.Evaluate, with the caller's fields set
	Curves  eval.Curves  // from eval.Evaluate (and eval.EvaluateOutlier)

	// Training is the loss per boosting round. BestRound is the round
	// marked as best (the one kept by early stopping); when no Round has
	// that number, the round of lowest validation loss is marked.
	Training  []Round
	BestRound int
	// TrainingNote, when set, is shown under the training curve: why
	// training stopped and which class weighting was kept, say.
	TrainingNote string

	// Importance lists features with their gain, in any order; the top
	// TopFeatures by gain are drawn.
	Importance []Importance

	// Outlier detector: its figures are Metrics.Outlier, its curves
	// Curves.Outlier; OutlierScores feeds the histograms. The section is
	// shown when Metrics.Outlier is set.
	OutlierScores *OutlierScores

	// SHAP is the TreeSHAP explanation of the test rows: importance by
	// mean absolute contribution, next to the gain, and dependence plots.
	// The section says so when it is nil.
	SHAP *SHAP
}

// TopFeatures is the number of features drawn in the importance chart.
const TopFeatures = 25

// Write writes the report for in to w as one self-contained HTML document.
// It returns an [*InputError] when parts of in disagree in size, and the
// writer's error if writing fails; nothing is written in the first case.
func Write(w io.Writer, in Input) error {
	if err := check(in); err != nil {
		return err
	}
	var b strings.Builder
	page(&b, in)
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("report: write: %w", err)
	}
	return nil
}

func check(in Input) error {
	m := in.Metrics
	K := len(m.Classes)
	bad := func(field, format string, args ...any) error {
		return &InputError{Field: field, Detail: fmt.Sprintf(format, args...), Err: ErrShape}
	}
	if len(m.Confusion) != 0 && len(m.Confusion) != K && len(m.Confusion) != K+1 {
		return bad("Metrics.Confusion", "%d rows for %d classes", len(m.Confusion), K)
	}
	for i, row := range m.Confusion {
		if len(row) != K {
			return bad("Metrics.Confusion", "row %d has %d columns for %d classes", i, len(row), K)
		}
	}
	if n := len(in.Curves.ROC); n != 0 && n != K {
		return bad("Curves.ROC", "%d curves for %d classes", n, K)
	}
	if n := len(in.Curves.PR); n != 0 && n != K {
		return bad("Curves.PR", "%d curves for %d classes", n, K)
	}
	return checkSHAP(in)
}

const css = `
:root { color-scheme: light; }
body { margin: 0; background: #f4f5f7; color: #1d1f23; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 28px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
section { background: #ffffff; border: 1px solid #dde0e5; border-radius: 8px; padding: 18px 22px; margin: 18px 0; overflow-x: auto; }
p.dataset { color: #4a4f57; margin: 0 0 8px; white-space: pre-wrap; }
p.note { color: #6b7079; font-size: 13px; margin: 6px 0 0; }
table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 12px; border-bottom: 1px solid #eceef1; text-align: right; vertical-align: top; }
th { background: #f7f8fa; font-weight: 600; }
td.name, th.name { text-align: left; max-width: 420px; overflow-wrap: anywhere; }
table.kv td:first-child { text-align: left; color: #4a4f57; }
tr.unknown td { font-style: italic; color: #6b7079; }
.cols { display: flex; flex-wrap: wrap; gap: 20px 28px; align-items: flex-start; }
figure { margin: 0; display: table; }
figcaption { display: table-caption; caption-side: bottom; color: #6b7079; font-size: 13px; margin-top: 4px; }
svg.chart { max-width: 100%; height: auto; display: block; }
footer { color: #8a8f98; font-size: 12px; text-align: center; }
`

func page(b *strings.Builder, in Input) {
	title := in.Title
	if title == "" {
		title = "flowsense model report"
	}
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
	b.WriteString("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n")
	fmt.Fprintf(b, "<title>%s</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", esc(title), css)
	fmt.Fprintf(b, "<h1>%s</h1>\n", esc(title))
	if in.Dataset != "" {
		fmt.Fprintf(b, "<p class=\"dataset\">%s</p>\n", esc(in.Dataset))
	}
	summary(b, in)
	perClass(b, in)

	b.WriteString("<section id=\"sec-confusion\">\n<h2>Confusion matrix</h2>\n")
	if len(in.Metrics.Confusion) > 0 {
		figure(b, "fig-confusion", confusionChart(in.Metrics),
			"Rows are true classes, columns predicted classes. The number in a cell is the count of rows; its colour is that count as a share of the true class's rows (row-normalised), so the diagonal shows recall.")
	} else {
		missing(b, "no confusion matrix given")
	}
	b.WriteString("</section>\n")

	b.WriteString("<section id=\"sec-curves\">\n<h2>One-vs-rest ROC and precision-recall curves</h2>\n<div class=\"cols\">\n")
	if len(in.Curves.ROC) > 0 {
		figure(b, "fig-roc", curveChart("roc", "ROC curves, one class against the rest", in.Curves.ROC, true, "AUC"),
			"True-positive rate against false-positive rate for each class against all others; the dashed diagonal is chance. Legend: area under the curve.")
	} else {
		missing(b, "no ROC curves given")
	}
	if len(in.Curves.PR) > 0 {
		figure(b, "fig-pr", curveChart("pr", "Precision-recall curves, one class against the rest", in.Curves.PR, false, "AP"),
			"Precision against recall for each class against all others. Legend: average precision (the area under the step curve).")
	} else {
		missing(b, "no precision-recall curves given")
	}
	b.WriteString("</div>\n</section>\n")

	b.WriteString("<section id=\"sec-training\">\n<h2>Training curve</h2>\n")
	if svg, best, ok := trainingChart(in.Training, in.BestRound); ok {
		caption := "Loss per boosting round on the training and validation sets. "
		if !hasValidation(in.Training) {
			caption = "Loss per boosting round on the training set (no validation split). "
		}
		figure(b, "fig-training", svg, caption+best)
	} else {
		missing(b, "no training curve given")
	}
	if in.TrainingNote != "" {
		fmt.Fprintf(b, "<p id=\"training-note\">%s</p>\n", esc(in.TrainingNote))
	}
	b.WriteString("</section>\n")

	b.WriteString("<section id=\"sec-importance\">\n<h2>Feature importance</h2>\n")
	if svg, n, ok := importanceChart(in.Importance); ok {
		figure(b, "fig-importance", svg, fmt.Sprintf("Total split gain of the %d most important features of %d, as a share of the total gain of all features.", n, len(in.Importance)))
	} else {
		missing(b, "no feature importance given")
	}
	b.WriteString("</section>\n")
	shapSection(b, in)

	if in.Metrics.Outlier != nil {
		outlierSection(b, in)
	}
	b.WriteString("<footer>Generated by flowsense. Self-contained: no scripts, no external resources.</footer>\n")
	b.WriteString("</main>\n</body>\n</html>\n")
}

func figure(b *strings.Builder, id, svg, caption string) {
	fmt.Fprintf(b, "<figure id=\"%s\">\n%s\n<figcaption>%s</figcaption>\n</figure>\n", id, svg, esc(caption))
}

func missing(b *strings.Builder, what string) {
	fmt.Fprintf(b, "<p class=\"note\">%s.</p>\n", esc(what))
}

// bytesLabel formats a size as "1.2 MiB (1,234,567 bytes)".
func bytesLabel(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB"}
	v, u := float64(n), 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if u == 0 {
		return fint(n) + " bytes"
	}
	return strconv.FormatFloat(v, 'f', 1, 64) + " " + units[u] + " (" + fint(n) + " bytes)"
}

func summary(b *strings.Builder, in Input) {
	m := in.Metrics
	b.WriteString("<section id=\"sec-summary\">\n<h2>Summary</h2>\n<table class=\"kv\">\n")
	row := func(k, v string) { fmt.Fprintf(b, "<tr><td>%s</td><td class=\"name\">%s</td></tr>\n", esc(k), esc(v)) }
	row("Accuracy", fnum(m.Accuracy))
	row("Macro-F1", fnum(m.MacroF1))
	row("Weighted-F1", fnum(m.WeightedF1))
	row("ROC-AUC (macro over one-vs-rest)", fnum(m.ROCAUC))
	row("PR-AUC (macro average precision)", fnum(m.PRAUC))
	row("Classes", strconv.Itoa(len(m.Classes)))
	row("Training rows", fint(int64(m.NTrain)))
	row("Test rows", fint(int64(m.NTest)))
	row("Training time", strconv.FormatFloat(m.TrainSeconds, 'f', 2, 64)+" s")
	row("Model size", bytesLabel(m.ModelBytes))
	if in.Dataset != "" {
		row("Dataset", in.Dataset)
	}
	if o := m.Outlier; o != nil {
		row("Outlier detector", fmt.Sprintf("precision %s, recall %s, F1 %s, ROC-AUC %s at threshold %s",
			fnum(o.Precision), fnum(o.Recall), fnum(o.F1), fnum(o.ROCAUC), fshort(o.Threshold)))
	}
	b.WriteString("</table>\n")
	if len(in.Params) > 0 {
		b.WriteString("<h3>Parameters</h3>\n<table class=\"kv\">\n")
		keys := make([]string, 0, len(in.Params))
		for k := range in.Params {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			row(k, in.Params[k])
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("</section>\n")
}

func perClass(b *strings.Builder, in Input) {
	m := in.Metrics
	b.WriteString("<section id=\"sec-classes\">\n<h2>Per-class results</h2>\n<table>\n")
	b.WriteString("<tr><th class=\"name\">Class</th><th>Precision</th><th>Recall</th><th>F1</th><th>Support</th><th>ROC-AUC</th><th>Average precision</th></tr>\n")
	area := func(cs []eval.Curve, i int) string {
		if i >= len(cs) || !cs[i].Defined {
			return "n/a"
		}
		return fnum(cs[i].Area)
	}
	for i, name := range m.Classes {
		pc := m.PerClass[name]
		fmt.Fprintf(b, "<tr><td class=\"name\">%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>\n",
			esc(name), fnum(pc.Precision), fnum(pc.Recall), fnum(pc.F1), fint(int64(pc.Support)),
			area(in.Curves.ROC, i), area(in.Curves.PR, i))
	}
	if u, ok := m.PerClass[eval.UnknownClass]; ok {
		fmt.Fprintf(b, "<tr class=\"unknown\"><td class=\"name\">%s</td><td>–</td><td>–</td><td>–</td><td>%s</td><td>–</td><td>–</td></tr>\n",
			esc(eval.UnknownClass), fint(int64(u.Support)))
	}
	b.WriteString("</table>\n")
	if _, ok := m.PerClass[eval.UnknownClass]; ok {
		missing(b, "Rows whose true label the model does not know are counted as errors: in accuracy, as false positives of the class predicted for them, and as negatives of every curve; they are not part of the macro and weighted averages")
	}
	b.WriteString("</section>\n")
}

// topImportance returns the n features of largest plottable gain, largest
// first, ties by name.
func topImportance(imp []Importance, n int) []Importance {
	var out []Importance
	for _, f := range imp {
		if plottable(f.Gain) {
			out = append(out, f)
		}
	}
	slices.SortStableFunc(out, func(a, b Importance) int {
		if c := cmp.Compare(b.Gain, a.Gain); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out[:min(n, len(out))]
}
