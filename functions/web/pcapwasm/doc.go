// Command pcapwasm is the packet-to-flow extractor of the web page,
// compiled to WebAssembly for the browser (GOOS=js GOARCH=wasm), so that a
// capture chosen on the page is turned into flows on the user's machine and
// never sent anywhere.
//
// It is package extract with the options of `flowsense extract` (the
// CIC-IDS2017 profile and every default), behind one JavaScript function
// that main registers and then waits for calls:
//
//	flowsenseExtract(name, size, read) -> {csv, flows, stats} or {error}
//
// read(offset, n) returns a Uint8Array of at most n bytes of the capture
// from offset (the page's worker reads the File with FileReaderSync), so the
// capture is streamed in 1 MiB pieces rather than copied whole. csv is what
// `flowsense extract` writes for the capture, byte for byte; flows is a JSON
// array with one object per row, in the shape of the flow key POST /predict
// answers for a capture (functions.FlowKey); stats is extract.Stats as JSON.
//
// The built module is committed, gzip-compressed, as
// functions/web/static/extract.wasm.gz (the page embeds it; see
// functions/web/README.md and RATIONALE.md for why GOOS=js) and
// TestExtractorUpToDate in package web fails when it is stale. On other
// platforms the command only says how to build it. It is not a general
// JavaScript binding of package extract: no options, no streaming of flows
// as they end.
package main
