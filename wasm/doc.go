// Package wasm compiles a flowsense model into a standalone WebAssembly
// module and hosts such modules with wazero.
//
// Compile lowers a validated model.Model to memory tables (trees as node
// records walked by a loop, the outlier detector's matrices), emits the
// module bytes itself (no assembler, no imports, a fixed-size exported
// memory) and embeds the model's Metadata as JSON in a custom section, so
// the .wasm file is the whole deployable artifact. The module's interface
// is versioned and documented byte by byte in ABI.md; any WebAssembly host
// (wazero, Node.js, a browser) can run it with nothing but that document.
//
// Load compiles a module once with wazero (its compiler by default, the
// interpreter with WithInterpreter, optionally through an on-disk
// compilation cache) and keeps a pool of instances, so a Module is safe for
// concurrent callers. Classify takes float32 rows in schema order and
// allocates nothing once the caller's results have room; ClassifyRecord
// takes named fields and maps categorical strings through the schema.
//
// The native predictor, (*model.Model).Predict, is the reference: every
// module gives the same class, probabilities within 1e-6 and the outlier
// score within 1e-5 relative (in practice within a few ulps), which the tests
// check on random and trained models, under both wazero engines and
// Node.js.
//
// This package is not a trainer, a model format (package model) or a
// general WebAssembly toolkit: internal/wasmbin writes only the
// instructions the compiler needs (MVP ones, and six SIMD ones for the
// detector unless WithoutSIMD).
package wasm
