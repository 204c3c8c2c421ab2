// Package model is flowsense's versioned model intermediate representation:
// the feature schema, the tree ensemble as a struct of arrays, the
// Mahalanobis outlier detector, reference histograms and provenance, with
// the file format that carries them (FORMAT.md) and the native reference
// predictor, with its explanations (Explainer: exact path-dependent
// TreeSHAP per class from the trees' node covers, and the outlier score
// split per feature).
//
// The native predictor is the reference answer: every other way of running a
// model (the compiled WebAssembly module, a browser) is checked against it.
//
// This package imports only the standard library. It knows nothing of
// training: trainers write a Model, predictors and compilers only read one.
package model
