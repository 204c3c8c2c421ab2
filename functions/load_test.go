package functions

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/host"
)

func TestLoadFile(t *testing.T) {
	m, err := functionstest.Model()
	if err != nil {
		t.Fatal(err)
	}
	wasmDir, jsonDir := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(wasmDir, artifact.WasmFile), testModule(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := artifact.Write(jsonDir, artifact.Files{Model: mustMarshal(t, m)}); err != nil {
		t.Fatal(err)
	}
	cases := map[string]struct {
		path string
		err  error
	}{
		"directory with model.wasm": {wasmDir, nil},
		"directory with model.json": {jsonDir, nil},
		"module file":               {filepath.Join(wasmDir, artifact.WasmFile), nil},
		"model.json file":           {filepath.Join(jsonDir, artifact.ModelFile), nil},
		"missing":                   {filepath.Join(jsonDir, "nope.wasm"), fs.ErrNotExist},
		"empty directory":           {t.TempDir(), fs.ErrNotExist},
	}
	ctx := context.Background()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := LoadFile(ctx, tc.path)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(ctx)
			if md := s.Metadata(); md.Name != "functions-test" || len(md.Classes) != 6 {
				t.Errorf("metadata %s %v", md.Name, md.Classes)
			}
		})
	}
}

func mustMarshal(t *testing.T, m *model.Model) []byte {
	t.Helper()
	b, err := m.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestLoadFileTopTierAllocs: LoadFile on a model.wasm with its model.json
// beside it tiers up to compiler.TopTier's module, which runs without
// wazero's per-call interrupt watcher: a one-flow JSON /predict then
// allocates fewer times than on the loaded module's compiled tier (the
// watcher's channel, goroutine and cancel closure: 3 a call).
func TestLoadFileTopTierAllocs(t *testing.T) {
	m, err := functionstest.Model()
	if err != nil {
		t.Fatal(err)
	}
	both, wasmOnly := t.TempDir(), t.TempDir()
	if err := artifact.Write(both, artifact.Files{Model: mustMarshal(t, m)}); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{both, wasmOnly} {
		if err := os.WriteFile(filepath.Join(dir, artifact.WasmFile), testModule(t), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	allocs := func(dir, tier string) float64 {
		s, err := LoadFile(ctx, dir)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close(ctx)
		body := benchFlows(t, 1)
		post := func() *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/predict", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			return rec
		}
		if rec := post(); rec.Code != http.StatusOK {
			t.Fatalf("%s: status %d: %s", dir, rec.Code, rec.Body)
		}
		for deadline := time.Now().Add(20 * time.Second); s.Tier() != tier; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: tier %s 20 s after the first request, want %s", dir, s.Tier(), tier)
			}
		}
		req := httptest.NewRequest(http.MethodPost, "/predict", nil)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		r := bytes.NewReader(body)
		return testing.AllocsPerRun(50, func() {
			r.Reset(body)
			req.Body, req.ContentLength = readCloser{r}, int64(len(body))
			rec.Body.Reset()
			s.ServeHTTP(rec, req)
		})
	}
	top, compiled := allocs(both, host.TierTop), allocs(wasmOnly, host.TierCompiler)
	t.Logf("allocations of a one-flow request: top tier %v, compiler tier %v", top, compiled)
	if top > compiled-3 {
		t.Errorf("the top tier allocates %v times a one-flow request, the compiler tier %v: the top module kept the per-call interrupt watcher", top, compiled)
	}
}
