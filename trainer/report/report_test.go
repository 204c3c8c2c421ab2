package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/trainer/eval"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// allCharts are the ids of the <svg> charts of a full report.
var allCharts = []string{"confusion", "roc", "pr", "training", "importance", "shap-importance",
	"dependence-0", "dependence-1", "dependence-2", "dependence-3", "dependence-4", "dependence-5", "outlier-roc", "outlier-hist"}

// shapCharts are the TreeSHAP charts among allCharts.
var shapCharts = allCharts[5:12]

func render(t *testing.T, in Input) string {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatalf("Write: %v", err)
	}
	return buf.String()
}

// structure parses the document as XML (the report is written to be
// well-formed XML as well as HTML) and returns the ids of its <svg>
// elements and counts of elements by name and of attributes by "@name",
// failing on any syntax error or unbalanced tag.
func structure(t *testing.T, doc string) (svgIDs []string, elements map[string]int) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	elements = map[string]int{}
	depth := 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("report is not well-formed: %v", err)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			elements[e.Name.Local]++
			for _, a := range e.Attr {
				elements["@"+a.Name.Local]++
			}
			if e.Name.Local == "svg" {
				for _, a := range e.Attr {
					if a.Name.Local == "id" {
						svgIDs = append(svgIDs, a.Value)
					}
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if depth != 0 {
		t.Fatalf("report ends with %d unclosed elements", depth)
	}
	return svgIDs, elements
}

func TestWriteFullReport(t *testing.T) {
	doc := render(t, syntheticInput())
	if !strings.HasPrefix(doc, "<!DOCTYPE html>\n<html") || !strings.HasSuffix(doc, "</html>\n") {
		t.Errorf("report does not start with a doctype and end with </html>")
	}
	ids, elements := structure(t, doc)
	if strings.Join(ids, ",") != strings.Join(allCharts, ",") {
		t.Errorf("charts = %v, want %v", ids, allCharts)
	}
	for _, el := range []string{"html", "head", "body", "style", "title", "table", "figure"} {
		if elements[el] == 0 {
			t.Errorf("no <%s> element", el)
		}
	}
	for _, el := range []string{"script", "img", "link", "iframe", "object"} {
		if elements[el] != 0 {
			t.Errorf("%d <%s> elements; the report must have none", elements[el], el)
		}
	}
	// Self-contained: no attribute or style that loads anything.
	for _, attr := range []string{"src", "href", "srcset", "action", "style"} {
		if elements["@"+attr] != 0 {
			t.Errorf("%d %s= attributes; the report must load nothing", elements["@"+attr], attr)
		}
	}
	for _, ref := range []string{"url(", "@import"} {
		if strings.Contains(css, ref) {
			t.Errorf("the style sheet has %q", ref)
		}
	}
	// Every chart has lines or shapes, not just axes.
	if elements["path"] < 10 || elements["rect"] < 30 {
		t.Errorf("only %d paths and %d rects drawn", elements["path"], elements["rect"])
	}
}

func TestWriteEscapesDataStrings(t *testing.T) {
	doc := render(t, syntheticInput())
	low := strings.ToLower(doc)
	for _, raw := range []string{"<script", "<b>", "<img", "<test>"} {
		if strings.Contains(low, raw) {
			t.Errorf("report contains raw %q", raw)
		}
	}
	for _, escaped := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;", // class name
		"&#34;&amp;&lt;b&gt;bytes&lt;/b&gt;",    // feature name
		"&lt;img src=x onerror=&#34;alert(2)&#34;&gt;",
		"synthetic &lt;test&gt; &amp; data", // title
	} {
		if !strings.Contains(doc, escaped) {
			t.Errorf("report lacks the escaped form %q", escaped)
		}
	}
}

// Sections whose data is missing are replaced by a note, never an empty
// or broken chart.
func TestWriteOptionalSections(t *testing.T) {
	full := syntheticInput()
	cases := map[string]struct {
		edit   func(*Input)
		charts []string
		note   string
	}{
		"no detector": {
			edit:   func(in *Input) { in.Metrics.Outlier, in.Curves.Outlier, in.OutlierScores = nil, nil, nil },
			charts: without("outlier-roc", "outlier-hist"),
		},
		"detector without samples": {
			edit:   func(in *Input) { in.OutlierScores = nil },
			charts: without("outlier-hist"),
			note:   "no outlier score samples given",
		},
		"no training curve": {
			edit:   func(in *Input) { in.Training = nil },
			charts: without("training"),
			note:   "no training curve given",
		},
		"no importance": {
			edit:   func(in *Input) { in.Importance = nil },
			charts: without("importance"),
			note:   "no feature importance given",
		},
		"no curves": {
			edit:   func(in *Input) { in.Curves.ROC, in.Curves.PR = nil, nil },
			charts: without("roc", "pr"),
			note:   "no ROC curves given",
		},
		"no shap": {
			edit:   func(in *Input) { in.SHAP = nil },
			charts: without(shapCharts...),
			note:   "no TreeSHAP contributions given",
		},
		"shap without dependence": {
			edit: func(in *Input) {
				s := *in.SHAP
				s.Dependence = nil
				in.SHAP = &s
			},
			charts: without(shapCharts[1:]...),
		},
		"shap all zero": {
			edit: func(in *Input) {
				in.SHAP = &SHAP{Rows: 3, Outputs: []string{"log-odds"}, Features: []SHAPFeature{{"a", []float64{0}}}}
			},
			charts: without(shapCharts...),
			note:   "every TreeSHAP contribution is zero",
		},
		"zero input": {
			edit:   func(in *Input) { *in = Input{} },
			charts: nil,
			note:   "no confusion matrix given",
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := full
			c.edit(&in)
			doc := render(t, in)
			ids, _ := structure(t, doc)
			if strings.Join(ids, ",") != strings.Join(c.charts, ",") {
				t.Errorf("charts = %v, want %v", ids, c.charts)
			}
			if c.note != "" && !strings.Contains(doc, c.note) {
				t.Errorf("report lacks the note %q", c.note)
			}
		})
	}
}

// without is allCharts less ids.
func without(ids ...string) []string {
	var out []string
	for _, c := range allCharts {
		if !slices.Contains(ids, c) {
			out = append(out, c)
		}
	}
	return out
}

// The best round is the one given, or the one of lowest validation loss.
func TestTrainingChartMarksBestRound(t *testing.T) {
	rounds := []Round{{1, 1.0, 1.1}, {2, 0.8, 0.9}, {3, 0.6, 0.95}, {4, 0.5, 1.0}}
	cases := map[string]struct {
		best int
		want string
	}{
		"given":          {best: 4, want: "best round 4"},
		"lowest valid":   {best: 0, want: "best round 2"},
		"not a round":    {best: 99, want: "best round 2"},
		"first is given": {best: 1, want: "best round 1"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			svg, _, ok := trainingChart(rounds, c.best)
			if !ok || !strings.Contains(svg, c.want) {
				t.Errorf("chart lacks %q", c.want)
			}
		})
	}
}

type failWriter struct{}

var errDiskFull = errors.New("disk full")

func (failWriter) Write([]byte) (int, error) { return 0, errDiskFull }

func TestWriteErrors(t *testing.T) {
	good := syntheticInput()
	cases := map[string]struct {
		edit  func(*Input)
		w     io.Writer
		want  error
		field string
	}{
		"confusion rows": {
			edit:  func(in *Input) { in.Metrics.Confusion = in.Metrics.Confusion[:2] },
			want:  ErrShape,
			field: "Metrics.Confusion",
		},
		"confusion columns": {
			edit: func(in *Input) {
				c := append([][]int(nil), in.Metrics.Confusion...)
				c[1] = c[1][:1]
				in.Metrics.Confusion = c
			},
			want:  ErrShape,
			field: "Metrics.Confusion",
		},
		"roc curves": {
			edit:  func(in *Input) { in.Curves.ROC = in.Curves.ROC[:1] },
			want:  ErrShape,
			field: "Curves.ROC",
		},
		"pr curves": {
			edit:  func(in *Input) { in.Curves.PR = append(in.Curves.PR, eval.Curve{}) },
			want:  ErrShape,
			field: "Curves.PR",
		},
		"shap outputs": {
			edit: func(in *Input) {
				s := *in.SHAP
				s.Outputs = s.Outputs[:2]
				in.SHAP = &s
			},
			want:  ErrShape,
			field: "SHAP.Features[0].MeanAbs",
		},
		"dependence lengths": {
			edit: func(in *Input) {
				s := *in.SHAP
				s.Dependence = slices.Clone(s.Dependence)
				s.Dependence[2].Class = s.Dependence[2].Class[:10]
				in.SHAP = &s
			},
			want:  ErrShape,
			field: "SHAP.Dependence[2]",
		},
		"dependence class": {
			edit: func(in *Input) {
				s := *in.SHAP
				s.Dependence = slices.Clone(s.Dependence)
				d := &s.Dependence[1]
				d.Class = slices.Clone(d.Class)
				d.Class[7] = len(in.Metrics.Classes)
				in.SHAP = &s
			},
			want:  ErrShape,
			field: "SHAP.Dependence[1].Class",
		},
		"writer fails": {edit: func(*Input) {}, w: failWriter{}, want: errDiskFull},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			in := good
			c.edit(&in)
			var buf bytes.Buffer
			w := c.w
			if w == nil {
				w = &buf
			}
			err := Write(w, in)
			if !errors.Is(err, c.want) {
				t.Fatalf("error = %v, want %v", err, c.want)
			}
			if c.field != "" {
				var ie *InputError
				if !errors.As(err, &ie) || ie.Field != c.field {
					t.Errorf("error = %v, want an *InputError about %s", err, c.field)
				}
				if buf.Len() != 0 {
					t.Errorf("%d bytes written before the error", buf.Len())
				}
			}
		})
	}
}

func TestWriteGolden(t *testing.T) {
	doc := render(t, syntheticInput())
	path := filepath.Join("testdata", "report.golden.html")
	if *update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading golden file (run go test -update to make it): %v", err)
	}
	if doc != string(want) {
		a, b := doc, string(want)
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Errorf("report differs from %s at byte %d:\ngot  %q\nwant %q\n(run go test -update if the change is intended)",
			path, i, a[i:min(len(a), i+120)], b[i:min(len(b), i+120)])
	}
}

// The validation loss is drawn, and named in the legend, exactly when some
// round has one (issue 10: the legend named a line that was never drawn).
func TestTrainingChartValidationLine(t *testing.T) {
	nan := math.NaN()
	with := []Round{{Round: 1, Train: 0.5, Valid: 0.6}, {Round: 2, Train: 0.3, Valid: 0.4}}
	without := []Round{{Round: 1, Train: 0.5, Valid: nan}, {Round: 2, Train: 0.3, Valid: nan}}
	svg, _, ok := trainingChart(with, 2)
	if !ok || !strings.Contains(svg, "<title>validation loss</title></path>") || !strings.Contains(svg, ">validation<") {
		t.Fatalf("with validation losses: no validation line or legend entry:\n%s", svg)
	}
	svg, note, ok := trainingChart(without, 2)
	if !ok || strings.Contains(svg, "validation") || strings.Contains(note, "NaN") {
		t.Fatalf("without validation losses: a validation line, legend entry or NaN note %q:\n%s", note, svg)
	}
}
