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

// kserveRuntime reads the container's args and environment of
// deploy/kserve/servingruntime.yaml (its `- ARG` lines under args:, its
// `- name:` / `value:` pairs; deploy/kserve checks the manifest with
// KServe's types, this test what flowsense serve makes of it) and the
// credentials' mount path.
func kserveRuntime(t *testing.T) (args []string, env map[string]string, mount string) {
	t.Helper()
	b, err := os.ReadFile("../../deploy/kserve/servingruntime.yaml")
	if err != nil {
		t.Fatal(err)
	}
	env = map[string]string{}
	var section, name string
	for _, line := range strings.Split(string(b), "\n") {
		trim := strings.TrimSpace(line)
		if strings.HasPrefix(trim, "#") || trim == "" {
			continue
		}
		if strings.HasSuffix(trim, ":") && !strings.HasPrefix(trim, "- ") {
			section = strings.TrimSuffix(trim, ":")
			continue
		}
		switch {
		case section == "args" && strings.HasPrefix(trim, "- "):
			args = append(args, strings.TrimPrefix(trim, "- "))
		case section == "env" && strings.HasPrefix(trim, "- name: "):
			name = strings.TrimPrefix(trim, "- name: ")
		case section == "env" && strings.HasPrefix(trim, "value: ") && name != "":
			env[name] = strings.TrimPrefix(trim, "value: ")
			name = ""
		case strings.HasPrefix(trim, "mountPath: "):
			mount = strings.TrimPrefix(trim, "mountPath: ")
		}
	}
	if len(args) < 4 || args[0] != "serve" || len(env) < 4 || mount == "" {
		t.Fatalf("servingruntime.yaml: args %v, env %v, mount %q: the reader no longer understands it", args, env, mount)
	}
	return args, env, mount
}

// TestKServeRuntimeSettings: flowsense serve run with the args and the
// environment of deploy/kserve/servingruntime.yaml (the model directory,
// the Secret's keys and the ports replaced by the test's) answers each
// credential as deploy/README.md says: the classify token classifies
// over REST and the Open Inference Protocol and reads the metadata, the
// feedback token posts feedback only, the metadata token reads the
// metadata only, nobody without a token gets past the probes, and
// /metrics answers on the loopback port only, without a credential (what
// KServe's aggregation scrapes).
func TestKServeRuntimeSettings(t *testing.T) {
	args, env, mount := kserveRuntime(t)
	dir := t.TempDir()
	keys := map[string]string{
		"reply-key":      strings.Repeat("k", 44),
		"classify-token": "kserve-classify-0123456789abcdef",
		"feedback-token": "kserve-feedback-0123456789abcdef",
		"metadata-token": "kserve-metadata-0123456789abcdef",
	}
	for k, v := range keys {
		writeFile(t, filepath.Join(dir, k), v+"\n")
	}
	for k, v := range env {
		t.Setenv(k, strings.ReplaceAll(v, mount+"/", dir+"/"))
	}
	model := serveTestModel(t)
	for i, a := range args {
		switch {
		case strings.HasPrefix(a, "--model="):
			args[i] = "--model=" + model
		case strings.HasPrefix(a, "--addr="):
			args[i] = "--addr=127.0.0.1:0"
		case strings.HasPrefix(a, "--metrics-addr="):
			if !strings.HasPrefix(a, "--metrics-addr=127.0.0.1:") {
				t.Errorf("%s: /metrics is not on loopback", a)
			}
			args[i] = "--metrics-addr=127.0.0.1:0"
		case a == "--model-name={{.Name}}":
			args[i] = "--model-name=flowsense" // KServe's placeholder: the InferenceService's name
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, args, &out, &errOut) }()
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
		t.Fatalf("serve %v printed no metrics URL: %q %q", args, out.String(), errOut.String())
	}
	metricsURL, base := m[1], m[2]

	do := func(method, url, tok, body string) int {
		t.Helper()
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	replyID := func() string {
		t.Helper()
		req, _ := http.NewRequest("POST", base+"/predict", strings.NewReader(`{"Dst Port": 22}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+keys["classify-token"])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var c struct{ ID string }
		if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.ID == "" {
			t.Fatalf("/predict with the classify token: %d %v", resp.StatusCode, err)
		}
		return `{"id": "` + c.ID + `", "truth": "BENIGN"}`
	}
	routes := []struct {
		name string
		call func(tok string) int
	}{
		{"predict", func(tok string) int { return do("POST", base+"/predict", tok, `{"Dst Port": 22}`) }},
		{"v2 metadata", func(tok string) int { return do("GET", base+"/v2/models/flowsense", tok, "") }},
		{"feedback", func(tok string) int { return do("POST", base+"/feedback", tok, replyID()) }},
		{"metadata", func(tok string) int { return do("GET", base+"/model", tok, "") }},
		{"v2 ready", func(tok string) int { return do("GET", base+"/v2/health/ready", tok, "") }},
	}
	for _, c := range []struct {
		caller, tok string
		want        [5]int // predict, v2 metadata, feedback, metadata, v2 ready
	}{
		{"classify-token", keys["classify-token"], [5]int{200, 200, 403, 200, 200}},
		{"feedback-token", keys["feedback-token"], [5]int{403, 403, 200, 403, 200}},
		{"metadata-token", keys["metadata-token"], [5]int{403, 403, 403, 200, 200}},
		{"the reply key", keys["reply-key"], [5]int{401, 401, 401, 401, 200}}, // a probe ignores the header
		{"no credential", "", [5]int{401, 401, 401, 401, 200}},
	} {
		for i, r := range routes {
			if got := r.call(c.tok); got != c.want[i] {
				t.Errorf("%s on %s: %d, want %d", c.caller, r.name, got, c.want[i])
			}
		}
	}
	if code := do("GET", metricsURL+"/metrics", "", ""); code != 200 {
		t.Errorf("/metrics on the loopback port without a credential: %d, want 200 (KServe's aggregation sends none)", code)
	}
	if code := do("GET", base+"/metrics", keys["classify-token"], ""); code != 404 {
		t.Errorf("/metrics on the traffic port: %d, want 404", code)
	}
}

func writeFile(t *testing.T, path, v string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(v), 0o600); err != nil {
		t.Fatal(err)
	}
}
