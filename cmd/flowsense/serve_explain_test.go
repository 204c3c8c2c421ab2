package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/wasm/host"
)

// serve --explain serves model.json compiled with the explain export
// when model.wasm lacks it: GET /model.wasm has the export (the page
// explains with it) and ?explain=N answers; without --explain the same
// model answers ?explain=N with 422. A lone module without the export
// cannot be served with --explain.
func TestServeExplain(t *testing.T) {
	dir, flows := trained(t)
	raw, _ := os.ReadFile(flows)
	lines := strings.SplitN(string(raw), "\n", 4)
	body := lines[0] + "\n" + lines[1] + "\n" + lines[2] + "\n"
	predict := func(url string) (int, string) {
		r, err := http.Post(url+"/predict?explain=3", "text/csv", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		return r.StatusCode, string(b)
	}
	module := func(url string) bool {
		r, err := http.Get(url + "/model.wasm")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Body.Close()
		b, _ := io.ReadAll(r.Body)
		m, err := host.Load(context.Background(), b)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close(context.Background())
		return m.CanExplain()
	}

	url := startServe(t, filepath.Join(dir, "model"), "--explain")
	if !module(url) {
		t.Error("serve --explain: GET /model.wasm has no explain export")
	}
	code, b := predict(url)
	var answers []struct {
		Explanation *struct {
			Features []json.RawMessage `json:"features"`
		} `json:"explanation"`
	}
	if err := json.Unmarshal([]byte(b), &answers); code != 200 || err != nil || len(answers) != 2 || answers[0].Explanation == nil || len(answers[0].Explanation.Features) != 3 {
		t.Errorf("serve --explain: POST /predict?explain=3: %d %s", code, b)
	}

	plain := startServe(t, filepath.Join(dir, "model"))
	if module(plain) {
		t.Error("serve without --explain serves a module with the explain export: artifacts leave it out")
	}
	if code, b := predict(plain); code != 422 || !strings.Contains(b, "--explain") {
		t.Errorf("serve without --explain: POST /predict?explain=3: %d %s, want 422 naming --explain", code, b)
	}

	lone := filepath.Join(t.TempDir(), "lone.wasm")
	wb, _ := os.ReadFile(filepath.Join(dir, "model", "model.wasm"))
	os.WriteFile(lone, wb, 0o644)
	// bounded: a serve that wrongly starts stops after the guard
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var o, e syncBuffer
	if code := run(ctx, []string{"serve", "--model", lone, "--explain", "--addr", "127.0.0.1:0"}, &o, &e); code != 2 || !strings.Contains(e.String(), "no explain export") || !strings.Contains(e.String(), "flowsense compile --explain") {
		t.Errorf("serve --explain of a lone module without the export: exit %d, %q", code, e.String())
	}
}
