// Package function is the Knative host of flowsense: an instanced function
// for knative.dev/func-go (v0.22.0) that the knative func CLI builds and
// deploys (func.yaml in this directory), and that runs without func too
// (cmd/flowsense-fn calls func-go's own http.Start).
//
// New returns a *Function; func-go's service calls its Start (which loads
// the model: the module embedded from model.wasm, or the file
// FLOWSENSE_MODEL names), routes every request but its own health probes
// to Handle (the one handler of package functions: CloudEvents in binary,
// structured and batch encodings on POST /, POST /predict, GET /model, ...),
// answers /health/readiness and /health/liveness from Ready and Alive, and
// on SIGTERM stops accepting, lets the requests in flight finish and calls
// Stop, which closes the model.
//
// The package is named function and its module "function" because that is
// the layout the func CLI's Go scaffolding expects: it generates a main
// package that imports module "function" and calls
// knative.dev/func-go/http.Start(New()). README.md says how to build it
// with and without func, and what was verified.
//
// It is not a handler of its own: it reads the configuration func-go hands
// it and otherwise delegates to package functions.
package function
