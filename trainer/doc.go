// Package trainer turns labelled flow files into a flowsense model: it
// reads the data (package flowdata), holds out a test set, trains the tree
// ensemble (package gbdt) and the outlier detector (package outlier),
// computes the reference histograms, evaluates the result (package eval)
// and writes the model artifact (package artifact: model.json, the module
// compiled by wasm/compiler, metrics.json and the HTML report of package
// report).
//
// This package only wires the training subpackages together; it is what
// `flowsense train` and `flowsense tune` call. It links no WebAssembly
// runtime, and nothing that serves models imports it
// (internal/importrules enforces both).
package trainer
