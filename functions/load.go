package functions

import (
	"context"
	"fmt"

	"github.com/flowsense/flowsense/artifact"
)

// LoadFile returns a Server for the model at path: a .wasm module, a
// model.json (compiled on the spot), or a directory holding model.wasm
// (or, failing that, model.json): what `flowsense serve --model` takes.
func LoadFile(ctx context.Context, path string, opts ...Option) (*Server, error) {
	b, err := artifact.ReadModule(path)
	if err != nil {
		return nil, fmt.Errorf("functions: model: %w", err)
	}
	return New(ctx, b, opts...)
}
