package oipgrpc_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/flowsense/flowsense/flowdata/synth"
)

// pythonWithGRPC finds a python3 that imports grpc and google.protobuf
// (Debian's python3-grpcio and python3-protobuf install into
// /usr/bin/python3's path).
func pythonWithGRPC(t *testing.T) string {
	t.Helper()
	cands := []string{"/usr/bin/python3"}
	if p, err := exec.LookPath("python3"); err == nil {
		cands = append(cands, p)
	}
	for _, p := range cands {
		if exec.Command(p, "-c", "import grpc, google.protobuf").Run() == nil {
			return p
		}
	}
	t.Fatal("no python3 imports grpc and google.protobuf: the independent gRPC client needs them (apt-get install -y python3-grpcio python3-protobuf)")
	return ""
}

// TestGRPCPythonClient runs testdata/grpc_client.py (grpcio's C core,
// message classes from protoc's Python generator) against flowsense
// serve's port: 300 synthetic flows as typed and raw contents get
// /predict's answers.
func TestGRPCPythonClient(t *testing.T) {
	addr, s := serve(t)
	if sum := runGRPCClient(t, addr, s.OIPModelName(), 0); sum.Explained != 0 {
		t.Fatalf("%d flows explained unasked", sum.Explained)
	}
}

// TestGRPCPythonClientExplain: the same client with explain=3 (an
// int64_param typed, a string_param raw) finds /predict?explain=3's
// explanations in the explain_* outputs, and explain=true refused.
func TestGRPCPythonClientExplain(t *testing.T) {
	addr, s := serveExplain(t)
	if sum := runGRPCClient(t, addr, s.OIPModelName(), 3); sum.Explained != 2*300 {
		t.Fatalf("%d flows' explanations matched, want %d", sum.Explained, 2*300)
	}
}

type grpcClientSummary struct {
	Flows      int      `json:"flows"`
	Forms      []string `json:"forms"`
	Explained  int      `json:"explained"`
	Mismatches int      `json:"mismatches"`
}

// runGRPCClient runs testdata/grpc_client.py against addr (with explain
// > 0, asking for explanations) and checks its summary.
func runGRPCClient(t *testing.T, addr, model string, explain int) grpcClientSummary {
	t.Helper()
	protoc, err := exec.LookPath("protoc")
	if err != nil {
		t.Fatal("protoc is missing: the Python gRPC client's messages are generated with it (apt-get install -y protobuf-compiler)")
	}
	py := pythonWithGRPC(t)
	dir := t.TempDir()
	gen := exec.Command(protoc, "--proto_path=inferencepb", "--python_out="+dir, "open_inference_grpc.proto")
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("protoc --python_out: %v\n%s", err, out)
	}
	var csv bytes.Buffer
	if err := synth.Write(&csv, synth.Options{Rows: 300, Seed: 29}); err != nil {
		t.Fatal(err)
	}
	csvPath := filepath.Join(dir, "flows.csv")
	if err := os.WriteFile(csvPath, csv.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{filepath.Join("testdata", "grpc_client.py"), addr, model, csvPath}
	if explain > 0 {
		args = append(args, strconv.Itoa(explain))
	}
	cmd := exec.Command(py, args...)
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "no_proxy=*", "NO_PROXY=*", "http_proxy=", "https_proxy=", "grpc_proxy=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("grpc_client.py: %v\n%s%s", err, out, stderr.Bytes())
	}
	var sum grpcClientSummary
	if err := json.Unmarshal(out, &sum); err != nil || sum.Flows != 300 || len(sum.Forms) != 2 || sum.Mismatches != 0 {
		t.Fatalf("summary %s (%v)", out, err)
	}
	t.Logf("%s", out)
	return sum
}
