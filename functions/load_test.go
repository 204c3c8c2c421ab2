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
