package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
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

// TestSensorToPrivateServe: flowsense sensor against a running flowsense
// serve whose classify and metadata routes take a token: without
// --token-file it stops at the schema, saying what to pass; with it every
// flow is delivered; a token file without a token, or a
// --schema-token-file for the sink's own host, is a usage error naming
// the flag.
func TestSensorToPrivateServe(t *testing.T) {
	tok := writeSecret(t, "classify-token", "sensor-classify-token-0123456789")
	t.Setenv("FLOWSENSE_AUTH_CLASSIFY", "token="+tok)
	t.Setenv("FLOWSENSE_AUTH_METADATA", "token="+tok)
	url := startServe(t, serveTestModel(t))
	const pcap = "../../extract/testdata/mixed.pcap"

	code, _, stderr := flowsense(t, "sensor", "--pcap", pcap, "--sink", url)
	if code == 0 || !strings.Contains(stderr, "401") || !strings.Contains(stderr, "--token-file") {
		t.Errorf("no token: exit %d: %s, want a failure naming 401 and --token-file", code, stderr)
	}
	code, _, stderr = flowsense(t, "sensor", "--pcap", pcap, "--sink", url, "--schema", "all")
	if code == 0 || !strings.Contains(stderr, "13 rejected") {
		t.Errorf("no token, --schema all: exit %d: %s, want the 13 flows rejected", code, stderr)
	}
	code, _, stderr = flowsense(t, "sensor", "--pcap", pcap, "--sink", url, "--token-file", tok, "--batch", "5")
	if code != 0 || !strings.Contains(stderr, "13 flows (0 the sink's own), 3 events with 13 flows delivered") {
		t.Errorf("--token-file: exit %d: %s, want 13 flows delivered", code, stderr)
	}
	empty := writeSecret(t, "empty", "")
	code, _, stderr = flowsense(t, "sensor", "--pcap", pcap, "--sink", url, "--token-file", empty)
	if code != 2 || !strings.Contains(stderr, "--token-file") || !strings.Contains(stderr, empty) {
		t.Errorf("an empty token file: exit %d: %s, want 2 naming --token-file and %s", code, stderr, empty)
	}
	code, _, stderr = flowsense(t, "sensor", "--pcap", pcap, "--sink", url, "--schema", url+"/model", "--schema-token-file", tok)
	if code != 2 || !strings.Contains(stderr, "--token-file") {
		t.Errorf("--schema-token-file for the sink's host: exit %d: %s, want 2", code, stderr)
	}

	// as the DaemonSet: events to a Broker-like sink that wants its own
	// token, the schema from the function with the function's
	const brokerTok = "broker-oidc-token-0123456789"
	var mu sync.Mutex
	seen := map[string]int{}
	broker := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("Authorization")]++
		mu.Unlock()
		if r.Header.Get("Authorization") != "Bearer "+brokerTok {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	defer broker.Close()
	code, _, stderr = flowsense(t, "sensor", "--pcap", pcap, "--sink", broker.URL, "--token-file", writeSecret(t, "broker-token", brokerTok),
		"--schema", url+"/model", "--schema-token-file", tok, "--batch", "5")
	if code != 0 || !strings.Contains(stderr, "3 events with 13 flows delivered") {
		t.Errorf("broker sink and function schema: exit %d: %s", code, stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen["Bearer "+brokerTok] != 3 {
		t.Errorf("the broker saw Authorization %v, want its own token on 3 events and never the function's", seen)
	}
}
