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
