// Package trainer turns labelled flow files into a flowsense model: it reads
// the data (package data), holds out a test set, trains the tree ensemble
// (package gbdt) and the outlier detector (package outlier), computes the
// reference histograms, evaluates the result (package eval) and writes the
// model, its metrics and an HTML report (package report).
//
// The work is split by job into subpackages, and the readers in
// trainer/data stay free of training code so that the HTTP functions can
// use them alone. This package only wires them together; it is what the
// `flowsense train` and `flowsense eval` commands call.
package trainer
