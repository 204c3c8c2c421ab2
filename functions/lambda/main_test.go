package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/flowsense/flowsense/functions/functionstest"
)

func TestConfigFrom(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want config
	}{
		"nothing set":   {want: config{source: defaultSource}},
		"function name": {env: map[string]string{"AWS_LAMBDA_FUNCTION_NAME": "fs"}, want: config{source: defaultSource + ":fs"}},
		"all set": {
			env:  map[string]string{"FLOWSENSE_MODEL": "/opt/m", "FLOWSENSE_SOURCE": "urn:x", "AWS_LAMBDA_FUNCTION_NAME": "fs"},
			want: config{modelPath: "/opt/m", source: "urn:x"},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if got := configFrom(func(k string) string { return c.env[k] }); got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestLoad(t *testing.T) {
	wasmBytes, err := functionstest.ModelWasm()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "model.wasm")
	if err := os.WriteFile(path, wasmBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	withModule := fstest.MapFS{"bundle/model.wasm": {Data: wasmBytes}, "bundle/README.md": {}}
	empty := fstest.MapFS{"bundle/README.md": {}}
	corrupt := fstest.MapFS{"bundle/model.wasm": {Data: []byte("\x00asm nope")}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := map[string]struct {
		c       config
		fsys    fstest.MapFS
		wantErr error // nil: loads
		fails   bool
	}{
		"embedded":                {fsys: withModule},
		"FLOWSENSE_MODEL file":    {c: config{modelPath: path}, fsys: empty},
		"FLOWSENSE_MODEL dir":     {c: config{modelPath: dir}, fsys: empty},
		"FLOWSENSE_MODEL wins":    {c: config{modelPath: path}, fsys: corrupt},
		"no model":                {fsys: empty, wantErr: errNoModel, fails: true},
		"corrupt embedded":        {fsys: corrupt, fails: true},
		"FLOWSENSE_MODEL missing": {c: config{modelPath: filepath.Join(dir, "nope.wasm")}, fsys: withModule, fails: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			c.c.source = defaultSource
			s, err := load(context.Background(), c.c, c.fsys, log)
			if c.fails {
				if err == nil {
					t.Fatal("loaded, want an error")
				}
				if c.wantErr != nil && !errors.Is(err, c.wantErr) {
					t.Fatalf("error %v, want %v", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close(context.Background())
			if !s.Ready() || s.Metadata().Name == "" {
				t.Errorf("server not ready or without a model name")
			}
		})
	}
}

// TestBundle: the embedded directory is there in a clean clone (the
// build needs it) and holds at most a module.
func TestBundle(t *testing.T) {
	if _, err := bundle.ReadFile("bundle/README.md"); err != nil {
		t.Fatal(err)
	}
}
