package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// fakeRuntime is the Lambda Runtime API of one invocation: the first
// /invocation/next hands out payload, the response is sent on got, and
// later /next calls wait until the test server closes.
func fakeRuntime(payload []byte, got chan<- []byte) *httptest.Server {
	served := make(chan struct{}, 1)
	served <- struct{}{}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-served:
		default:
			<-r.Context().Done()
			return
		}
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-1")
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(30*time.Second).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:123456789012:function:flowsense")
		_, _ = w.Write(payload)
	})
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/{kind}", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		if r.PathValue("kind") == "error" {
			b = append([]byte("error: "), b...)
		}
		got <- b
	})
	return httptest.NewServer(mux)
}

// BenchmarkColdStart_directFlow: the bootstrap built as for Lambda
// (-tags lambda.norpc, the host's GOOS/GOARCH), from process exec to the
// first classified answer posted to a local Runtime API, the model loaded
// from FLOWSENSE_MODEL. peak-RSS-MB is the process's maximum resident set.
func BenchmarkColdStart_directFlow(b *testing.B) {
	dir := b.TempDir()
	bin := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-ldflags=-s -w", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	wasmBytes, err := functionstest.ModelWasm()
	if err != nil {
		b.Fatal(err)
	}
	modelPath := filepath.Join(dir, "model.wasm")
	if err := os.WriteFile(modelPath, wasmBytes, 0o644); err != nil {
		b.Fatal(err)
	}
	payload := []byte(`{"Dst Port": 80, "Protocol": 6, "Total Fwd Packet": 1, "SYN Flag Count": 1}`)
	var maxRSS int64
	b.ResetTimer()
	for b.Loop() {
		got := make(chan []byte, 1)
		rt := fakeRuntime(payload, got)
		cmd := exec.Command(bin)
		cmd.Env = []string{"AWS_LAMBDA_RUNTIME_API=" + rt.Listener.Addr().String(), "FLOWSENSE_MODEL=" + modelPath,
			"AWS_LAMBDA_FUNCTION_NAME=flowsense"}
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		var answer []byte
		select {
		case answer = <-got:
		case <-time.After(30 * time.Second):
			b.Fatal("no answer from the bootstrap in 30 s")
		}
		b.StopTimer()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		rt.Close()
		var c struct{ Label string }
		if err := json.Unmarshal(answer, &c); err != nil || c.Label == "" {
			b.Fatalf("answer %s is not a classification (%v)", answer, err)
		}
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			maxRSS = max(maxRSS, int64(ru.Maxrss))
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(maxRSS)/1024, "peak-RSS-MB")
}
