//go:build browser

package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// longClass replaces synth's "Brute Force" in the explanation test's
// files: a class name wider than the chart's old 150-pixel label margin,
// with a non-ASCII dash, as CIC-IDS2017's "Web Attack – Brute Force".
const longClass = "Web Attack – Brute Force & XSS"

func relabel(text string) string {
	for _, eol := range []string{"\n", "\r\n"} {
		text = strings.ReplaceAll(text, ",Brute Force"+eol, ","+longClass+eol)
		text = strings.ReplaceAll(text, `,"Brute Force"`+eol, `,"`+longClass+`"`+eol)
	}
	return text
}

// cliLine is one line of flowsense predict --out-format jsonl --explain N.
type cliLine struct {
	Row          int     `json:"row"`
	Label        string  `json:"label"`
	Probability  float64 `json:"probability"`
	OutlierScore float64 `json:"outlier_score"`
	Verdict      string  `json:"verdict"`
	Explanation  struct {
		Margin   float64 `json:"margin"`
		Bias     float64 `json:"bias"`
		Features []struct {
			Name         string  `json:"name"`
			Value        any     `json:"value"`
			Contribution float64 `json:"contribution"`
		} `json:"features"`
		Outlier []struct {
			Name         string  `json:"name"`
			Value        any     `json:"value"`
			Mean         float64 `json:"mean"`
			Z            float64 `json:"z"`
			Contribution float64 `json:"contribution"`
		} `json:"outlier"`
	} `json:"explanation"`
}

// buildCLI builds cmd/flowsense into dir.
func buildCLI(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "flowsense")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/flowsense/flowsense/cmd/flowsense").CombinedOutput(); err != nil {
		t.Fatalf("go build cmd/flowsense: %v\n%s", err, out)
	}
	return bin
}

// predictExplain runs flowsense predict --explain n on file with the
// module and reads its JSON lines.
func predictExplain(t *testing.T, bin, module, file string, n int) []cliLine {
	t.Helper()
	cmd := exec.Command(bin, "predict", "--model", module, "--data", file, "--explain", strconv.Itoa(n), "--out-format", "jsonl")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("flowsense predict --explain %d: %v: %s", n, err, stderr.String())
	}
	var lines []cliLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l cliLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("flowsense predict line %d: %v", len(lines)+1, err)
		}
		lines = append(lines, l)
	}
	return lines
}

// within6 is the test's bound: 1e-6 relative to the figure (or absolute
// below 1).
func within6(got, want float64) bool {
	return math.Abs(got-want) <= 1e-6*math.Max(1, math.Abs(want))
}

// bar is one bar of an explanation chart as the DOM carries it.
type bar struct {
	Feature, Value, Contribution, Mean, Z string
}

const readBars = `(sel) => Array.from(document.querySelectorAll(sel + ' rect.bar')).map(r => ({
	Feature: r.dataset.feature || '', Value: r.dataset.value || '', Contribution: r.dataset.contribution || '', Mean: r.dataset.mean || '', Z: r.dataset.z || ''}))`

// clipped lists the texts of the page's charts that stick out of their
// SVG (an empty list: every label fits).
const clipped = `(() => {
	const bad = [];
	for (const svg of document.querySelectorAll('svg')) {
		const w = svg.width.baseVal.value;
		for (const t of svg.querySelectorAll('text')) {
			const b = t.getBBox();
			if (b.x < -0.5 || b.x + b.width > w + 0.5) bad.push(svg.id + ': ' + t.textContent + ' [' + b.x.toFixed(1) + ', ' + (b.x + b.width).toFixed(1) + '] of ' + w);
		}
	}
	return bad;
})()`

// TestExplainInChromium: click a flow and the page draws its top
// contributions, computed by the module's explain export in the browser;
// the bars carry what flowsense predict --explain writes for the row, to
// 1e-6. The page also shows the per-class mean absolute contributions
// over the file (against the same CLI with every feature), marks the rows
// whose label differs from the file's, fills a confusion matrix, and no
// chart clips its labels. A module without the export says how to get
// one.
func TestExplainInChromium(t *testing.T) {
	dir := t.TempDir()
	train := relabel(makeFlows(t, 3000, 1, false).text)
	wasmBytes := trainModelOn(t, dir, train)
	ctx0 := context.Background()
	mod, err := host.Load(ctx0, wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	md := mod.Metadata()
	if !mod.CanExplain() {
		t.Fatal("the test module has no explain export")
	}
	mod.Close(ctx0)
	hasLong := false
	for _, c := range md.Classes {
		hasLong = hasLong || c == longClass
	}
	if !hasLong {
		t.Fatalf("the classes %q lack %q", md.Classes, longClass)
	}
	srv, err := functions.New(ctx0, wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx0)
	hs := httptest.NewServer(srv)
	defer hs.Close()

	flows := makeFlows(t, 600, 2, true)
	text := relabel(flows.text)
	truth := make([]string, len(flows.labels))
	for i, l := range flows.labels {
		if l == "Brute Force" {
			l = longClass
		}
		truth[i] = l
	}
	file := filepath.Join(dir, "flows.csv")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	module := filepath.Join(dir, "model.wasm")
	if err := os.WriteFile(module, wasmBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	bin := buildCLI(t, dir)
	top10 := predictExplain(t, bin, module, file, 10)
	every := predictExplain(t, bin, module, file, len(md.Schema.Features))
	if len(top10) != len(truth) || len(every) != len(truth) {
		t.Fatalf("flowsense predict wrote %d and %d rows, the file has %d", len(top10), len(every), len(truth))
	}

	ctx := newBrowser(t, dir)
	run(t, ctx, "opening the page", chromedp.Navigate(hs.URL+"/"),
		chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)))
	run(t, ctx, "uploading", chromedp.SetUploadFiles("#file", []string{file}, chromedp.ByID))
	waitRun(t, ctx, 1)
	run(t, ctx, "showing every row", choose("filter", "all"), choose("page-size", "1000"))

	// rows to click: the first and last, an unknown category (5), a
	// missing number (7), the HTML label (11), the first anomalous and
	// the first whose label differs
	picks := []int{0, 5, 7, 11, len(truth) - 1}
	firstAnomalous, firstMismatch := -1, -1
	var mismatches []int
	for i, l := range top10 {
		if l.Verdict == "anomalous" && firstAnomalous < 0 {
			firstAnomalous = i
		}
		if l.Label != truth[i] {
			if firstMismatch < 0 {
				firstMismatch = i
			}
			mismatches = append(mismatches, i+1)
		}
	}
	if firstAnomalous < 0 || firstMismatch < 0 {
		t.Fatalf("the test file has no anomalous row (%d) or no misclassified one (%d)", firstAnomalous, firstMismatch)
	}
	picks = append(picks, firstAnomalous, firstMismatch)

	t.Run("click a flow", func(t *testing.T) {
		for _, i := range picks {
			clickAndCheck(t, ctx, md, top10, i)
		}
		var bad []string
		run(t, ctx, "looking for clipped labels", chromedp.Evaluate(clipped, &bad))
		if len(bad) > 0 {
			t.Errorf("chart labels outside their SVG: %q", bad)
		}
		var labels []string
		run(t, ctx, "reading the chart's labels", chromedp.Evaluate(`Array.from(document.querySelectorAll('#chart-svg text')).map(t => t.textContent)`, &labels))
		if !strings.Contains(strings.Join(labels, "\n"), longClass) {
			t.Errorf("the chart does not name %q: %q", longClass, labels)
		}
	})

	t.Run("mismatches", func(t *testing.T) {
		var marked []string
		run(t, ctx, "reading the marked rows", choose("filter", "all"),
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#results tbody tr.mismatch')).map(tr => tr.cells[0].textContent)`, &marked))
		if strings.Join(marked, ",") != joinInts(mismatches) {
			t.Errorf("rows marked as differing from the file's label: %q, want %v", marked, mismatches)
		}
		run(t, ctx, "filtering the mismatches", choose("filter", "mismatch"))
		rows := tableRows(t, ctx)
		got := make([]string, len(rows))
		for k, r := range rows {
			got[k] = r[0]
		}
		if strings.Join(got, ",") != joinInts(mismatches) {
			t.Errorf("the mismatch filter shows rows %q, want %v", got, mismatches)
		}
		run(t, ctx, "showing every row", choose("filter", "all"))
	})

	t.Run("confusion matrix", func(t *testing.T) {
		want := map[string]int{}
		for i, l := range top10 {
			want[truth[i]+" -> "+l.Label]++
		}
		var cells [][]string
		run(t, ctx, "reading the matrix", chromedp.Evaluate(`Array.from(document.querySelectorAll('#confusion td[data-truth]')).map(td => [td.dataset.truth, td.dataset.predicted, td.textContent])`, &cells))
		got := map[string]int{}
		for _, c := range cells {
			n, _ := strconv.Atoi(c[2])
			if n > 0 {
				got[c[0]+" -> "+c[1]] = n
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("confusion matrix %v, want %v", got, want)
		}
	})

	t.Run("mean contributions per class", func(t *testing.T) {
		var state string
		run(t, ctx, "waiting for the per-class means",
			chromedp.Poll(`document.getElementById('importance-box').dataset.state !== 'working'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.Evaluate(`document.getElementById('importance-box').dataset.state`, &state))
		if state != "done" {
			t.Fatalf("per-class means: state %q", state)
		}
		var ms string
		run(t, ctx, "reading the time", chromedp.Evaluate(`document.getElementById('importance-box').dataset.ms`, &ms))
		t.Logf("every one of %d flows explained in the browser in %s ms (module of %d bytes)", len(every), ms, len(wasmBytes))
		sums := map[string]map[string]float64{}
		counts := map[string]int{}
		for _, l := range every {
			if sums[l.Label] == nil {
				sums[l.Label] = map[string]float64{}
			}
			counts[l.Label]++
			for _, f := range l.Explanation.Features {
				sums[l.Label][f.Name] += math.Abs(f.Contribution)
			}
		}
		var options [][]string
		run(t, ctx, "reading the classes", chromedp.Evaluate(`Array.from(document.querySelectorAll('#importance-class option')).map(o => [o.value, o.textContent])`, &options))
		if len(options) != len(counts) {
			t.Errorf("%d classes to choose from, %d predicted: %q", len(options), len(counts), options)
		}
		for _, o := range options {
			k, _ := strconv.Atoi(o[0])
			class := md.Classes[k]
			var bars []bar
			run(t, ctx, "choosing "+class, choose("importance-class", o[0]), chromedp.Evaluate(`(`+readBars+`)('#importance-chart')`, &bars))
			n := 0
			for _, s := range sums[class] {
				if s > 0 {
					n++
				}
			}
			if len(bars) != min(15, n) {
				t.Errorf("%s: %d bars, want %d", class, len(bars), min(15, n))
			}
			prev := math.Inf(1)
			for _, b := range bars {
				v, err := strconv.ParseFloat(b.Mean, 64)
				want := sums[class][b.Feature] / float64(counts[class])
				if err != nil || !within6(v, want) || v > prev {
					t.Errorf("%s: %s mean |contribution| %s, flowsense predict gives %v (or out of order)", class, b.Feature, b.Mean, want)
				}
				prev = v
			}
		}
		var bad []string
		run(t, ctx, "looking for clipped labels", chromedp.Evaluate(clipped, &bad))
		if len(bad) > 0 {
			t.Errorf("chart labels outside their SVG: %q", bad)
		}
	})

	// Classified on the server, explained in the browser: the same bars.
	t.Run("on the server", func(t *testing.T) {
		run(t, ctx, "switching to the server", chromedp.Click("#server-side", chromedp.ByID))
		waitRun(t, ctx, 2)
		run(t, ctx, "showing every row", choose("filter", "all"), choose("page-size", "1000"))
		clickAndCheck(t, ctx, md, top10, firstMismatch)
		// the screenshot: one page of 50 rows, a flow of it explained
		shown := 5
		if firstMismatch < 50 {
			shown = firstMismatch
		}
		run(t, ctx, "showing one page", choose("page-size", "50"))
		clickAndCheck(t, ctx, md, top10, shown)
		var shot []byte
		run(t, ctx, "taking a screenshot", chromedp.EmulateViewport(1400, 1000), chromedp.FullScreenshot(&shot, 100))
		if err := os.WriteFile(filepath.Join(dir, "explain.png"), shot, 0o644); err != nil {
			t.Fatal(err)
		}
		if d := os.Getenv("FLOWSENSE_SCREENSHOT_DIR"); d != "" {
			os.MkdirAll(d, 0o755)
			os.WriteFile(filepath.Join(d, "web-explain.png"), shot, 0o644)
		}
		if *update {
			os.WriteFile(filepath.Join("testdata", "explain.png"), shot, 0o644)
		}
	})

	// A two-class model is logistic: one raw score, the log-odds of class
	// 1; a flow predicted as class 0 is explained by the same
	// contributions negated. The bars still equal the CLI's.
	t.Run("two classes", func(t *testing.T) {
		d := filepath.Join(dir, "binary")
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		wb := trainModelOn(t, d, binaryLabels(train))
		m2, err := host.Load(ctx0, wb)
		if err != nil {
			t.Fatal(err)
		}
		md2 := m2.Metadata()
		m2.Close(ctx0)
		if md2.Objective != model.Logistic || len(md2.Classes) != 2 {
			t.Fatalf("the two-class model is %v with classes %q, want logistic", md2.Objective, md2.Classes)
		}
		mfile := filepath.Join(d, "model.wasm")
		bfile := filepath.Join(d, "flows.csv")
		os.WriteFile(mfile, wb, 0o644)
		os.WriteFile(bfile, []byte(binaryLabels(text)), 0o644)
		lines := predictExplain(t, bin, mfile, bfile, 10)
		srv3, err := functions.New(ctx0, wb)
		if err != nil {
			t.Fatal(err)
		}
		defer srv3.Close(ctx0)
		hs3 := httptest.NewServer(srv3)
		defer hs3.Close()
		run(t, ctx, "opening the page of the two-class model", chromedp.Navigate(hs3.URL+"/"),
			chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.SetUploadFiles("#file", []string{bfile}, chromedp.ByID))
		waitRun(t, ctx, 1)
		run(t, ctx, "showing every row", choose("filter", "all"), choose("page-size", "1000"))
		seen := map[string]int{}
		for i, l := range lines {
			if seen[l.Label] < 3 {
				seen[l.Label]++
				clickAndCheck(t, ctx, md2, lines, i)
			}
		}
		if len(seen) != 2 {
			t.Errorf("flows of %d classes explained, want both: %v", len(seen), seen)
		}
	})

	// A module without the export: the page says why there is no
	// explanation and how to get one.
	t.Run("module without the export", func(t *testing.T) {
		plain, err := compileWithout(t, dir, train)
		if err != nil {
			t.Fatal(err)
		}
		srv2, err := functions.New(ctx0, plain)
		if err != nil {
			t.Fatal(err)
		}
		defer srv2.Close(ctx0)
		hs2 := httptest.NewServer(srv2)
		defer hs2.Close()
		var note, state, imp string
		run(t, ctx, "opening the page of a module without the export", chromedp.Navigate(hs2.URL+"/"),
			chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.SetUploadFiles("#file", []string{file}, chromedp.ByID))
		waitRun(t, ctx, 1)
		run(t, ctx, "clicking a flow",
			chromedp.Click(`#results tbody tr[data-row="3"] td:nth-child(2)`, chromedp.ByQuery),
			chromedp.Poll(`document.getElementById('explain-box').dataset.state !== 'working' && document.getElementById('importance-box').dataset.state !== 'working'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.Evaluate(`document.getElementById('explain-box').dataset.state`, &state),
			chromedp.Evaluate(`document.getElementById('importance-box').dataset.state`, &imp),
			chromedp.Text("#explain-note", &note, chromedp.ByID))
		if state != "unavailable" || imp != "unavailable" || !strings.Contains(note, "flowsense serve --explain") || !strings.Contains(note, "no explain export") {
			t.Errorf("explanation %q, per-class means %q, note %q: want unavailable and how to serve a module with the export", state, imp, note)
		}
		rows := tableRows(t, ctx)
		if len(rows) != 100 || rows[0][1] != top10[0].Label {
			t.Errorf("without the export the page still classifies: %d rows, the first %q", len(rows), rows[0])
		}
	})
}

// checkValue: the bar's data-value is the row's value the CLI names.
func checkValue(t *testing.T, md *abi.Metadata, row int, feature, got string, want any) {
	t.Helper()
	v, err := strconv.ParseFloat(got, 64)
	var f *model.Feature
	for i := range md.Schema.Features {
		if md.Schema.Features[i].Name == feature {
			f = &md.Schema.Features[i]
		}
	}
	if f == nil {
		t.Fatalf("row %d: a bar names %q, not a feature", row+1, feature)
	}
	ok := err == nil
	switch w := want.(type) {
	case nil:
		ok = ok && math.IsNaN(v)
	case float64:
		ok = ok && v == w
	case string:
		switch w {
		case "+Inf", "-Inf": // flow meters' infinities, as the wire writes them
			ok = ok && math.IsInf(v, map[string]int{"+Inf": 1, "-Inf": -1}[w])
		default:
			ok = ok && v >= 0 && int(v) < len(f.Categories) && f.Categories[int(v)] == w
		}
	}
	if !ok {
		t.Errorf("row %d: %s: the page's value %q, flowsense predict %v", row+1, feature, got, want)
	}
}

// clickAndCheck clicks row i (0-based) of the table and checks its
// charts against the CLI's line for it.
func clickAndCheck(t *testing.T, ctx context.Context, md *abi.Metadata, lines []cliLine, i int) {
	t.Helper()
	var feats, outs []bar
	var margin, bias, state, note string
	run(t, ctx, fmt.Sprintf("explaining row %d", i+1),
		chromedp.Click(fmt.Sprintf(`#results tbody tr[data-row="%d"] td:nth-child(2)`, i), chromedp.ByQuery),
		chromedp.Poll(fmt.Sprintf(`(() => { const b = document.getElementById('explain-box'); return b.dataset.row === '%d' && b.dataset.state !== 'working'; })()`, i), nil, chromedp.WithPollingTimeout(guard)),
		chromedp.Evaluate(`document.getElementById('explain-box').dataset.state`, &state),
		chromedp.Text("#explain-note", &note, chromedp.ByID))
	if state != "done" {
		t.Fatalf("row %d: the explanation ended in state %q: %s", i+1, state, note)
	}
	run(t, ctx, fmt.Sprintf("reading the explanation of row %d", i+1),
		chromedp.Evaluate(`(`+readBars+`)('#explain-chart')`, &feats),
		chromedp.Evaluate(`(`+readBars+`)('#outlier-chart')`, &outs),
		chromedp.Evaluate(`document.getElementById('explain-box').dataset.margin`, &margin),
		chromedp.Evaluate(`document.getElementById('explain-box').dataset.bias`, &bias))
	want := lines[i].Explanation
	m, _ := strconv.ParseFloat(margin, 64)
	b, _ := strconv.ParseFloat(bias, 64)
	if !within6(m, want.Margin) || !within6(b, want.Bias) {
		t.Errorf("row %d: margin %s and bias %s, flowsense predict %v and %v", i+1, margin, bias, want.Margin, want.Bias)
	}
	if len(feats) != len(want.Features) {
		t.Fatalf("row %d: %d bars, flowsense predict gives %d contributions: %+v", i+1, len(feats), len(want.Features), feats)
	}
	for k, f := range feats {
		w := want.Features[k]
		c, err := strconv.ParseFloat(f.Contribution, 64)
		if err != nil || f.Feature != w.Name || !within6(c, w.Contribution) {
			t.Errorf("row %d bar %d: %s %s, flowsense predict %s %v", i+1, k+1, f.Feature, f.Contribution, w.Name, w.Contribution)
		}
		checkValue(t, md, i, f.Feature, f.Value, w.Value)
	}
	if len(outs) != len(want.Outlier) {
		t.Fatalf("row %d: %d outlier bars, flowsense predict gives %d shares", i+1, len(outs), len(want.Outlier))
	}
	for k, o := range outs {
		w := want.Outlier[k]
		c, err1 := strconv.ParseFloat(o.Contribution, 64)
		mean, err2 := strconv.ParseFloat(o.Mean, 64)
		z, err3 := strconv.ParseFloat(o.Z, 64)
		if err1 != nil || err2 != nil || err3 != nil || o.Feature != w.Name || !within6(c, w.Contribution) || !within6(mean, w.Mean) || !within6(z, w.Z) {
			t.Errorf("row %d outlier bar %d: %+v, flowsense predict %+v", i+1, k+1, o, w)
		}
		checkValue(t, md, i, o.Feature, o.Value, w.Value)
	}
}

// binaryLabels relabels every flow of a test file that is not BENIGN
// "attack" (quoted or not, LF or CRLF), for a two-class model.
func binaryLabels(text string) string {
	lines := strings.SplitAfter(text, "\n")
	for i, l := range lines {
		if i == 0 {
			continue // the header
		}
		body := strings.TrimRight(l, "\r\n")
		end := l[len(body):]
		k := strings.LastIndexByte(body, ',')
		if k < 0 {
			continue
		}
		label := strings.Trim(body[k+1:], `"`)
		if label == "" || label == "BENIGN" {
			continue
		}
		lines[i] = body[:k+1] + "attack" + end
	}
	return strings.Join(lines, "")
}

// compileWithout trains the test model again and compiles it without the
// explain export.
func compileWithout(t *testing.T, dir, train string) ([]byte, error) {
	t.Helper()
	d := filepath.Join(dir, "plain")
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, err
	}
	return trainModelOn(t, d, train, compiler.WithoutExplain()), nil
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}
