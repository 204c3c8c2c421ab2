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
