package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/flowsense/flowsense/artifact"
	"github.com/flowsense/flowsense/internal/atomicfile"
	"github.com/flowsense/flowsense/wasm/compiler"
)

func runCompile(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f := newFlags("compile")
	modelPath := f.String("model", "", "model.json or a model directory")
	out := f.String("out", "", "output module (default: model.wasm beside model.json)")
	noSIMD := f.Bool("no-simd", "a WebAssembly 1.0 module without v128 instructions, for hosts without SIMD")
	trees := f.String("trees", "tables", "tree form: tables (the fastest start), code (if/else: faster flows, tens of ms more to load), auto (code up to 4,096 nodes)")
	explain := f.Bool("explain", "include the explain export (TreeSHAP and outlier shares, for ?explain=N); about 3x the module's size on CIC-IDS2017 (126 KiB to 372 KiB)")
	help := f.Bool("help", "show this help")
	if err := f.Parse(args); err != nil {
		return err
	}
	if *help {
		f.usage(stdout, "--model DIR/model.json [--out model.wasm] [--no-simd] [--trees tables|code|auto] [--explain]")
		return errHelp
	}
	path := *modelPath
	if path == "" {
		return fmt.Errorf("%w: --model is required", errUsage)
	}
	m, raw, err := artifact.ReadModel(path)
	if err != nil {
		return err
	}
	if l, _ := artifact.Locate(path); l.Model != "" {
		path = l.Model
	}
	opts := []compiler.CompileOption{compiler.WithModelFile(raw)}
	if *noSIMD {
		opts = append(opts, compiler.WithoutSIMD())
	}
	if !*explain {
		opts = append(opts, compiler.WithoutExplain())
	}
	switch *trees {
	case "tables":
		opts = append(opts, compiler.WithTreeForm(compiler.TreeTables))
	case "code":
		opts = append(opts, compiler.WithTreeForm(compiler.TreeCode))
	case "auto":
		opts = append(opts, compiler.WithTreeForm(compiler.TreeAuto))
	default:
		return fmt.Errorf("%w: --trees %q: want tables, code or auto", errUsage, *trees)
	}
	mod, err := compiler.Compile(m, opts...)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dst := *out
	if dst == "" {
		dst = filepath.Join(filepath.Dir(path), artifact.WasmFile)
	}
	if err := atomicfile.WriteFile(dst, mod); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s: %d bytes, %d trees, %d features, %d classes\n", dst, len(mod), len(m.Ensemble.Trees), len(m.Schema.Features), len(m.Classes))
	return nil
}
