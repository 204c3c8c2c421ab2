//go:build browser

package web_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/flowsense/flowsense/extract/extracttest"
	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// The capture tests upload packet captures to the page and check that what
// it shows is what `flowsense extract` and the Go classifier give for the
// same file, and that no request carries the capture:
//
//	go test -tags browser -run CaptureInChromium ./functions/web/
//	go test -tags 'browser realdata' -run CaptureRealDataInChromium ./functions/web/

// trainCICModel trains a small model on synthetic flows in the columns of
// the CIC-IDS2017 sample (flowdata/synth), the columns `flowsense extract`
// writes, and compiles it.
func trainCICModel(t testing.TB, dir string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := synth.Write(&b, synth.Options{Rows: 3000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "cic-train.csv")
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := trainer.DefaultConfig()
	cfg.Data = []string{path}
	cfg.Read.Format = flowdata.FormatAuto
	cfg.Boost.Rounds = 15
	cfg.Name = "pcap-test"
	res, err := trainer.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := compiler.Compile(res.Model)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// flowsenseBin builds cmd/flowsense once for the test binary; TestMain
// removes it with the shared page (parityPage.cleanup).
var flowsenseBin = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "flowsense-web-bin")
	if err != nil {
		return "", err
	}
	parityPage.cleanup = append(parityPage.cleanup, func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "flowsense")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/flowsense/flowsense/cmd/flowsense")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/flowsense: %v\n%s", err, out)
	}
	return bin, nil
})

// extracted is a capture as `flowsense extract` and the Go classifier see it.
type extracted struct {
	csv   []byte
	keys  [][]string // Flow ID, Src IP, Src Port, Dst IP, Dst Port, Protocol, Timestamp of each row
	preds []prediction
}

// extractCLI runs `flowsense extract --pcap FILE --out CSV` and classifies
// the CSV as `flowsense predict` does (predictFile).
func extractCLI(t *testing.T, wasmBytes []byte, capture, dir string) extracted {
	t.Helper()
	bin, err := flowsenseBin()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, filepath.Base(capture)+".csv")
	if b, err := exec.Command(bin, "extract", "--pcap", capture, "--out", out).CombinedOutput(); err != nil {
		t.Fatalf("flowsense extract --pcap %s: %v\n%s", capture, err, b)
	}
	text, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(text)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var keys [][]string
	for _, r := range recs[1:] {
		keys = append(keys, r[1:8])
	}
	return extracted{csv: text, keys: keys, preds: predictFile(t, wasmBytes, out)}
}

// recorder wraps the function and keeps every request that reaches it,
// with its body, so that a test can say what left the browser.
type recorder struct {
	next http.Handler
	mu   sync.Mutex
	reqs []seen
}

type seen struct {
	method, path, ctype string
	body                []byte
	host                string
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	r.reqs = append(r.reqs, seen{req.Method, req.URL.Path, req.Header.Get("Content-Type"), body, req.Host})
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(w, req)
}

// proxy is the browser's HTTP proxy (for loopback too): every request the
// browser makes, from the page or its worker, to any origin, passes here
// and is kept with its body; requests for the function are forwarded to
// it, any other is refused (this machine has no network anyway).
type proxy struct {
	recorder
	target string // host:port of the function
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	p.mu.Lock()
	p.reqs = append(p.reqs, seen{req.Method, req.URL.Path, req.Header.Get("Content-Type"), body, req.Host})
	p.mu.Unlock()
	if req.Method == http.MethodConnect || req.URL.Host != p.target {
		http.Error(w, "the test proxy forwards to the function only", http.StatusBadGateway)
		return
	}
	out, err := http.NewRequestWithContext(req.Context(), req.Method, req.URL.String(), bytes.NewReader(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	out.Header = req.Header.Clone()
	out.Header.Del("Proxy-Connection")
	resp, err := http.DefaultTransport.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	for k, v := range resp.Header {
		w.Header()[k] = v
	}
	w.WriteHeader(resp.StatusCode)
	io.Copy(w, resp.Body)
}

// take returns the requests since the last call.
func (r *recorder) take() []seen {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.reqs
	r.reqs = nil
	return out
}

// carries reports whether body holds a piece of the capture: any of its
// 32-byte windows at a stride (the whole file for small captures).
func carries(body, capture []byte) bool {
	if len(body) == 0 {
		return false
	}
	if bytes.Contains(body, capture) {
		return true
	}
	stride := max(32, len(capture)/2048)
	for k := 0; k+32 <= len(capture); k += stride {
		if bytes.Contains(body, capture[k:k+32]) {
			return true
		}
	}
	return false
}

// capturePage is the page open on a function serving a CICFlowMeter model,
// in a browser whose every request goes through a recording proxy, and
// with every request that reaches the function recorded too.
type capturePage struct {
	t    *testing.T
	ctx  context.Context
	srv  *functions.Server
	url  string
	rec  *recorder // what reached the function
	px   *proxy    // what left the browser
	wasm []byte
	dir  string
	runs int
	// modules counts the fetches of the extractor module.
	modules int
	// downloads, when set, is where the browser saves downloads, and each
	// check downloads the results.
	downloads string
}

func openCapturePage(t *testing.T) *capturePage {
	dir := t.TempDir()
	wasmBytes := trainCICModel(t, dir)
	// Limits that take the largest shared capture (37,669 flows) in one
	// POST /predict, to compare with.
	srv, err := functions.New(context.Background(), wasmBytes, functions.WithMaxFlows(100_000), functions.WithMaxBodyBytes(64<<20))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close(context.Background()) })
	rec := &recorder{next: srv}
	hs := httptest.NewServer(rec)
	t.Cleanup(hs.Close)
	px := &proxy{target: strings.TrimPrefix(hs.URL, "http://")}
	ps := httptest.NewServer(px)
	t.Cleanup(ps.Close)
	p := &capturePage{t: t, srv: srv, url: hs.URL, rec: rec, px: px, wasm: wasmBytes, dir: dir}
	// "<-loopback>" takes loopback out of Chromium's implicit proxy bypass.
	p.ctx = newBrowser(t, dir, chromedp.ProxyServer(ps.URL), chromedp.Flag("proxy-bypass-list", "<-loopback>"))
	p.downloads = filepath.Join(dir, "downloads")
	run(t, p.ctx, "opening the page",
		browser.SetDownloadBehavior(browser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(p.downloads),
		chromedp.Navigate(hs.URL+"/"),
		chromedp.Poll(`document.body.dataset.state === 'ready' || document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)))
	var state string
	run(t, p.ctx, "reading the state", chromedp.Evaluate(`document.body.dataset.state`, &state))
	if state != "ready" {
		t.Fatalf("the page is %q after loading", state)
	}
	// The page keeps no extraction; the test keeps the last one to compare
	// (app.js looks flowsensePcap.extract up on every run).
	run(t, p.ctx, "watching the extractor", chromedp.Evaluate(`(() => {
		const extract = window.flowsensePcap.extract;
		window.flowsensePcap.extract = async (...args) => {
			const r = await extract(...args);
			window.lastCapture = r;
			return r;
		};
	})()`, nil))
	if got, at := p.ours(px.take()), rec.take(); len(got) == 0 || len(got) != len(at) {
		t.Fatalf("loading the page: %d requests for the function through the proxy, %d at the function: %v", len(got), len(at), got)
	}
	return p
}

// pageFlows is what the page shows and keeps for one capture.
type pageFlows struct {
	rows  [][]string // row, label, probability, outlier score, verdict, flow
	ids   []string   // the flow cells' Flow IDs
	csv   string     // the extractor's CSV (as extract gave it, Label column renamed back)
	flows []functions.FlowKey
	mode  string
}

func (p *capturePage) read(t *testing.T) pageFlows {
	t.Helper()
	var got pageFlows
	var flowsJSON string
	run(t, p.ctx, "reading the page", choose("filter", "all"), choose("page-size", "1000"),
		chromedp.Evaluate(`window.lastCapture ? window.lastCapture.csv : ''`, &got.csv),
		chromedp.Evaluate(`JSON.stringify(window.lastCapture ? window.lastCapture.flows : null)`, &flowsJSON),
		chromedp.Evaluate(`document.body.dataset.mode`, &got.mode))
	if err := json.Unmarshal([]byte(flowsJSON), &got.flows); err != nil {
		t.Fatalf("the page's flows: %v", err)
	}
	// pcap.js renames the extractor's Label column (CICFlowMeter's
	// placeholder) in the header only; undo that to compare the extractor.
	if head, rest, ok := strings.Cut(got.csv, "\n"); ok {
		got.csv = strings.Replace(head, ",Extractor Label,Attempted Category", ",Label,Attempted Category", 1) + "\n" + rest
	}
	// Every page of the table, 1000 rows at a time.
	for {
		var rows [][]string
		var ids []string
		var last bool
		run(t, p.ctx, "reading a page of the table",
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#results tbody tr')).map(tr => Array.from(tr.cells).map(td => td.textContent))`, &rows),
			chromedp.Evaluate(`Array.from(document.querySelectorAll('#results tbody td.flow')).map(td => td.dataset.id)`, &ids),
			chromedp.Evaluate(`document.getElementById('next').disabled`, &last))
		got.rows, got.ids = append(got.rows, rows...), append(got.ids, ids...)
		if last {
			break
		}
		// the next page is drawn after the click's handler has run: wait
		// for its page line, or this page is read twice (CI once read 38,669
		// rows of 37,669 flows)
		var info string
		run(t, p.ctx, "reading the page line", chromedp.Text("#page-info", &info, chromedp.ByID))
		before, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		run(t, p.ctx, "next page", chromedp.Click("#next", chromedp.ByID),
			chromedp.Poll(`document.getElementById('page-info').textContent !== `+string(before), nil, chromedp.WithPollingTimeout(guard)))
	}
	return got
}

// refused uploads a capture of more flows than the page takes (POST
// /predict's limit) and checks the one line the page shows.
func (p *capturePage) refused(t *testing.T, path, want string) {
	t.Helper()
	var msg string
	run(t, p.ctx, "uploading "+filepath.Base(path),
		chromedp.SetUploadFiles("#file", []string{path}, chromedp.ByID),
		chromedp.Poll(`document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)),
		chromedp.Text("#error", &msg, chromedp.ByID))
	if !strings.HasPrefix(msg, want) {
		t.Errorf("the page says %q, want %q...", msg, want)
	}
}

// pageMaxFlows is pcapwasm.MaxFlows (a program, not importable): the
// refusal's message names it, so a change there fails the test here.
const pageMaxFlows = 100_000

// upload chooses the file in the file input, or drops it on the page.
func (p *capturePage) upload(t *testing.T, path string, drop bool) {
	t.Helper()
	path, err := filepath.Abs(path) // the browser resolves paths from its own directory
	if err != nil {
		t.Fatal(err)
	}
	if !drop {
		run(t, p.ctx, "uploading "+path, chromedp.SetUploadFiles("#file", []string{path}, chromedp.ByID))
	} else {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		run(t, p.ctx, "dropping "+path, chromedp.Evaluate(fmt.Sprintf(`(() => {
			const bytes = Uint8Array.from(atob(%q), c => c.charCodeAt(0));
			const dt = new DataTransfer();
			dt.items.add(new File([bytes], %q));
			document.getElementById('drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
		})()`, base64.StdEncoding.EncodeToString(b), filepath.Base(path)), nil))
	}
	p.runs++
	waitRun(t, p.ctx, p.runs)
}

// check uploads a capture and compares the page with flowsense extract,
// the Go classifier and POST /predict, then what reached the network.
func (p *capturePage) check(t *testing.T, path string, drop bool) {
	t.Helper()
	capture, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := extractCLI(t, p.wasm, path, t.TempDir())
	p.rec.take()
	p.px.take()
	run(t, p.ctx, "watching the status", chromedp.Evaluate(`window.steps = []; new MutationObserver(() => window.steps.push(document.getElementById('status').textContent))
		.observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true}); 0`, nil))
	start := time.Now()
	p.upload(t, path, drop)
	elapsed := time.Since(start)
	var steps []string
	run(t, p.ctx, "reading the status steps", chromedp.Evaluate(`window.steps`, &steps))
	if !slices.ContainsFunc(steps, func(s string) bool { return strings.HasPrefix(s, "extracting flows from "+filepath.Base(path)+" ") }) {
		t.Errorf("the page reported no extraction progress: %q", steps)
	}
	mode := "browser"
	if p.serverSide(t) {
		mode = "server"
	}
	got := p.read(t)
	pageReqs, atFunction := p.px.take(), p.rec.take()
	if got.mode != mode {
		t.Fatalf("the page classified %q, want %q", got.mode, mode)
	}

	// The extraction: the CSV flowsense extract writes, byte for byte.
	if got.csv != string(want.csv) {
		t.Errorf("the page's extractor wrote %d bytes, flowsense extract %d; they differ:\npage:\n%.600s\nflowsense extract:\n%.600s",
			len(got.csv), len(want.csv), got.csv, want.csv)
	}
	// The flows: as many, with the same keys, in the same order.
	if len(got.rows) != len(want.preds) || len(got.flows) != len(want.keys) || len(got.ids) != len(got.rows) {
		t.Fatalf("the page shows %d rows (%d flow cells) of %d flows, flowsense extract wrote %d and predict classified %d",
			len(got.rows), len(got.ids), len(got.flows), len(want.keys), len(want.preds))
	}
	bad := 0
	for i, k := range want.keys {
		f := got.flows[i]
		start := strings.Replace(strings.TrimSuffix(f.Start, "Z"), "T", " ", 1)
		if f.ID != k[0] || f.Src != k[1] || strconv.Itoa(int(f.SrcPort)) != k[2] || f.Dst != k[3] ||
			strconv.Itoa(int(f.DstPort)) != k[4] || strconv.Itoa(int(f.Protocol)) != k[5] || !strings.HasPrefix(k[6], start[:19]) ||
			got.ids[i] != k[0] {
			if bad++; bad <= 5 {
				t.Errorf("flow %d: the page has %+v (cell %q), flowsense extract %q", i+1, f, got.ids[i], k)
			}
		}
	}
	// The verdicts: every row as the Go classifier gives it.
	for i, w := range want.preds {
		cells := got.rows[i]
		if len(cells) != 6 {
			t.Fatalf("row %d has %d cells, want 6 (row, label, probability, score, verdict, flow): %q", i+1, len(cells), cells)
		}
		prob, err1 := strconv.ParseFloat(cells[2], 64)
		score, err2 := strconv.ParseFloat(cells[3], 64)
		if err1 != nil || err2 != nil || cells[0] != strconv.Itoa(i+1) || cells[1] != w.label || cells[4] != w.verdict ||
			!near(prob, w.prob, 1e-5) || !near(score, w.score, 1e-5) {
			if bad++; bad <= 5 {
				t.Errorf("row %d: the page shows %q, flowsense predict %v", i+1, cells, w)
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d flows differ", bad, len(want.preds))
	}
	// The download: every row with its flow's key.
	if p.downloads != "" {
		os.RemoveAll(p.downloads)
		run(t, p.ctx, "downloading", chromedp.Click("#download", chromedp.ByID))
		// named as the page names it: without .csv, .txt or .gz
		base := regexp.MustCompile(`(?i)\.(csv|txt|gz)$`).ReplaceAllString(filepath.Base(path), "")
		dl := waitFile(t, filepath.Join(p.downloads, base+"-results.csv"))
		recs, err := csv.NewReader(bytes.NewReader(dl)).ReadAll()
		if err != nil {
			t.Fatalf("the download is not CSV: %v", err)
		}
		if h := strings.Join(recs[0], ","); h != "row,label,probability,outlier_score,verdict,Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp" || len(recs) != len(want.preds)+1 {
			t.Fatalf("download header %q and %d rows, want %d", h, len(recs)-1, len(want.preds))
		}
		for i, r := range recs[1:] {
			k, f := want.keys[i], got.flows[i]
			if r[0] != strconv.Itoa(i+1) || r[1] != want.preds[i].label || r[4] != want.preds[i].verdict ||
				!slices.Equal(r[5:11], k[:6]) || r[11] != f.Start {
				t.Fatalf("download row %d: %q, want %v and the key %q", i+1, r, want.preds[i], k)
			}
		}
	}
	// The keys POST /predict answers for the same capture, field for field.
	resp := postCapture(t, p.url, capture)
	if len(resp) != len(got.flows) {
		t.Fatalf("POST /predict found %d flows, the page %d", len(resp), len(got.flows))
	}
	for i := range resp {
		if resp[i].Flow != got.flows[i] || resp[i].Label != want.preds[i].label || resp[i].Verdict != want.preds[i].verdict {
			t.Errorf("flow %d: POST /predict %+v %s %s, the page %+v", i+1, resp[i].Flow, resp[i].Label, resp[i].Verdict, got.flows[i])
		}
	}
	p.checkNetwork(t, pageReqs, atFunction, capture, mode)
	labels := map[string]int{}
	for _, w := range want.preds {
		labels[w.label+"/"+w.verdict]++
	}
	t.Logf("%s: %d bytes, %d flows, extracted and classified in the %s in %v as flowsense extract + predict do: %v",
		filepath.Base(path), len(capture), len(got.flows), mode, elapsed.Round(time.Millisecond), labels)
}

func (p *capturePage) serverSide(t *testing.T) bool {
	var on bool
	run(t, p.ctx, "reading the switch", chromedp.Evaluate(`document.getElementById('server-side').checked`, &on))
	return on
}

// ours keeps the requests for the function. The others are Chromium's
// own (its component updater asks update.googleapis.com and
// clients2.google.com despite --disable-component-update): the page's
// Content-Security-Policy allows it no other origin.
func (p *capturePage) ours(reqs []seen) []seen {
	var out []seen
	for _, r := range reqs {
		if r.host == strings.TrimPrefix(p.url, "http://") {
			out = append(out, r)
		}
	}
	return out
}

// checkNetwork: no request of the run carries the capture. Classified in
// the browser the page sends no body at all and asks only for its own
// files; with the server switch it posts the extracted flows as CSV. reqs
// left the browser (the proxy), atFunction reached the function: the same
// number, or something went around the proxy.
func (p *capturePage) checkNetwork(t *testing.T, reqs, atFunction []seen, capture []byte, mode string) {
	t.Helper()
	var others []string
	for _, r := range reqs {
		if carries(r.body, capture) {
			t.Errorf("%s %s%s (%s, %d bytes) carries the capture", r.method, r.host, r.path, r.ctype, len(r.body))
		}
		if r.host != strings.TrimPrefix(p.url, "http://") {
			others = append(others, r.method+" "+r.host+r.path)
		}
	}
	reqs = p.ours(reqs)
	if len(reqs) != len(atFunction) {
		t.Errorf("%d requests for the function left the browser, %d reached it", len(reqs), len(atFunction))
	}
	var paths []string
	posts := 0
	for _, r := range reqs {
		paths = append(paths, r.method+" "+r.path)
		if r.path == "/static/extract.wasm" {
			p.modules++
		}
		if r.method == http.MethodPost {
			posts++
		}
		switch {
		case mode == "browser" && (r.method != http.MethodGet || len(r.body) > 0):
			t.Errorf("classifying in the browser, the page sent %s %s with %d bytes", r.method, r.path, len(r.body))
		case mode == "server" && r.method == http.MethodPost && (r.path != "/predict" || r.ctype != "text/csv"):
			t.Errorf("with the server switch, the page sent %s %s as %q", r.method, r.path, r.ctype)
		case r.method == http.MethodGet && !strings.HasPrefix(r.path, "/static/") && r.path != "/model" && r.path != "/model.wasm":
			t.Errorf("the page fetched %s", r.path)
		}
	}
	t.Logf("requests of the run: %q; Chromium's own: %q", paths, others)
	if mode == "server" && posts == 0 {
		t.Errorf("the server switch is on, but no flows reached /predict")
	}
	if p.modules != 1 {
		t.Errorf("the extractor module was fetched %d times so far, want once (the worker keeps it)", p.modules)
	}
}

// postCapture is the function's own extraction of the capture.
func postCapture(t *testing.T, url string, capture []byte) []functions.CaptureResult {
	t.Helper()
	resp, err := http.Post(url+"/predict", "application/vnd.tcpdump.pcap", bytes.NewReader(capture))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST /predict with the capture: %d %s", resp.StatusCode, body)
	}
	var out []functions.CaptureResult
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCaptureInChromium: extract's golden capture (TCP torn down and
// continued, DNS, ICMP, IPv6, a VLAN tag, GRE, fragments, packets out of
// order) and the project's benign captures, chosen in the file input and
// dropped gzip-compressed, are extracted and classified in the browser as
// flowsense extract and the Go classifier do; then again with the server
// switch on; a truncated capture is refused naming the packet; a CSV after
// a capture is shown without the flow column.
func TestCaptureInChromium(t *testing.T) {
	p := openCapturePage(t)
	mixed := filepath.Join("..", "..", "extract", "testdata", "mixed.pcap")
	raw, err := os.ReadFile(mixed)
	if err != nil {
		t.Fatal(err)
	}
	gzPath := filepath.Join(p.dir, "mixed.pcap.gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw)
	zw.Close()
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Run("in the browser", func(t *testing.T) {
		p.check(t, mixed, false)
		p.check(t, gzPath, true)
		for _, name := range []string{"web.pcap", "dns.pcap", "download.pcap"} {
			p.check(t, filepath.Join("..", "..", "extract", "testdata", "benign", name), false)
		}
		p.check(t, mixed, false)
		var shot []byte
		run(t, p.ctx, "taking a screenshot", choose("page-size", "50"), chromedp.FullScreenshot(&shot, 100))
		shotPath := filepath.Join(p.dir, "capture.png")
		if d := os.Getenv("FLOWSENSE_SCREENSHOT_DIR"); d != "" {
			shotPath = filepath.Join(d, "web-capture.png")
		}
		paths := []string{shotPath}
		if *update {
			paths = append(paths, filepath.Join("testdata", "capture.png"))
		}
		for _, sp := range paths {
			if err := os.WriteFile(sp, shot, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Logf("screenshot: %s", sp)
		}
	})
	t.Run("on the server", func(t *testing.T) {
		run(t, p.ctx, "switching to the server", chromedp.Click("#server-side", chromedp.ByID))
		p.runs++ // the switch classifies the last file again
		waitRun(t, p.ctx, p.runs)
		p.check(t, mixed, false)
		run(t, p.ctx, "switching back", chromedp.Click("#server-side", chromedp.ByID))
		p.runs++
		waitRun(t, p.ctx, p.runs)
	})
	t.Run("truncated", func(t *testing.T) {
		bad := filepath.Join(p.dir, "cut.pcap")
		if err := os.WriteFile(bad, raw[:len(raw)-7], 0o644); err != nil {
			t.Fatal(err)
		}
		bin, err := flowsenseBin()
		if err != nil {
			t.Fatal(err)
		}
		cli, _ := exec.Command(bin, "extract", "--pcap", bad, "--out", filepath.Join(p.dir, "cut.csv")).CombinedOutput()
		var msg string
		run(t, p.ctx, "uploading a truncated capture",
			chromedp.SetUploadFiles("#file", []string{bad}, chromedp.ByID),
			chromedp.Poll(`document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.Text("#error", &msg, chromedp.ByID))
		if !strings.Contains(msg, "cut.pcap: packet ") || !strings.Contains(msg, "capture truncated") {
			t.Errorf("the page says %q for a truncated capture; flowsense extract says %q", msg, cli)
		}
	})
	t.Run("too many flows", func(t *testing.T) {
		path := filepath.Join(p.dir, "many.pcap")
		if err := os.WriteFile(path, extracttest.UDPFlows(pageMaxFlows+1), 0o644); err != nil {
			t.Fatal(err)
		}
		p.refused(t, path, "many.pcap: too many flows: more than 100000 in one capture")
	})
	t.Run("no IP flow", func(t *testing.T) {
		// a pcap header and one ARP frame
		arp := make([]byte, 24+16+42)
		copy(arp, []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0})
		arp[16], arp[17], arp[20] = 0xff, 0xff, 1
		arp[24+8], arp[24+12] = 42, 42
		arp[24+16+12], arp[24+16+13] = 0x08, 0x06
		path := filepath.Join(p.dir, "arp.pcap")
		if err := os.WriteFile(path, arp, 0o644); err != nil {
			t.Fatal(err)
		}
		var msg string
		run(t, p.ctx, "uploading a capture without IP",
			chromedp.SetUploadFiles("#file", []string{path}, chromedp.ByID),
			chromedp.Poll(`document.body.dataset.state === 'error'`, nil, chromedp.WithPollingTimeout(guard)),
			chromedp.Text("#error", &msg, chromedp.ByID))
		if want := "arp.pcap: the capture holds no IP flow (1 packets: 1 not IP, 0 malformed)"; msg != want {
			t.Errorf("the page says %q, want %q", msg, want)
		}
	})
	t.Run("a CSV after a capture", func(t *testing.T) {
		var b bytes.Buffer
		if err := synth.Write(&b, synth.Options{Rows: 50, Seed: 4}); err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		var labels []string
		var all []int
		for i, r := range recs[1:] {
			labels = append(labels, r[len(r)-1])
			all = append(all, i+1)
		}
		path := filepath.Join(p.dir, "flows.csv")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		p.upload(t, path, false)
		var th, td int
		run(t, p.ctx, "counting flow cells", choose("page-size", "100"),
			chromedp.Evaluate(`document.querySelectorAll('#results th.flow').length`, &th),
			chromedp.Evaluate(`document.querySelectorAll('#results td.flow').length`, &td))
		if th != 0 || td != 0 {
			t.Errorf("a CSV is shown with %d flow headers and %d flow cells", th, td)
		}
		checkRows(t, tableRows(t, p.ctx), predictFile(t, p.wasm, path), labels, all)
	})
}
