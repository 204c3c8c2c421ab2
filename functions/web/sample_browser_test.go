//go:build browser

package web_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/flowsense/flowsense/functions"
)

// TestSampleInChromium: a function serving a sample (functions.WithSample)
// shows a "classify the sample" button; one click classifies the sample
// in the browser, row for row as flowsense predict does. A function
// without one shows no button.
func TestSampleInChromium(t *testing.T) {
	dir := t.TempDir()
	wasmBytes := trainModel(t, dir)
	flows := makeFlows(t, 300, 3, false)
	sample, err := functions.SampleOf(strings.NewReader(flows.text), 40)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "sample.csv")
	if err := os.WriteFile(file, sample, 0o644); err != nil {
		t.Fatal(err)
	}
	want := predictFile(t, wasmBytes, file)
	if len(want) != 40 {
		t.Fatalf("the sample has %d rows, want 40", len(want))
	}
	with, err := functions.New(context.Background(), wasmBytes, functions.WithSample(sample))
	if err != nil {
		t.Fatal(err)
	}
	defer with.Close(context.Background())
	without, err := functions.New(context.Background(), wasmBytes)
	if err != nil {
		t.Fatal(err)
	}
	defer without.Close(context.Background())
	hsWith, hsWithout := httptest.NewServer(with), httptest.NewServer(without)
	defer hsWith.Close()
	defer hsWithout.Close()

	ctx := newBrowser(t, dir)
	open := func(url string) (hidden bool, summaryHidden bool) {
		run(t, ctx, "opening "+url,
			chromedp.Navigate(url+"/"),
			chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.Evaluate(`document.getElementById('sample-box').hidden`, &hidden),
			chromedp.Evaluate(`document.getElementById('summary').hidden`, &summaryHidden))
		return hidden, summaryHidden
	}
	if hidden, _ := open(hsWithout.URL); !hidden {
		t.Error("a function without a sample shows the sample button")
	}
	hidden, summaryHidden := open(hsWith.URL)
	if hidden || !summaryHidden {
		t.Fatalf("before the click: sample box hidden %v, summary hidden %v; want the button and no results", hidden, summaryHidden)
	}
	var href string
	run(t, ctx, "reading the link", chromedp.Evaluate(`document.getElementById('sample-link').href`, &href))
	if href != hsWith.URL+"/sample.csv" {
		t.Errorf("the sample link is %q, want %s/sample.csv", href, hsWith.URL)
	}
	run(t, ctx, "clicking the sample", chromedp.Click("#sample", chromedp.ByID))
	waitRun(t, ctx, 1)
	all := make([]int, len(want))
	for i := range all {
		all[i] = i + 1
	}
	run(t, ctx, "showing every row", choose("page-size", "100"))
	checkRows(t, tableRows(t, ctx), want, flows.labels[:40], all)
	var status string
	run(t, ctx, "reading the status", chromedp.Text("#status", &status, chromedp.ByID))
	if status != "40 flows classified in the browser" {
		t.Errorf("status %q", status)
	}
}
