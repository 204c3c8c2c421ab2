package functions

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

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
		waitTierPast(t, s, host.TierInterpreter)
		if s.Tier() != tier {
			t.Fatalf("%s: tier %s after the tier-up, want %s", dir, s.Tier(), tier)
		}
		return predictAllocs(s, benchFlows(t, 1))
	}
	top, compiled := allocs(both, host.TierTop), allocs(wasmOnly, host.TierCompiler)
	t.Logf("allocations of a one-flow request: top tier %v, compiler tier %v", top, compiled)
	if top > compiled-3 {
		t.Errorf("the top tier allocates %v times a one-flow request, the compiler tier %v: the top module kept the per-call interrupt watcher", top, compiled)
	}
}
