// Package importrules holds the project's import rules and the test that
// enforces them on the module's real import graph (go list -deps):
//
//   - model/ and the wasm packages depend on the standard library and each
//     other only, and wasm/host on wazero besides;
//   - the page's extractor (functions/web/pcapwasm) imports extract/ and
//     the standard library only;
//   - serving code (model/, wasm/, functions/, cloudevents/, artifact/,
//     flowdata/, drift/, collect/, extract/, sensor/) never depends on
//     anything under trainer/;
//   - the trainer, the compiler, the artifact package and the simulator
//     never link wazero.
//
// The rules look at what a package links (its non-test imports, followed
// transitively); tests may import the trainer to make a model to test
// with. Check is a pure function over a package graph so that its own
// tests can show each rule failing on a deliberately wrong import.
package importrules
