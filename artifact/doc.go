// Package artifact is the model artifact: the directory `flowsense train`
// writes (model.json, model.wasm, metrics.json, report.html) and every
// other command and function opens, and the Predictor that both engines
// implement.
//
// Write puts an artifact's files into a directory, each atomically, and
// takes back what it wrote when a later file fails. Locate, ReadModel and
// ReadModule open a path the way every command takes --model: a
// directory, a model.json or a .wasm module (told by its magic bytes, not
// its name), compiling model.json in memory when a directory has no
// module. ExplainModule gives a module with the explain export (the one
// found, when its export section lists it, else model.json compiled with
// it, once): predict --explain and serve --explain open models with it.
//
// Predictor is a loaded model: *host.Module (the compiled module under
// wazero, package wasm/host) and *Native (the native predictor,
// model.Predictor, which gives (*model.Model).Predict's bits) implement it, and PredictColumns runs either
// over a column-major table on every core.
//
// This package imports the model, the ABI and the compiler, never the
// wazero host or training code: the trainer writes artifacts with it
// without linking a WebAssembly runtime.
package artifact
