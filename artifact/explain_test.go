package artifact_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/functions/functionstest"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// TestExplainModule: a module with the explain export is used as found;
// one without it is replaced by model.json compiled with it, once; a
// lone module without it is ErrNoExplain naming the file.
func TestExplainModule(t *testing.T) {
	m, err := functionstest.ExplainModel()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := m.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	plain, err := compiler.Compile(m, compiler.WithModelFile(raw), compiler.WithoutExplain())
	if err != nil {
		t.Fatal(err)
	}
	withX, err := compiler.Compile(m, compiler.WithModelFile(raw))
	if err != nil {
		t.Fatal(err)
	}
	both, jsonOnly := t.TempDir(), t.TempDir()
	if err := artifact.Write(both, artifact.Files{Model: raw, Wasm: plain}); err != nil {
		t.Fatal(err)
	}
	if err := artifact.Write(jsonOnly, artifact.Files{Model: raw}); err != nil {
		t.Fatal(err)
	}
	lonePlain, loneX := filepath.Join(t.TempDir(), "plain.wasm"), filepath.Join(t.TempDir(), "x.wasm")
	os.WriteFile(lonePlain, plain, 0o644)
	os.WriteFile(loneX, withX, 0o644)
	for name, c := range map[string]struct{ path, from string }{
		"directory, module without the export": {both, filepath.Join(both, artifact.ModelFile)},
		"directory, model.json only":           {jsonOnly, filepath.Join(jsonOnly, artifact.ModelFile)},
		"model.json":                           {filepath.Join(both, artifact.ModelFile), filepath.Join(both, artifact.ModelFile)},
		"module with the export":               {loneX, ""},
	} {
		t.Run(name, func(t *testing.T) {
			b, from, err := artifact.ExplainModule(c.path)
			if err != nil || from != c.from || string(b) != string(withX) {
				t.Fatalf("ExplainModule(%s) = %d bytes from %q, %v; want the module with the export from %q", c.path, len(b), from, err, c.from)
			}
		})
	}
	if _, _, err := artifact.ExplainModule(lonePlain); !errors.Is(err, artifact.ErrNoExplain) || !contains(err.Error(), lonePlain) {
		t.Errorf("a lone module without the export: %v, want ErrNoExplain naming it", err)
	}
}
