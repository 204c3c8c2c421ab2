package artifact

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/flowsense/flowsense/internal/atomicfile"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
)

// The files of an artifact directory.
const (
	ModelFile   = "model.json"
	WasmFile    = "model.wasm"
	MetricsFile = "metrics.json"
	ReportFile  = "report.html"
)

// ErrNoModel: a path holds neither a model file nor a module where one
// was asked for (a .wasm given to the native engine, say).
var ErrNoModel = errors.New("no model")

// Files are an artifact's contents in memory; a nil file is not written.
type Files struct {
	Model, Wasm, Metrics, Report []byte
}

// Write writes the non-nil files into dir (created if needed). Each file
// is written atomically, and the files this call wrote are removed again
// when a later one fails, so a failure leaves no partial artifact.
func Write(dir string, f Files) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	files := []struct {
		name string
		b    []byte
	}{{ModelFile, f.Model}, {WasmFile, f.Wasm}, {MetricsFile, f.Metrics}, {ReportFile, f.Report}}
	var written []string
	for _, file := range files {
		if file.b == nil {
			continue
		}
		p := filepath.Join(dir, file.name)
		if err := atomicfile.WriteFile(p, file.b); err != nil {
			for _, w := range written {
				os.Remove(w)
			}
			return err
		}
		written = append(written, p)
	}
	return nil
}

// Location is what a --model path names: the model file and the module
// found there, each "" when absent.
type Location struct {
	Model, Wasm string
}

// Locate resolves path: a directory (its model.json and model.wasm, when
// present), a module (a file starting with the WebAssembly magic bytes)
// or a model file. A directory holding neither gives an error satisfying
// errors.Is(err, fs.ErrNotExist), as does a missing path.
func Locate(path string) (Location, error) {
	st, err := os.Stat(path)
	if err != nil {
		return Location{}, err
	}
	if !st.IsDir() {
		if isModule(path) {
			return Location{Wasm: path}, nil
		}
		return Location{Model: path}, nil
	}
	var l Location
	if p := filepath.Join(path, ModelFile); isFile(p) {
		l.Model = p
	}
	if p := filepath.Join(path, WasmFile); isFile(p) {
		l.Wasm = p
	}
	if l == (Location{}) {
		return l, fmt.Errorf("%s: no %s or %s: %w", path, ModelFile, WasmFile, os.ErrNotExist)
	}
	return l, nil
}

// ReadModel decodes the model file at path (a directory or a model.json)
// and returns it with the file's bytes. Errors name the file.
func ReadModel(path string) (*model.Model, []byte, error) {
	l, err := Locate(path)
	if err != nil {
		return nil, nil, err
	}
	if l.Model == "" {
		return nil, nil, fmt.Errorf("%s: %w: a module holds no model.json (the native engine needs one)", path, ErrNoModel)
	}
	b, err := os.ReadFile(l.Model)
	if err != nil {
		return nil, nil, err
	}
	m, err := model.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", l.Model, err)
	}
	return m, b, nil
}

// ReadModule returns the module bytes at path (a directory, a .wasm or a
// model.json): the module when there is one, else model.json compiled in
// memory. Errors name the file.
func ReadModule(path string) ([]byte, error) {
	l, err := Locate(path)
	if err != nil {
		return nil, err
	}
	if l.Wasm != "" {
		return os.ReadFile(l.Wasm)
	}
	m, raw, err := ReadModel(l.Model)
	if err != nil {
		return nil, err
	}
	b, err := compiler.Compile(m, compiler.WithModelFile(raw), compiler.WithoutExplain())
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.Model, err)
	}
	return b, nil
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// isModule tells a module from a model file by its magic bytes.
func isModule(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	_, err = io.ReadFull(f, b[:])
	return err == nil && string(b[:]) == "\x00asm"
}
