// Package wasmbin writes the WebAssembly 1.0 (MVP) binary format: LEB128
// integers, sections, function bodies built one instruction at a time, and
// reads a module's section list back. It knows nothing of models; the wasm
// package lowers a model and uses this package to emit it.
//
// It is not a general assembler: it covers the instructions the flowsense
// compiler emits (no SIMD, no bulk memory, no imports), so every module it
// writes validates under the MVP feature set that every host supports.
package wasmbin
