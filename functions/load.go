package functions

import (
	"context"
	"fmt"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// LoadFile returns a Server for the model at path: a .wasm module, a
// model.json (compiled on the spot), or a directory holding model.wasm
// (or, failing that, model.json): what `flowsense serve --model` takes.
// A directory holding both serves model.wasm and, unless WithTopTier or
// WithoutTierUp says otherwise, tiers up to compiler.TopTier's module of
// model.json, compiled on the tier-up's goroutine (a model.json that is
// not model.wasm's model is refused there, and the tier-up compiles
// model.wasm instead).
func LoadFile(ctx context.Context, path string, opts ...Option) (*Server, error) {
	b, err := artifact.ReadModule(path)
	if err != nil {
		return nil, fmt.Errorf("functions: model: %w", err)
	}
	if l, err := artifact.Locate(path); err == nil && l.Wasm != "" && l.Model != "" {
		// the top module is this process's own compiler.TopTier output of a
		// validated model (straight-line code, no loop but the batch's): it
		// runs without wazero's per-call interrupt watcher (0 allocations a
		// call); the interpreter's first tier and the compiler fallback
		// keep the interrupt.
		opts = append([]Option{WithTopTier(topTierOf(l.Model, b)), WithWasmOptions(host.WithTopWithoutInterrupt())}, opts...)
	}
	return New(ctx, b, opts...)
}

// topTierOf compiles compiler.TopTier's module of the model file at
// path, with the explain export if the loaded module has it.
func topTierOf(path string, loaded []byte) func() ([]byte, error) {
	return func() ([]byte, error) {
		m, raw, err := artifact.ReadModel(path)
		if err != nil {
			return nil, err
		}
		opts := []compiler.CompileOption{compiler.WithModelFile(raw), compiler.TopTier()}
		if ok, err := abi.HasFuncExport(loaded, abi.ExportExplain); err != nil || !ok {
			opts = append(opts, compiler.WithoutExplain())
		}
		return compiler.Compile(m, opts...)
	}
}
