// Package web is the page the functions serve at "/": plain HTML,
// JavaScript and CSS embedded in the binary, with no build step and
// nothing fetched from anywhere but the function itself.
//
// The page reads a CSV of flows in the browser, fetches the model's
// metadata (GET /model) and module (GET /model.wasm), and classifies the
// rows with WebAssembly by the module's ABI (wasm/ABI.md), so the file
// never leaves the machine; a switch sends it to POST /predict instead.
// It shows every flow, counts per class and verdict with a chart, a filter
// by verdict and a download of the results; with the file's labels, the
// rows that differ and a confusion matrix. A click on a flow explains it
// (TreeSHAP contributions and outlier shares from the module's optional
// explain export, run in the browser), and the page averages the
// contributions per class over the file. README.md describes it and how
// it is tested.
//
// The package only holds and serves the files: Serve answers GET and
// HEAD for the paths in Paths. Routing, methods and the model endpoints
// belong to package functions, which mounts the page. It is not a general
// static file server and has no templates: the page learns everything
// about the model from /model at run time.
//
// Packet captures: the page turns a pcap or pcapng file into flows in the
// browser with package extract compiled to WebAssembly (the command in
// subdirectory pcapwasm, embedded here as static/extract.wasm.gz and run
// in a Web Worker), so a capture never leaves the machine either.
package web
