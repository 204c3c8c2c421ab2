package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// behaviourDir is the shared behaviour suite of every host.
const behaviourDir = "../../functions/testdata/behaviour"

// serveTestModel writes the behaviour suite's test model to a file for
// flowsense serve.
func serveTestModel(t *testing.T) string {
	t.Helper()
	b, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "model.wasm")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// writeSecret writes a secret file (as a mounted Secret holds it).
func writeSecret(t *testing.T, name, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestServeFeedbackIDs: the feedback suite (functionstest.RunFeedbackIDs)
// against a running flowsense serve with --reply-key-file; a second serve
// with the same key accepts the first one's ids (replicas share the key),
// one with another key refuses them.
func TestServeFeedbackIDs(t *testing.T) {
	model := serveTestModel(t)
	key := writeSecret(t, "reply-key", strings.Repeat("s", 40))
	url := startServe(t, model, "--reply-key-file", key)
	functionstest.RunFeedbackIDs(t, behaviourDir, functionstest.URLDoer(url, http.DefaultClient))

	id := predictID(t, url)
	same := startServe(t, model, "--reply-key-file", key)
	other := startServe(t, model, "--reply-key-file", writeSecret(t, "other-key", strings.Repeat("o", 40)))
	if code := postFeedback(t, other, id); code != http.StatusUnprocessableEntity {
		t.Errorf("a serve with another key: %d, want 422", code)
	}
	if code := postFeedback(t, same, id); code != http.StatusOK {
		t.Errorf("a replica with the same key: %d, want 200", code)
	}
}

// TestServeBadReplyKey: a key file that is missing or too short stops
// serve with a usage error naming the file.
func TestServeBadReplyKey(t *testing.T) {
	model := serveTestModel(t)
	short := writeSecret(t, "short", "tooshort")
	for name, path := range map[string]string{"missing": filepath.Join(t.TempDir(), "none"), "short": short} {
		t.Run(name, func(t *testing.T) {
			code, out, e := flowsense(t, "serve", "--model", model, "--addr", "127.0.0.1:0", "--reply-key-file", path)
			if code != 2 || out != "" || !strings.Contains(e, path) || !strings.Contains(e, "FLOWSENSE_REPLY_KEY_FILE") {
				t.Errorf("exit %d, stdout %q, stderr %q: want 2 and a message naming %s", code, out, e, path)
			}
		})
	}
}

func predictID(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Post(url+"/predict", "application/json", strings.NewReader(`{"Dst Port": 22}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.ID == "" {
		t.Fatalf("/predict: %v, id %q", err, c.ID)
	}
	return c.ID
}

func postFeedback(t *testing.T, url, id string) int {
	t.Helper()
	resp, err := http.Post(url+"/feedback", "application/json", strings.NewReader(`{"id": "`+id+`", "truth": "BENIGN"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestServeAuth: the credential suite (functionstest.RunAuth) against a
// running flowsense serve configured by the environment, with OIDC tokens
// of an issuer the test runs; then --metrics-addr puts /metrics on a port
// of its own.
func TestServeAuth(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	for k, v := range a.Env {
		t.Setenv(k, v)
	}
	url := startServe(t, serveTestModel(t))
	functionstest.RunAuth(t, behaviourDir, functionstest.URLDoer(url, http.DefaultClient), a)
}

func TestServeMetricsAddr(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--model", serveTestModel(t), "--addr", "127.0.0.1:0", "--metrics-addr", "127.0.0.1:0"}, &out, &errOut)
	}()
	defer func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("serve did not stop")
		}
	}()
	re := regexp.MustCompile(`metrics on (http://[0-9.:]+)/metrics \(and not on (http://[0-9.:]+)\)`)
	var m []string
	for i := 0; i < 500 && m == nil; i++ {
		m = re.FindStringSubmatch(out.String())
		time.Sleep(10 * time.Millisecond)
	}
	if m == nil {
		t.Fatalf("serve printed no metrics URL: %q %q", out.String(), errOut.String())
	}
	for _, c := range []struct {
		url  string
		want int
	}{{m[1] + "/metrics", 200}, {m[2] + "/metrics", 404}, {m[1] + "/model", 404}, {m[2] + "/model", 200}} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s: %d, want %d", c.url, resp.StatusCode, c.want)
		}
	}
}
