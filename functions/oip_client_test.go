package functions

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
)

// TestOIPPythonClient runs testdata/oip_client.py, a V2 REST client
// written from the specification with Python's standard library, against
// flowsense serve's handler on a loopback port: 300 synthetic flows in
// the np, pd and binary encodings must get /predict's answers.
func TestOIPPythonClient(t *testing.T) {
	sum := runOIPClient(t, newTestServer(t), 0)
	if sum.Explained != 0 {
		t.Fatalf("%d flows explained unasked", sum.Explained)
	}
}

// TestOIPPythonClientExplain: the same client with the parameter
// explain=4 on every request reads the explanation tensors (JSON and
// binary) and finds /predict?explain=4's explanations in them.
func TestOIPPythonClientExplain(t *testing.T) {
	s, _ := newExplainServer(t)
	sum := runOIPClient(t, s, 4)
	if sum.Explained != 3*300 {
		t.Fatalf("%d flows' explanations matched, want %d", sum.Explained, 3*300)
	}
}

// oipClientSummary is what testdata/oip_client.py prints.
type oipClientSummary struct {
	Flows      int            `json:"flows"`
	Forms      []string       `json:"forms"`
	Labels     map[string]int `json:"labels"`
	Explained  int            `json:"explained"`
	Mismatches int            `json:"mismatches"`
}

// runOIPClient runs testdata/oip_client.py against s on a loopback port
// (with explain > 0, asking for explanations) and checks its summary.
func runOIPClient(t *testing.T, s *Server, explain int) oipClientSummary {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is missing: the V2 client test runs testdata/oip_client.py with it (apt-get install -y python3)")
	}
	csvPath := filepath.Join(t.TempDir(), "flows.csv")
	if err := os.WriteFile(csvPath, synthCSV(t, 300, 23), 0o644); err != nil {
		t.Fatal(err)
	}
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
	args := []string{filepath.Join("testdata", "oip_client.py"), "http://" + ln.Addr().String(), s.OIPModelName(), csvPath}
	if explain > 0 {
		args = append(args, strconv.Itoa(explain))
	}
	cmd := exec.Command(py, args...)
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("oip_client.py: %v\n%s%s", err, out, stderr)
	}
	var sum oipClientSummary
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatalf("summary %q: %v", out, err)
	}
	if sum.Flows != 300 || len(sum.Forms) != 3 || sum.Mismatches != 0 || len(sum.Labels) < 4 {
		t.Fatalf("summary %s", out)
	}
	t.Logf("%s", out)
	return sum
}
