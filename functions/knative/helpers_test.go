package function

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	fhttp "knative.dev/func-go/http"

	"github.com/flowsense/flowsense/functions/functionstest"
)

// behaviourDir holds the golden cases every host answers alike.
const behaviourDir = "../testdata/behaviour"

// regenModel rewrites model.wasm with mkmodel.sh instead of checking it.
var regenModel = flag.Bool("regen-model", false, "rewrite model.wasm with mkmodel.sh")

// testModelPath writes the model the goldens were recorded with to a file
// (what FLOWSENSE_MODEL names) and returns its path.
func testModelPath(t testing.TB) string {
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

// freeAddr returns a loopback address nobody listens on (it was free a
// moment ago).
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// startService starts the function as func-go's scaffolding does
// (fhttp.New(New()).Start, which reads LISTEN_ADDRESS and hands the
// environment to Start) with FLOWSENSE_MODEL set to model, waits until it
// is ready, and returns its base URL. The service stops at the end of the
// test; Start's error must be nil.
func startService(t *testing.T, model string) string {
	t.Helper()
	addr := freeAddr(t)
	t.Setenv("LISTEN_ADDRESS", addr)
	t.Setenv(EnvModel, model)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fhttp.New(New()).Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("func-go service: %v", err)
		}
	})
	base := "http://" + addr
	if err := waitReady(base, done); err != nil {
		t.Fatal(err)
	}
	return base
}

// waitReady polls the readiness probe until it answers 200, the service
// ends (an error on done) or 20 s pass.
func waitReady(base string, done <-chan error) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			return fmt.Errorf("service ended before it was ready: %v", err)
		default:
		}
		resp, err := http.Get(base + "/health/readiness")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return errors.New("not ready after 20 s")
}

// sampleFlows reads one flow per class from the golden request
// predict_array.
func sampleFlows(t testing.TB) map[string]map[string]any {
	return functionstest.SampleFlows(t, behaviourDir)
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// fnBinary builds cmd/flowsense-fn once per test run, as a deployment
// would (CGO_ENABLED=0), and returns its path.
func fnBinary(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "flowsense-fn-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "flowsense-fn")
		cmd := exec.Command("go", "build", "-o", builtBin, "./cmd/flowsense-fn")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build ./cmd/flowsense-fn: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		_ = os.RemoveAll(buildDir)
	}
	os.Exit(code)
}
