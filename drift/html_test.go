package drift

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

// parse checks that the page is well-formed XML and counts its figures,
// the figures holding an SVG and the drifted figures.
func parse(t *testing.T, page string) (figures, svgs, drifted int) {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(strings.Replace(page, "<!DOCTYPE html>", "", 1)))
	dec.Strict = true
	inFigure := false
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("page is not well-formed: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "figure":
				figures++
				inFigure = true
				for _, a := range el.Attr {
					if a.Name.Local == "class" && a.Value == "drift" {
						drifted++
					}
				}
			case "svg":
				if inFigure {
					svgs++
				}
			case "script", "link", "img", "iframe":
				t.Errorf("page has a <%s>: it must be self-contained", el.Name.Local)
			}
		case xml.EndElement:
			if el.Name.Local == "figure" {
				inFigure = false
			}
		}
	}
}

func TestWriteHTML(t *testing.T) {
	ref := dataset(
		col{name: "shifted", vals: normal(1, 3000, 0)},
		col{name: "steady", vals: normal(2, 3000, 0)},
		col{name: `<b>"proto"&`, vals: cycle(3000, 0, 1, 2), vocab: []string{"tcp", "udp", "<icmp>"}},
		col{name: "flag", vals: cycle(3000, 0, 1)},
	)
	cur := dataset(
		col{name: "shifted", vals: normal(3, 2000, 1.5)},
		col{name: "steady", vals: normal(4, 2000, 0)},
		col{name: `<b>"proto"&`, vals: cycle(2000, 0, 1, 2), vocab: []string{"tcp", "udp", "<icmp>"}},
		col{name: "flag", vals: cycle(2000, 0, 1)},
	)
	r, err := Compare(ref, cur, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, r, Page{Reference: "ref.csv", Current: "cur\x01.csv"}); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	figures, svgs, drifted := parse(t, page)
	if figures != len(r.Columns) || svgs != figures {
		t.Errorf("%d figures, %d with an SVG, for %d columns", figures, svgs, len(r.Columns))
	}
	if drifted != r.DriftedColumns || drifted != 1 {
		t.Errorf("%d figures marked drifted, report has %d (want 1)", drifted, r.DriftedColumns)
	}
	if strings.Contains(page, `<b>"proto"`) || strings.Contains(page, "<icmp>") || !strings.Contains(page, "&lt;b&gt;&#34;proto&#34;&amp;") {
		t.Error("a data string is not escaped")
	}
	// Drifted first: the shifted column's figure comes before the others.
	if i, j := strings.Index(page, "<b>shifted</b>"), strings.Index(page, "<b>steady</b>"); i < 0 || j < 0 || i > j {
		t.Errorf("figure order: shifted at %d, steady at %d", i, j)
	}
	if !strings.Contains(page, "No dataset drift") {
		t.Error("summary verdict missing")
	}
}

func TestWriteHTMLEdgeCases(t *testing.T) {
	r := &Report{Columns: []Column{
		{Column: "inf", Kind: Categorical, Test: ChiSquareTest, Statistic: Float(math.Inf(1)), PValue: new(Float), Drifted: true,
			Hist: Histogram{Labels: []string{"a"}, Ref: []float64{0}, Cur: []float64{1}}},
		{Column: "empty", Kind: Numerical, Test: KS, Statistic: Float(math.NaN())},
	}}
	r.finish()
	var b bytes.Buffer
	if err := WriteHTML(&b, r, Page{}); err != nil {
		t.Fatal(err)
	}
	if figures, svgs, _ := parse(t, b.String()); figures != 2 || svgs != 2 {
		t.Errorf("%d figures %d svgs", figures, svgs)
	}
	if err := WriteHTML(&b, nil, Page{}); !errors.Is(err, ErrInput) {
		t.Errorf("nil report: %v", err)
	}
	if err := WriteHTML(failWriter{}, r, Page{}); err == nil {
		t.Error("a failing writer must fail WriteHTML")
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }
