// Package compiler turns a validated model.Model into a standalone
// WebAssembly module: Compile lowers the model to memory tables (trees as
// node records, the outlier detector's whitened matrices, computed in
// f64x2 SIMD unless WithoutSIMD), and the trees to code (treecode.go:
// nested if/else with thresholds as constants, up to MaxCodeNodes; a
// larger model walks the node tables in one loop), then emits the
// module bytes itself: no assembler, no imports, a fixed-size exported
// memory, the ABI of package abi, and the model's Metadata in a custom
// section, so the .wasm file is the whole deployable artifact.
//
// Lowering comes first and emitting second: lower.go decides every
// address and constant, emit.go writes instructions from that layout, and
// mathfn.go holds the exp and log the module carries (WebAssembly has
// none). topkernel.go holds the top tier's kernels (TopTier: the same
// bits, fewer instructions per flow, more compile time). explain.go lays out and emits the optional explain export (ABI
// 1.1: TreeSHAP and the outlier shares, model.Explainer's arithmetic) with
// tables of its own, added for a model with node covers unless
// WithoutExplain.
//
// It imports the standard library and package model only (no runtime):
// the trainer compiles with it, and wasm/host runs what it makes.
package compiler
