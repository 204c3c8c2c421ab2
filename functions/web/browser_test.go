//go:build browser

package web_test

// The browser test drives the page in headless Chromium with chromedp. It
// takes several seconds, so it sits behind the build tag "browser":
//
//	go test -tags browser ./functions/web/
//
// With -update it also refreshes testdata/screenshot.png; with
// FLOWSENSE_SCREENSHOT_DIR set it copies its screenshot there.

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/csv"
	"flag"
	"fmt"
	"image/png"
	"math"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/internal/chromium"
)

var update = flag.Bool("update", false, "rewrite testdata/screenshot.png")

// guard bounds each wait on the browser: a guard against a hung browser,
// not a speed assertion.
const guard = 2 * time.Minute

// newBrowser starts headless Chromium with a fresh profile under dir.
// The profile is not under dir: Chromium's helper processes may still be
// writing to it for a moment after the browser closes, which would fail
// t.TempDir's cleanup; it is removed on a best-effort basis instead.
func newBrowser(t *testing.T, dir string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	chromium.Need(t)
	profile, err := os.MkdirTemp("", "flowsense-web-chromium")
	if err != nil {
		t.Fatal(err)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(browserOptions(profile), extra...)...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancel()
		cancelAlloc()
		removeProfile(profile)
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting %s: %v", chromium.Path, err)
	}
	return ctx
}

// removeProfile removes a browser profile directory, retrying while the
// browser's last writes land.
func removeProfile(dir string) {
	for i := 0; i < 50; i++ {
		if os.RemoveAll(dir) == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// browserOptions start headless Chromium with a fresh profile under dir
// and nothing that reaches the network on its own.
func browserOptions(dir string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium.Path),
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(filepath.Join(dir, "profile")),
		chromedp.WindowSize(1280, 1000),
	}
	for _, f := range chromium.Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	return opts
}

// run runs actions with the guard.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action) {
	t.Helper()
	c, cancel := context.WithTimeout(ctx, guard)
	defer cancel()
	if err := chromedp.Run(c, actions...); err != nil {
		var msg string
		_ = chromedp.Run(ctx, chromedp.Evaluate(`document.getElementById('error').textContent`, &msg))
		t.Fatalf("%s: %v (page error: %q)", what, err, msg)
	}
}

// waitRun waits until the page has finished run number n (or failed).
func waitRun(t *testing.T, ctx context.Context, n int) {
	t.Helper()
	var state string
	run(t, ctx, fmt.Sprintf("waiting for run %d", n),
		chromedp.Poll(fmt.Sprintf(`document.body.dataset.state === 'error' || document.body.dataset.run === '%d'`, n), nil, chromedp.WithPollingTimeout(guard)),
		chromedp.Evaluate(`document.body.dataset.state`, &state))
	if state != "done" {
		var msg string
		run(t, ctx, "reading the error", chromedp.Evaluate(`document.getElementById('error').textContent`, &msg))
		t.Fatalf("run %d ended in state %q: %s", n, state, msg)
	}
}

// choose sets a select element's value as a user would, firing change.
func choose(id, value string) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q; s.dispatchEvent(new Event('change')); })()`, id, value), nil)
}

// tableRows reads the cells of the results table's rows.
func tableRows(t *testing.T, ctx context.Context) [][]string {
	t.Helper()
	var rows [][]string
	run(t, ctx, "reading the table", chromedp.Evaluate(
		`Array.from(document.querySelectorAll('#results tbody tr')).map(tr => Array.from(tr.cells).map(td => td.textContent))`, &rows))
	return rows
}

func near(got, want, rel float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return got == want || math.Abs(got-want) <= rel*math.Abs(want)+1e-12
}

// checkRows compares table rows (row, label, probability, outlier score,
// verdict, true label) with the predictions of the listed rows (1-based).
func checkRows(t *testing.T, rows [][]string, want []prediction, truth []string, which []int) {
	t.Helper()
	if len(rows) != len(which) {
		t.Fatalf("the table shows %d rows, want %d", len(rows), len(which))
	}
	bad := 0
	for k, cells := range rows {
		i := which[k] - 1
		w := want[i]
		if len(cells) != 6 {
			t.Fatalf("row %d has %d cells, want 6: %q", k+1, len(cells), cells)
		}
		prob, err1 := strconv.ParseFloat(cells[2], 64)
		score, err2 := strconv.ParseFloat(cells[3], 64)
		ok := err1 == nil && err2 == nil && cells[0] == strconv.Itoa(i+1) && cells[1] == w.label &&
			near(prob, w.prob, 1e-5) && near(score, w.score, 1e-5) && cells[4] == w.verdict && cells[5] == truth[i]
		if !ok {
			bad++
			if bad <= 5 {
				t.Errorf("table row %d: %q, want row %d: %v (true label %q)", k+1, cells, i+1, w, truth[i])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d table rows differ from flowsense predict", bad, len(rows))
	}
}

func TestPageInChromium(t *testing.T) {
	dir := t.TempDir()
	wasmBytes := trainModel(t, dir)
	srv, err := functions.New(context.Background(), wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(context.Background())
	hs := httptest.NewServer(srv)
	defer hs.Close()

	flows := makeFlows(t, 600, 2, true)
	file := filepath.Join(dir, "flows.csv")
	if err := os.WriteFile(file, []byte(flows.text), 0o644); err != nil {
		t.Fatal(err)
	}
	want := predictFile(t, wasmBytes, file)
	if len(want) != len(flows.labels) {
		t.Fatalf("flowsense predict read %d rows, the file has %d", len(want), len(flows.labels))
	}
	all := make([]int, len(want))
	for i := range all {
		all[i] = i + 1
	}

	ctx := newBrowser(t, dir)
	downloads := filepath.Join(dir, "downloads")
	run(t, ctx, "opening the page",
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(downloads),
		chromedp.Navigate(hs.URL+"/"),
		chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)))
	var info string
	run(t, ctx, "reading the model line", chromedp.Text("#model-info", &info, chromedp.ByID))
	if !strings.Contains(info, "web-test") || !strings.Contains(info, "outlier threshold") {
		t.Errorf("model line %q does not describe the model", info)
	}

	t.Run("missing columns", func(t *testing.T) {
		bad := filepath.Join(dir, "no-service.csv")
		text := strings.Replace(flows.text, "service,", "svc,", 1)
		if err := os.WriteFile(bad, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		var msg, state string
		run(t, ctx, "uploading a file without a column",
			chromedp.SetUploadFiles("#file", []string{bad}, chromedp.ByID),
			chromedp.Poll(`document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.Text("#error", &msg, chromedp.ByID),
			chromedp.Evaluate(`document.body.dataset.state`, &state))
		if !strings.Contains(msg, `missing columns "service"`) || !strings.Contains(msg, "no-service.csv") {
			t.Errorf("error %q does not name the file and the missing column", msg)
		}
	})

	// Each run is checked the same way: every row, the counts, the chart,
	// the filter and the download.
	check := func(t *testing.T, mode string) {
		var gotMode string
		run(t, ctx, "reading the mode", choose("filter", "all"), choose("page-size", "1000"),
			chromedp.Evaluate(`document.body.dataset.mode`, &gotMode))
		if gotMode != mode {
			t.Fatalf("the page classified %q, want %q", gotMode, mode)
		}
		checkRows(t, tableRows(t, ctx), want, flows.labels, all)

		perClass, perVerdict := map[string]int{}, map[string]int{}
		for _, p := range want {
			perClass[p.label]++
			perVerdict[p.verdict]++
		}
		var classRows, verdictRows [][]string
		var bars [][]string
		run(t, ctx, "reading the counts",
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#counts-class tbody tr')).map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])`, &classRows),
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#counts-verdict tbody tr')).map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])`, &verdictRows),
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#chart-svg rect')).map(r => [r.dataset.name, r.dataset.count])`, &bars))
		total := 0
		for _, r := range classRows {
			if n, _ := strconv.Atoi(r[1]); n != perClass[r[0]] {
				t.Errorf("class %q counted %s, want %d", r[0], r[1], perClass[r[0]])
			}
			total += perClass[r[0]]
		}
		if total != len(want) {
			t.Errorf("the class counts cover %d flows, want %d (a class is missing)", total, len(want))
		}
		for _, r := range verdictRows {
			if n, _ := strconv.Atoi(r[1]); n != perVerdict[r[0]] {
				t.Errorf("verdict %q counted %s, want %d", r[0], r[1], perVerdict[r[0]])
			}
		}
		if len(bars) != len(classRows)+len(verdictRows) {
			t.Errorf("the chart has %d bars, want %d", len(bars), len(classRows)+len(verdictRows))
		}
		for _, b := range bars {
			want, ok := perClass[b[0]]
			if !ok {
				want = perVerdict[b[0]]
			}
			if b[1] != strconv.Itoa(want) {
				t.Errorf("chart bar %q is %s, want %d", b[0], b[1], want)
			}
		}

		for _, v := range []string{"malicious", "anomalous", "benign"} {
			var which []int
			for i, p := range want {
				if p.verdict == v {
					which = append(which, i+1)
				}
			}
			run(t, ctx, "filtering by "+v, choose("filter", v))
			checkRows(t, tableRows(t, ctx), want, flows.labels, which)
		}

		run(t, ctx, "paging", choose("filter", "all"), choose("page-size", "100"), chromedp.Click("#next", chromedp.ByID))
		checkRows(t, tableRows(t, ctx), want, flows.labels, all[100:200])

		// The download holds every row of the view at full precision.
		os.RemoveAll(downloads)
		run(t, ctx, "downloading", chromedp.Click("#download", chromedp.ByID))
		got := waitFile(t, filepath.Join(downloads, "flows-results.csv"))
		recs, err := csv.NewReader(bytes.NewReader(got)).ReadAll()
		if err != nil {
			t.Fatalf("the download is not CSV: %v", err)
		}
		if strings.Join(recs[0], ",") != "row,label,probability,outlier_score,verdict,true_label" || len(recs) != len(want)+1 {
			t.Fatalf("download header %q and %d rows, want flowsense predict's columns, true_label and %d rows", recs[0], len(recs)-1, len(want))
		}
		for i, r := range recs[1:] {
			prob, _ := strconv.ParseFloat(r[2], 64)
			score, _ := strconv.ParseFloat(r[3], 64)
			if r[0] != strconv.Itoa(i+1) || r[1] != want[i].label || !near(prob, want[i].prob, 1e-9) || !near(score, want[i].score, 1e-9) ||
				r[4] != want[i].verdict || r[5] != flows.labels[i] {
				t.Fatalf("download row %d: %q, want %v (true label %q)", i+1, r, want[i], flows.labels[i])
			}
		}

		var pwned string
		run(t, ctx, "checking the HTML label stayed text", chromedp.Evaluate(`document.body.dataset.pwned || ''`, &pwned))
		if pwned != "" {
			t.Errorf("a label in the CSV ran as HTML")
		}
	}

	t.Run("in the browser", func(t *testing.T) {
		run(t, ctx, "uploading", chromedp.SetUploadFiles("#file", []string{file}, chromedp.ByID))
		waitRun(t, ctx, 1)
		check(t, "browser")

		run(t, ctx, "showing the first page", choose("filter", "all"), choose("page-size", "50"))
		var shot []byte
		run(t, ctx, "taking a screenshot", chromedp.FullScreenshot(&shot, 100))
		keepScreenshot(t, dir, shot)
	})

	t.Run("on the server", func(t *testing.T) {
		run(t, ctx, "switching to the server", chromedp.Click("#server-side", chromedp.ByID))
		waitRun(t, ctx, 2)
		check(t, "server")
	})

	// A file dropped on the drop zone, gzip-compressed: the same rows. The
	// drop is a synthetic DragEvent carrying the file (chromedp has no
	// native file drag); it goes through the page's drop handler.
	t.Run("drop a gzip file", func(t *testing.T) {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write([]byte(flows.text))
		zw.Close()
		b64 := base64.StdEncoding.EncodeToString(gz.Bytes())
		run(t, ctx, "dropping", chromedp.Evaluate(fmt.Sprintf(`(() => {
			const bytes = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
			const dt = new DataTransfer();
			dt.items.add(new File([bytes], 'dropped.csv.gz', {type: 'application/gzip'}));
			document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
		})()`, b64), nil))
		waitRun(t, ctx, 3)
		var note string
		run(t, ctx, "reading the table", choose("filter", "all"), choose("page-size", "1000"), chromedp.Text("#summary-note", &note, chromedp.ByID))
		if !strings.Contains(note, "dropped.csv.gz") {
			t.Errorf("summary %q does not name the dropped file", note)
		}
		checkRows(t, tableRows(t, ctx), want, flows.labels, all)
	})

	// 100,000 rows: the page reports progress while it works, shows one
	// page of rows, and its counts equal flowsense predict's.
	t.Run("large file", func(t *testing.T) {
		big := makeFlows(t, 100_000, 3, true)
		path := filepath.Join(dir, "big.csv")
		if err := os.WriteFile(path, []byte(big.text), 0o644); err != nil {
			t.Fatal(err)
		}
		bigWant := predictFile(t, wasmBytes, path)
		perVerdict := map[string]int{}
		for _, p := range bigWant {
			perVerdict[p.verdict]++
		}
		// The switch is on from the subtest before: upload, then switch.
		for i, mode := range []string{"server", "browser"} {
			start := time.Now()
			var steps []string
			act := chromedp.SetUploadFiles("#file", []string{path}, chromedp.ByID)
			if mode == "browser" {
				act = chromedp.Click("#server-side", chromedp.ByID)
			}
			run(t, ctx, "classifying 100k rows",
				chromedp.Evaluate(`window.steps = []; new MutationObserver(() => window.steps.push(document.getElementById('status').textContent))
					.observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true}); 0`, nil),
				act)
			waitRun(t, ctx, 4+i)
			elapsed := time.Since(start)
			var verdictRows [][]string
			var shown int
			run(t, ctx, "reading the counts", choose("filter", "all"), choose("page-size", "100"),
				chromedp.Evaluate(`window.steps`, &steps),
				chromedp.Evaluate(`document.querySelectorAll('#results tbody tr').length`, &shown),
				chromedp.Evaluate(`Array.from(document.querySelectorAll('#counts-verdict tbody tr')).map(tr => [tr.cells[0].textContent, tr.cells[1].textContent])`, &verdictRows))
			total := 0
			for _, r := range verdictRows {
				n, _ := strconv.Atoi(r[1])
				total += n
				if n != perVerdict[r[0]] {
					t.Errorf("%s: verdict %q counted %d, want %d", mode, r[0], n, perVerdict[r[0]])
				}
			}
			var gotMode string
			run(t, ctx, "reading the mode", chromedp.Evaluate(`document.body.dataset.mode`, &gotMode))
			if gotMode != mode {
				t.Errorf("the page classified %q, want %q", gotMode, mode)
			}
			if total != len(bigWant) || shown != 100 {
				t.Errorf("%s: %d flows counted and %d rows shown, want %d and one page of 100", mode, total, shown, len(bigWant))
			}
			progress := 0
			for _, s := range steps {
				if strings.HasSuffix(s, "%") {
					progress++
				}
			}
			if progress < 2 {
				t.Errorf("%s: the page reported no progress on 100k rows: %q", mode, steps)
			}
			t.Logf("%s: 100k rows (%d bytes) read and classified in %v, %d progress updates", mode, len(big.text), elapsed.Round(time.Millisecond), progress)
		}
	})
}

// waitFile waits for a downloaded file to appear complete.
func waitFile(t *testing.T, path string) []byte {
	t.Helper()
	deadline := time.Now().Add(guard)
	for time.Now().Before(deadline) {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return b
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	t.Fatalf("no download at %s (the directory holds %v)", path, entries)
	return nil
}

// keepScreenshot checks the screenshot is a rendered page and keeps it in
// the test's directory, FLOWSENSE_SCREENSHOT_DIR and with -update testdata.
func keepScreenshot(t *testing.T, dir string, shot []byte) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if r := img.Bounds(); r.Dx() < 800 || r.Dy() < 1000 {
		t.Errorf("the screenshot is %dx%d: the page did not lay out", r.Dx(), r.Dy())
	}
	paths := []string{filepath.Join(dir, "screenshot.png")}
	if d := os.Getenv("FLOWSENSE_SCREENSHOT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, filepath.Join(d, "web.png"))
	}
	if *update {
		paths = append(paths, filepath.Join("testdata", "screenshot.png"))
	}
	for _, p := range paths {
		if err := os.WriteFile(p, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}
}
