// Package wasmbin writes the WebAssembly 1.0 (MVP) binary format: LEB128
// integers, sections, function bodies built one instruction at a time, and
// reads a module's section list back. It knows nothing of models; the wasm
// package lowers a model and uses this package to emit it.
//
// It is not a general assembler: it covers the instructions the flowsense
// compiler emits: the MVP instructions, and the few fixed-width SIMD (v128)
// ones of the outlier detector; no bulk memory, no imports. A module that
// uses no v128 instruction validates under the MVP feature set.
package wasmbin
