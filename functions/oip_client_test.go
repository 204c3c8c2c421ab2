package functions

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestOIPPythonClient runs testdata/oip_client.py, a V2 REST client
// written from the specification with Python's standard library, against
// flowsense serve's handler on a loopback port: 300 synthetic flows in
// the np, pd and binary encodings must get /predict's answers.
func TestOIPPythonClient(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is missing: the V2 client test runs testdata/oip_client.py with it (apt-get install -y python3)")
	}
	csvPath := filepath.Join(t.TempDir(), "flows.csv")
	if err := os.WriteFile(csvPath, synthCSV(t, 300, 23), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, s) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	}()
	cmd := exec.Command(py, filepath.Join("testdata", "oip_client.py"), "http://"+ln.Addr().String(), s.OIPModelName(), csvPath)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("oip_client.py: %v\n%s%s", err, out, stderr)
	}
	var sum struct {
		Flows      int            `json:"flows"`
		Forms      []string       `json:"forms"`
		Labels     map[string]int `json:"labels"`
		Mismatches int            `json:"mismatches"`
	}
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if sum.Flows != 300 || len(sum.Forms) != 3 || sum.Mismatches != 0 || len(sum.Labels) < 4 {
		t.Fatalf("summary %s", out)
	}
	t.Logf("%s", out)
}
