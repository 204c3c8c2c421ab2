package function

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// writeSecret writes a secret file (as a mounted Secret holds it).
func writeSecret(t *testing.T, name, value string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(value+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestFeedbackIDs: the feedback suite (functionstest.RunFeedbackIDs)
// against the function as func-go serves it, its reply key read from the
// file FLOWSENSE_REPLY_KEY_FILE names (a mounted Secret).
func TestFeedbackIDs(t *testing.T) {
	t.Setenv(functions.EnvReplyKeyFile, writeSecret(t, "reply-key", strings.Repeat("k", 40)))
	base := startService(t, testModelPath(t))
	functionstest.RunFeedbackIDs(t, behaviourDir, functionstest.URLDoer(base, http.DefaultClient))
}

// TestStartBadReplyKey: a reply key file that is too short fails Start
// with a message naming the variable and the file.
func TestStartBadReplyKey(t *testing.T) {
	path := writeSecret(t, "short", "short")
	err := New().Start(t.Context(), map[string]string{functions.EnvReplyKeyFile: path, EnvModel: testModelPath(t)})
	if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), functions.EnvReplyKeyFile) {
		t.Fatalf("Start: %v, want an error naming %s", err, path)
	}
}

// TestAuth: the credential suite (functionstest.RunAuth) against the
// function as func-go serves it, configured by the environment (OIDC
// tokens of an issuer the test runs, bearer tokens from files).
func TestAuth(t *testing.T) {
	a := functionstest.NewAuthSetup(t)
	for k, v := range a.Env {
		t.Setenv(k, v)
	}
	base := startService(t, testModelPath(t))
	functionstest.RunAuth(t, behaviourDir, functionstest.URLDoer(base, http.DefaultClient), a)
}

// TestMetricsAddr: FLOWSENSE_METRICS_ADDR serves /metrics on its own port
// and takes it off the function's.
func TestMetricsAddr(t *testing.T) {
	addr := freeAddr(t)
	t.Setenv(functions.EnvMetricsAddr, addr)
	base := startService(t, testModelPath(t))
	for _, c := range []struct {
		url  string
		want int
	}{{"http://" + addr + "/metrics", 200}, {base + "/metrics", 404}, {"http://" + addr + "/model", 404}} {
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
