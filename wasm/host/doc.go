// Package host runs compiled flowsense modules with wazero.
//
// Load reads a module's metadata (package abi), checks its ABI version,
// exports and function types, compiles it once (wazero's compiler by
// default, the interpreter with WithInterpreter, optionally through an
// on-disk compilation cache) and keeps a pool of instances, so a Module
// is safe for concurrent callers. Classify takes float32 rows in schema
// order and allocates nothing once the caller's results have room;
// ClassifyRecord takes named fields and maps categorical strings through
// the schema. A Module is an artifact.Predictor.
//
// WithTierUp (tier.go) makes the cold start short: Load compiles on the
// interpreter (a tenth of the compiler's time) and answers at once, then
// compiles a second tier in the background (the module itself, or
// compiler.TopTier's module of the same model, on wazero's compiler),
// checks that it answers TierUpRows rows with the same bits, and swaps it
// in; the calls running on the first tier finish there. Tier says which
// tier serves.
//
// A Module is a sandbox for modules it did not compile: a call stops when
// its context ends (wazero's WithCloseOnContextDone; the instance is then
// discarded), a module declaring more memory than WithMemoryLimit or
// carrying a start function is refused (abi.ErrRefused), a module whose
// closing flowsense.sha256 section does not match its bytes is refused
// (abi.ErrCorrupt), at most WithMaxInstances instances live at once, and
// Load runs a prediction under WithLoadTimeout whose answers must meet
// ABI.md's output contract (abi.ErrSmoke otherwise; Check runs it again).
// Package hostiletest builds modules that misbehave, for these tests.
//
// Its tests hold every module to the native predictor
// ((*model.Model).Predict): the same class, probabilities within 1e-6 and
// the outlier score within 1e-5 relative, on random and trained models,
// under both wazero engines and Node.js (testdata/run.mjs, a host written
// from ABI.md alone).
//
// Contributions runs the optional explain export (ABI 1.1) on one row:
// TreeSHAP values and outlier shares, as model.Explainer computes them.
//
// It imports the standard library, wazero, and the model and wasm
// packages only.
package host
