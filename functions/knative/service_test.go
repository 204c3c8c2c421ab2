package function

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	fhttp "knative.dev/func-go/http"

	"github.com/flowsense/flowsense/functions"
	"github.com/flowsense/flowsense/functions/functionstest"
)

// funcGoProbes are the golden cases of paths func-go's service answers
// itself (its mux routes /health/readiness and /health/liveness to Ready
// and Alive, never to Handle); TestFuncGoProbes checks those instead.
var funcGoProbes = map[string]bool{"health_readiness": true, "health_liveness": true}

// TestBehaviour runs the golden suite against the function served by
// func-go's own service on a loopback port, with the model the goldens
// were recorded with loaded from FLOWSENSE_MODEL.
func TestBehaviour(t *testing.T) {
	dir := t.TempDir()
	cases, err := functionstest.Cases(behaviourDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, c := range cases {
		if funcGoProbes[c.Name] {
			continue
		}
		for _, ext := range []string{".req", ".golden"} {
			b, err := os.ReadFile(filepath.Join(behaviourDir, c.Name+ext))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, c.Name+ext), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		n++
	}
	if n < len(cases)-len(funcGoProbes) || n == 0 {
		t.Fatalf("%d of %d cases copied", n, len(cases))
	}
	t.Setenv(EnvSource, "/flowsense/test") // the source the goldens were recorded with
	base := startService(t, testModelPath(t))
	functionstest.Run(t, dir, functionstest.URLDoer(base, http.DefaultClient), false)
}

// TestFuncGoProbes: func-go answers the probes from Ready and Alive: 503
// before Start has loaded the model and after Stop, 200 in between; Handle
// answers 503 with a problem document while there is no model.
func TestFuncGoProbes(t *testing.T) {
	f := New()
	ts := httptest.NewServer(fhttp.New(f).Handler)
	defer ts.Close()
	get := func(path string) (int, string, string) {
		t.Helper()
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	type want struct {
		ready, alive, model int
	}
	check := func(stage string, w want) {
		t.Helper()
		if code, _, body := get("/health/readiness"); code != w.ready {
			t.Errorf("%s: readiness %d %q, want %d", stage, code, body, w.ready)
		}
		if code, _, body := get("/health/liveness"); code != w.alive {
			t.Errorf("%s: liveness %d %q, want %d", stage, code, body, w.alive)
		}
		code, ct, body := get("/model")
		if code != w.model {
			t.Errorf("%s: GET /model %d %q, want %d", stage, code, body, w.model)
		}
		if code == http.StatusServiceUnavailable && ct != functions.MediaTypeProblem {
			t.Errorf("%s: GET /model answered %s, want a problem document", stage, ct)
		}
	}
	check("before Start", want{503, 200, 503})
	if err := f.Start(context.Background(), map[string]string{}); err != nil {
		t.Fatal(err)
	}
	check("started", want{200, 200, 200})
	if err := f.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("stopped", want{503, 200, 503})
}

// TestSDKClient: the CloudEvents client suite (functionstest.RunClient:
// sdk-go's client sends binary and structured events, its request helpers
// a batch) against the function served by func-go on loopback; replies
// carry the source K_SERVICE names.
func TestSDKClient(t *testing.T) {
	t.Setenv(EnvService, "flowsense-test")
	base := startService(t, testModelPath(t))
	functionstest.RunClient(t, behaviourDir, base, "urn:flowsense:knative:flowsense-test")
}
