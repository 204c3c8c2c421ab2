package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/functions"
)

// TestSensorCommand: flowsense sensor reads a capture, takes the schema
// from the function's GET /model, and writes the function's verdicts for
// every flow; a sink that is not a function stops it with a message
// saying what to pass.
func TestSensorCommand(t *testing.T) {
	dir, _ := trained(t)
	wasm, err := artifact.ReadModule(filepath.Join(dir, "model"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := functions.New(context.Background(), wasm)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	srv := httptest.NewServer(s)
	defer srv.Close()
	out := filepath.Join(t.TempDir(), "verdicts.jsonl")
	code, _, stderr := flowsense(t, "sensor", "--pcap", "../../extract/testdata/mixed.pcap", "--sink", srv.URL, "--batch", "5", "--verdicts", out)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 13 {
		t.Fatalf("%d verdict lines, want 13 (the flows of mixed.pcap): %s", len(lines), stderr)
	}
	var v struct {
		Flow struct {
			ID string `json:"id"`
		} `json:"flow"`
		Label, Verdict string
	}
	if err := json.Unmarshal([]byte(lines[0]), &v); err != nil || v.Flow.ID == "" || v.Label == "" || v.Verdict == "" {
		t.Errorf("verdict line %s: %v", lines[0], err)
	}
	if !strings.Contains(stderr, "13 flows (0 the sink's own), 3 events with 13 flows delivered") {
		t.Errorf("summary: %s", stderr)
	}

	nf := httptest.NewServer(http.NotFoundHandler())
	defer nf.Close()
	code, _, stderr = flowsense(t, "sensor", "--pcap", "../../extract/testdata/mixed.pcap", "--sink", nf.URL)
	if code == 0 || !strings.Contains(stderr, "404") || !strings.Contains(stderr, "--schema") {
		t.Errorf("a sink that is not a function: exit %d: %s", code, stderr)
	}
	// --schema all to a sink that refuses everything: every flow counted, exit 1
	code, _, stderr = flowsense(t, "sensor", "--pcap", "../../extract/testdata/mixed.pcap", "--sink", nf.URL, "--schema", "all")
	if code == 0 || !strings.Contains(stderr, "13 rejected") || !strings.Contains(stderr, "13 flows not delivered") {
		t.Errorf("a sink that answers 404: exit %d: %s", code, stderr)
	}
	code, _, stderr = flowsense(t, "sensor", "--sink", srv.URL)
	if code != 2 || !strings.Contains(stderr, "--pcap or --interface") {
		t.Errorf("no source: exit %d: %s", code, stderr)
	}
}
