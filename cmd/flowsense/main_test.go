package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
)

// flowsense runs one command line in-process.
func flowsense(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

// trained returns a directory with generated flows and a model trained on
// them, made once per test binary.
var trainedDir string

func trained(t *testing.T) (dir, flows string) {
	t.Helper()
	if trainedDir == "" {
		d, err := os.MkdirTemp("", "flowsense-cli")
		if err != nil {
			t.Fatal(err)
		}
		flows := filepath.Join(d, "flows.csv")
		if code, _, e := flowsense(t, "gen", "--rows", "4000", "--seed", "7", "--out", flows); code != 0 {
			t.Fatalf("gen: %s", e)
		}
		if code, _, e := flowsense(t, "train", "--data", flows, "--out", filepath.Join(d, "model"), "--rounds", "20", "--quiet"); code != 0 {
			t.Fatalf("train: %s", e)
		}
		trainedDir = d
	}
	return trainedDir, filepath.Join(trainedDir, "flows.csv")
}

func TestMain(m *testing.M) {
	// Runs recorded by train and tune go to a temporary directory, not the
	// package's.
	runsDir, err := os.MkdirTemp("", "flowsense-runs")
	if err != nil {
		panic(err)
	}
	os.Setenv("FLOWSENSE_RUNS", runsDir)
	code := m.Run()
	os.RemoveAll(runsDir)
	if trainedDir != "" {
		os.RemoveAll(trainedDir)
	}
	os.Exit(code)
}

func TestTrainWritesModelMetricsReport(t *testing.T) {
	dir, _ := trained(t)
	for _, f := range []string{"model.json", "model.wasm", "metrics.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(dir, "model", f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	var met map[string]any
	b, _ := os.ReadFile(filepath.Join(dir, "model", "metrics.json"))
	if err := json.Unmarshal(b, &met); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"accuracy", "macro_f1", "weighted_f1", "classes", "per_class", "confusion", "roc_auc", "n_train", "n_test", "train_seconds", "model_bytes", "outlier"} {
		if _, ok := met[k]; !ok {
			t.Errorf("metrics.json lacks %q", k)
		}
	}
}

func TestEvalPrintsMetrics(t *testing.T) {
	dir, flows := trained(t)
	code, out, errOut := flowsense(t, "eval", "--model", filepath.Join(dir, "model"), "--data", flows)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var met struct {
		Accuracy float64 `json:"accuracy"`
		NTest    int     `json:"n_test"`
	}
	if err := json.Unmarshal([]byte(out), &met); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if met.NTest != 4000 || met.Accuracy < 0.9 {
		t.Errorf("n_test %d accuracy %v", met.NTest, met.Accuracy)
	}
}

func TestPredictCSV(t *testing.T) {
	dir, flows := trained(t)
	out := filepath.Join(t.TempDir(), "pred.csv")
	if code, _, e := flowsense(t, "predict", "--model", filepath.Join(dir, "model", "model.json"), "--data", flows, "--out", out); code != 0 {
		t.Fatal(e)
	}
	f, _ := os.Open(out)
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 4001 || strings.Join(recs[0], ",") != "row,label,probability,outlier_score,verdict" {
		t.Fatalf("%d records, header %v", len(recs), recs[0])
	}
	m, _ := model.ReadFile(filepath.Join(dir, "model", "model.json"))
	verdicts := map[string]bool{"benign": true, "malicious": true, "anomalous": true}
	for _, r := range recs[1:] {
		if !verdicts[r[4]] || !contains(m.Classes, r[1]) {
			t.Fatalf("bad record %v", r)
		}
	}
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

func TestInspect(t *testing.T) {
	dir, _ := trained(t)
	code, out, e := flowsense(t, "inspect", filepath.Join(dir, "model"))
	if code != 0 {
		t.Fatal(e)
	}
	for _, want := range []string{"classes:", "BENIGN", "ensemble:", "outlier:", "Mahalanobis"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
}

// Bad input: one line naming what and where, exit status 2, nothing left
// behind.
func TestBadInput(t *testing.T) {
	dir, flows := trained(t)
	tmp := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(tmp, name)
		os.WriteFile(p, b, 0o644)
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	raw, _ := os.ReadFile(flows)
	zw.Write(raw)
	zw.Close()
	truncated := write("flows.csv.gz", gz.Bytes()[:gz.Len()/2])
	lines := strings.SplitN(string(raw), "\n", 5)
	ragged := write("ragged.csv", []byte(strings.Join(lines[:3], "\n")+"\n1,2,3\n"))
	newer := filepath.Join(tmp, "newer")
	os.MkdirAll(newer, 0o755)
	mb, _ := os.ReadFile(filepath.Join(dir, "model", "model.json"))
	os.WriteFile(filepath.Join(newer, "model.json"), bytes.Replace(mb, []byte(`"format": 1`), []byte(`"format": 99`), 1), 0o644)

	tests := map[string]struct {
		args []string
		want []string // substrings of the one-line message
		out  string   // a path that must not exist afterwards
	}{
		"truncated gzip": {[]string{"train", "--data", truncated, "--out", filepath.Join(tmp, "o1")}, []string{"flows.csv.gz"}, filepath.Join(tmp, "o1")},
		"ragged row":     {[]string{"train", "--data", ragged, "--out", filepath.Join(tmp, "o2")}, []string{"ragged.csv:4:"}, filepath.Join(tmp, "o2")},
		"missing label":  {[]string{"train", "--data", flows, "--label", "Verdict", "--out", filepath.Join(tmp, "o3")}, []string{"Verdict"}, filepath.Join(tmp, "o3")},
		"newer model":    {[]string{"predict", "--model", newer, "--data", flows, "--out", filepath.Join(tmp, "p.csv")}, []string{"format 99", "model.json"}, filepath.Join(tmp, "p.csv")},
		"unknown option": {[]string{"train", "--dta", flows}, []string{"--dta"}, ""},
		"bad number":     {[]string{"train", "--data", flows, "--out", filepath.Join(tmp, "o4"), "--rounds", "many"}, []string{"--rounds"}, filepath.Join(tmp, "o4")},
		"missing file":   {[]string{"eval", "--model", filepath.Join(dir, "model"), "--data", filepath.Join(tmp, "none.csv")}, []string{"none.csv"}, ""},
		"bad label map":  {[]string{"train", "--data", flows, "--label-map", "kdd7", "--out", filepath.Join(tmp, "o5")}, []string{"kdd7"}, filepath.Join(tmp, "o5")},
		"unknown cmd":    {[]string{"tran"}, []string{"tran"}, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			code, _, e := flowsense(t, tc.args...)
			if code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, e)
			}
			first := strings.SplitN(e, "\n", 2)[0]
			for _, w := range tc.want {
				if !strings.Contains(first, w) {
					t.Errorf("message %q lacks %q", first, w)
				}
			}
			if tc.out != "" {
				if _, err := os.Stat(tc.out); err == nil {
					t.Errorf("%s was left behind", tc.out)
				}
			}
		})
	}
}

func TestSkipBad(t *testing.T) {
	_, flows := trained(t)
	raw, _ := os.ReadFile(flows)
	lines := strings.Split(string(raw), "\n")
	lines[5] = "1,2,3"                                      // ragged
	lines[9] = strings.Replace(lines[9], ",6,", ",six,", 1) // not a number
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte(strings.Join(lines, "\n")), 0o644)
	out := filepath.Join(t.TempDir(), "m")
	if code, _, _ := flowsense(t, "train", "--data", bad, "--out", out, "--rounds", "5", "--quiet"); code != 2 {
		t.Fatalf("without --skip-bad: exit %d, want 2", code)
	}
	code, stdout, e := flowsense(t, "train", "--data", bad, "--out", out, "--rounds", "5", "--quiet", "--skip-bad")
	if code != 0 {
		t.Fatalf("with --skip-bad: exit %d: %s", code, e)
	}
	if !strings.Contains(stdout, "skipped 2 malformed training rows") || !strings.Contains(stdout, "bad.csv:6:") {
		t.Errorf("the end of the run does not report the skipped rows:\n%s", stdout)
	}
}

// The compiled module and the native predictor give the same answers
// through predict; compile rewrites the same module train wrote.
func TestEnginesAgreeAndCompile(t *testing.T) {
	dir, flows := trained(t)
	tmp := t.TempDir()
	read := func(p string) [][]string {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs
	}
	wasmOut, nativeOut := filepath.Join(tmp, "w.csv"), filepath.Join(tmp, "n.csv")
	if code, _, e := flowsense(t, "predict", "--model", filepath.Join(dir, "model", "model.wasm"), "--data", flows, "--out", wasmOut); code != 0 {
		t.Fatal(e)
	}
	if code, _, e := flowsense(t, "predict", "--model", filepath.Join(dir, "model"), "--engine", "native", "--data", flows, "--out", nativeOut); code != 0 {
		t.Fatal(e)
	}
	w, n := read(wasmOut), read(nativeOut)
	if len(w) != len(n) {
		t.Fatalf("%d vs %d records", len(w), len(n))
	}
	for i := range w {
		if w[i][1] != n[i][1] || w[i][4] != n[i][4] {
			t.Fatalf("row %d: wasm %v, native %v", i, w[i], n[i])
		}
	}
	mod := filepath.Join(tmp, "m.wasm")
	if code, out, e := flowsense(t, "compile", "--model", filepath.Join(dir, "model", "model.json"), "--out", mod); code != 0 || !strings.Contains(out, "bytes") {
		t.Fatalf("compile: %s %s", out, e)
	}
	a, _ := os.ReadFile(mod)
	b, _ := os.ReadFile(filepath.Join(dir, "model", "model.wasm"))
	if !bytes.Equal(a, b) {
		t.Error("compile does not reproduce the module train wrote")
	}
	// --no-simd: another module (no v128), the same predictions
	mvp := filepath.Join(tmp, "mvp.wasm")
	if code, out, e := flowsense(t, "compile", "--model", filepath.Join(dir, "model"), "--out", mvp, "--no-simd"); code != 0 {
		t.Fatalf("compile --no-simd: %s %s", out, e)
	}
	c, _ := os.ReadFile(mvp)
	if bytes.Equal(a, c) {
		t.Error("compile --no-simd wrote the SIMD module")
	}
	mvpOut := filepath.Join(tmp, "mvp.csv")
	if code, _, e := flowsense(t, "predict", "--model", mvp, "--data", flows, "--out", mvpOut); code != 0 {
		t.Fatal(e)
	}
	if m := read(mvpOut); len(m) != len(w) {
		t.Errorf("MVP module: %d records, want %d", len(m), len(w))
	} else {
		for i := range w {
			if w[i][1] != m[i][1] || w[i][4] != m[i][4] {
				t.Fatalf("row %d: SIMD module %v, MVP module %v", i, w[i], m[i])
			}
		}
	}
	code, out, e := flowsense(t, "inspect", mod)
	if code != 0 || !strings.Contains(out, "ABI 1") || !strings.Contains(out, "BENIGN") {
		t.Errorf("inspect model.wasm: %s %s", out, e)
	}
	if code, _, e := flowsense(t, "eval", "--model", mod, "--engine", "native", "--data", flows); code != 2 || !strings.Contains(e, "model.json") {
		t.Errorf("native engine on a module: exit %d, %q", code, e)
	}
	junk := filepath.Join(tmp, "junk.wasm")
	os.WriteFile(junk, append([]byte("\x00asm"), 1, 0, 0, 0, 9, 9), 0o644)
	if code, _, e := flowsense(t, "predict", "--model", junk, "--data", flows); code != 2 || !strings.Contains(e, "junk.wasm") {
		t.Errorf("corrupt module: exit %d, %q", code, e)
	}
}

// An XGBoost model imported through the CLI answers as XGBoost did, through
// the compiled module.
func TestImportXGBoost(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "xgb")
	td := filepath.Join("..", "..", "model", "xgboost", "testdata")
	code, out, e := flowsense(t, "import", "xgboost", filepath.Join(td, "binary.json"), "--out", dir, "--classes", "normal,attack")
	if code != 0 || !strings.Contains(out, "imported") {
		t.Fatalf("import: exit %d %s %s", code, out, e)
	}
	pred := filepath.Join(t.TempDir(), "p.csv")
	if code, _, e := flowsense(t, "predict", "--model", dir, "--data", filepath.Join(td, "binary_rows.csv"), "--format", "csv", "--out", pred); code != 0 {
		t.Fatal(e)
	}
	read := func(p string) [][]string {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		r, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return r[1:]
	}
	got, want := read(pred), read(filepath.Join(td, "binary_expected.csv"))
	if len(got) != len(want) || len(got) == 0 {
		t.Fatalf("%d predictions for %d expected rows", len(got), len(want))
	}
	for i := range got {
		var p0, p1 float64
		fmt.Sscan(want[i][1], &p0)
		fmt.Sscan(want[i][2], &p1)
		label := "normal"
		if p1 > p0 {
			label = "attack"
		}
		if got[i][1] != label {
			t.Errorf("row %d: %s, XGBoost says %s (%v)", i+1, got[i][1], label, want[i])
		}
	}
	if code, _, e := flowsense(t, "import", "xgboost", filepath.Join(td, "README.md"), "--out", filepath.Join(t.TempDir(), "bad")); code != 2 || !strings.Contains(e, "README.md") {
		t.Errorf("importing a non-model: exit %d %q", code, e)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// serve answers over loopback and stops cleanly when its context ends.
func TestServe(t *testing.T) {
	dir, flows := trained(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{"serve", "--model", filepath.Join(dir, "model"), "--addr", "127.0.0.1:0"}, &out, &errOut)
	}()
	var url string
	for i := 0; i < 200 && url == ""; i++ {
		if m := regexp.MustCompile(`on (http://[0-9.:]+)`).FindStringSubmatch(out.String()); m != nil {
			url = m[1]
		}
		time.Sleep(10 * time.Millisecond)
	}
	if url == "" {
		t.Fatalf("serve printed no URL: %q %q", out.String(), errOut.String())
	}
	if r, err := http.Get(url + "/health/readiness"); err != nil || r.StatusCode != 200 {
		t.Fatalf("readiness: %v %v", r, err)
	}
	raw, _ := os.ReadFile(flows)
	lines := strings.SplitN(string(raw), "\n", 4)
	r, err := http.Post(url+"/predict", "text/csv", strings.NewReader(lines[0]+"\n"+lines[1]+"\n"+lines[2]+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	var answers []struct {
		Label   string `json:"label"`
		Verdict string `json:"verdict"`
	}
	if err := json.NewDecoder(r.Body).Decode(&answers); err != nil || r.StatusCode != 200 || len(answers) != 2 || answers[0].Verdict == "" {
		t.Fatalf("predict: status %d, %v, %+v", r.StatusCode, err, answers)
	}
	r.Body.Close()
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("serve exited %d: %s", code, errOut.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop when its context ended")
	}
}

func TestListOptionsTakeSeveralValues(t *testing.T) {
	f := newFlags("x")
	d := f.List("data", "")
	o := f.String("out", "", "")
	drop := f.List("drop", "")
	if err := f.Parse([]string{"--data", "a.csv", "b.csv", "--out=dir", "--drop", "ip.src,ip.dst", "frame.time"}); err != nil {
		t.Fatal(err)
	}
	if strings.Join(*d, "|") != "a.csv|b.csv" || *o != "dir" || strings.Join(*drop, "|") != "ip.src|ip.dst|frame.time" {
		t.Fatalf("data %v out %q drop %v", *d, *o, *drop)
	}
}

// TestEveryCommandHelp checks that every command answers --help with its
// usage on stdout and exit status 0, and that version prints the version
// on the writer it is given.
func TestEveryCommandHelp(t *testing.T) {
	for _, c := range commands() {
		code, out, errOut := flowsense(t, c.name, "--help")
		if code != 0 || !strings.HasPrefix(out, "usage: flowsense "+c.name) {
			t.Errorf("flowsense %s --help: exit %d, stdout %.80q, stderr %.200q", c.name, code, out, errOut)
		}
	}
	code, out, _ := flowsense(t, "version")
	if code != 0 || !strings.HasPrefix(out, "flowsense "+version()) {
		t.Errorf("flowsense version: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := flowsense(t, "version", "extra"); code != 2 || !strings.Contains(errOut, "no arguments") {
		t.Errorf("flowsense version extra: exit %d, stderr %q", code, errOut)
	}
}
