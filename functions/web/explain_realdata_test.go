//go:build browser && realdata

package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/internal/realdata"
	"github.com/flowsense/flowsense/wasm/host"
)

// TestExplainRealDataInChromium: a model trained on the CIC-IDS2017
// sample by flowsense train and compiled with --explain, its whole test
// file (10,854 flows, gzip) uploaded to the page: the per-class means are
// computed over every flow (the time is logged), the class chart's long
// names ("Web Attack - Brute Force", "Infiltration - Portscan") fit, and
// clicked flows' bars equal flowsense predict --explain to 1e-6.
//
//	go test -tags 'browser realdata' -run ExplainRealData -v ./functions/web/
func TestExplainRealDataInChromium(t *testing.T) {
	dir := t.TempDir()
	bin := buildCLI(t, dir)
	train, test := realdata.File(t, "cicids2017/train.csv.gz"), realdata.File(t, "cicids2017/test.csv.gz")
	mdir := filepath.Join(dir, "cic")
	trainCmd := exec.Command(bin, "train", "--data", train, "--test", test, "--out", mdir, "--quiet")
	trainCmd.Env = append(os.Environ(), "FLOWSENSE_RUNS="+filepath.Join(dir, "runs")) // its run record, not in the package
	if out, err := trainCmd.CombinedOutput(); err != nil {
		t.Fatalf("flowsense train: %v\n%s", err, out)
	}
	module := filepath.Join(dir, "explain.wasm")
	if out, err := exec.Command(bin, "compile", "--model", mdir, "--explain", "--out", module).CombinedOutput(); err != nil {
		t.Fatalf("flowsense compile --explain: %v\n%s", err, out)
	}
	wasmBytes, err := os.ReadFile(module)
	if err != nil {
		t.Fatal(err)
	}
	ctx0 := context.Background()
	mod, err := host.Load(ctx0, wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	md := mod.Metadata()
	mod.Close(ctx0)
	lines := predictExplain(t, bin, module, test, 10)
	srv, err := functions.New(ctx0, wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close(ctx0)
	hs := httptest.NewServer(srv)
	defer hs.Close()

	ctx := newBrowser(t, dir)
	run(t, ctx, "opening the page", chromedp.Navigate(hs.URL+"/"),
		chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)))
	run(t, ctx, "uploading", chromedp.SetUploadFiles("#file", []string{test}, chromedp.ByID))
	waitRun(t, ctx, 1)
	var state, ms string
	run(t, ctx, "waiting for the per-class means",
		chromedp.Poll(`document.getElementById('importance-box').dataset.state !== 'working'`, nil, chromedp.WithPollingTimeout(guard)),
		chromedp.Evaluate(`document.getElementById('importance-box').dataset.state`, &state),
		chromedp.Evaluate(`document.getElementById('importance-box').dataset.ms || ''`, &ms))
	if state != "done" {
		t.Fatalf("per-class means: state %q", state)
	}
	t.Logf("CIC-IDS2017 test file: %d flows explained in the browser in %s ms (%d trees, module of %d bytes with the export)", len(lines), ms, md.Trees, len(wasmBytes))
	run(t, ctx, "showing 1000 rows", choose("filter", "all"), choose("page-size", "1000"))
	for _, i := range []int{0, 1, 2, 500, 999} {
		clickAndCheck(t, ctx, md, lines, i)
	}
	var bad, labels []string
	run(t, ctx, "looking for clipped labels", chromedp.Evaluate(clipped, &bad),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('#chart-svg text')).map(t => t.textContent)`, &labels))
	if len(bad) > 0 {
		t.Errorf("chart labels outside their SVG: %q", bad)
	}
	if !strings.Contains(strings.Join(labels, "\n"), "Web Attack - Brute Force") {
		t.Errorf("the class chart lacks the long class names: %q", labels)
	}
	run(t, ctx, "showing one page", choose("page-size", "50"))
	clickAndCheck(t, ctx, md, lines, 3)
	var shot []byte
	run(t, ctx, "taking a screenshot", chromedp.FullScreenshot(&shot, 100))
	os.WriteFile(filepath.Join(dir, "explain-cic.png"), shot, 0o644)
	if d := os.Getenv("FLOWSENSE_SCREENSHOT_DIR"); d != "" {
		os.MkdirAll(d, 0o755)
		os.WriteFile(filepath.Join(d, "web-explain-cic.png"), shot, 0o644)
	}
}
