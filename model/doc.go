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
// (*Model).Predict is that reference as FORMAT.md reads; Predictor
// (NewPredictor) is the same predictor compiled once into a layout built
// for speed (preorder 16-byte nodes walked without branches, batches of
// rows per tree, the detector in the reference's order of operations),
// giving the reference's bits; it is what the hosts serve.
//
// This package imports only the standard library. It knows nothing of
// training: trainers write a Model, predictors and compilers only read one.
package model
