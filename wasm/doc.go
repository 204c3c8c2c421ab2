// Package wasm is the home of the model's WebAssembly form; it holds no
// code itself. The work is split by job so that each user links only what
// it needs:
//
//   - wasm/abi: the module's interface (ABI.md), the metadata custom
//     section and the errors both sides share. Standard library only.
//   - wasm/compiler: Compile lowers a validated model.Model to memory
//     tables (trees as node records walked by a loop, the outlier
//     detector's matrices) and emits the module bytes itself: no
//     assembler, no imports, a fixed-size exported memory. Standard
//     library only, so the trainer compiles without linking a runtime.
//   - wasm/host: Load runs modules under wazero with a pool of instances;
//     the functions and the CLI's wasm engine use it.
//
// The module's interface is versioned and documented byte by byte in
// ABI.md; any WebAssembly host (wazero, Node.js, a browser) can run it
// with nothing but that document. The native predictor,
// (*model.Model).Predict, is the reference: every module gives the same
// class, probabilities within 1e-6 and the outlier score within 1e-5
// relative, which the host's tests check on random and trained models,
// under both wazero engines and Node.js.
//
// This is not a trainer, a model format (package model) or a general
// WebAssembly toolkit: wasm/internal/wasmbin writes only the instructions
// the compiler needs (MVP ones, and six SIMD ones for the detector unless
// compiler.WithoutSIMD).
package wasm
