package functions

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm"
)

// Files a model directory holds (what flowsense train writes).
const (
	ModuleFile = "model.wasm"
	ModelFile  = "model.json"
)

// LoadFile returns a Server for the model at path: a .wasm module, a
// model.json (compiled on the spot), or a directory holding model.wasm
// (or, failing that, model.json): what `flowsense serve --model` takes.
func LoadFile(ctx context.Context, path string, opts ...Option) (*Server, error) {
	b, err := ReadModule(path)
	if err != nil {
		return nil, err
	}
	return New(ctx, b, opts...)
}

// ReadModule reads the module bytes at path as LoadFile does.
func ReadModule(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("functions: model: %w", err)
	}
	if st.IsDir() {
		w := filepath.Join(path, ModuleFile)
		if _, err := os.Stat(w); err == nil {
			path = w
		} else {
			path = filepath.Join(path, ModelFile)
		}
	}
	if strings.HasSuffix(path, ".wasm") {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("functions: model: %w", err)
		}
		return b, nil
	}
	m, err := model.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("functions: model: %w", err)
	}
	b, err := wasm.Compile(m)
	if err != nil {
		return nil, fmt.Errorf("functions: compile %s: %w", path, err)
	}
	return b, nil
}
