// Package runs records training runs: one JSON file per run in a runs
// directory, written atomically under a time-sortable id, so that any
// number of trainers may record into one directory at once without
// locking. A run holds what made a model (parameters and reading options,
// the command line, the sha256 of every data file), what it scored (the
// figures of metrics.json, flattened), what it produced (the sha256 and
// size of model.json and model.wasm) and how long it took, on which host,
// with which trainer version.
//
// The package reads and writes run files, lists a directory, resolves an
// id prefix and compares two runs. It is for the `flowsense runs` and
// `flowsense tune` commands and for anyone who wants to know which model
// came from what. It is not an experiment tracker server: there is no
// database, no artifact store (the model directory stays where it was
// written; the run only names and hashes it), and no network.
//
// # File format
//
// A run file is named ID.json, holds one JSON object with "format": 1
// and the fields of Run, and is never rewritten. Ids are
// "20061102T150405.000Z-a1b2c3": UTC time to the millisecond, then six hex
// digits of randomness, so that sorting names sorts runs by time and two
// runs started in the same millisecond still differ. Files whose names
// start with a dot are temporary and ignored.
package runs
