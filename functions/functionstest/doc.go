// Package functionstest is the behaviour suite of the flowsense functions:
// golden requests to golden answers that every host of the handler must
// give (the handler in process, flowsense serve over loopback, and the
// Knative and Lambda hosts that wrap it), and the small model the suite
// was recorded with.
//
// A case is a pair of files in a directory (functions/testdata/behaviour):
// NAME.req, an HTTP request as text (a request line "METHOD PATH", header
// lines, a blank line, the body), and NAME.golden, the answer (the status,
// the headers that matter, a blank line, the body with JSON re-indented and
// the time attribute of events removed). Run replays every case through a
// Doer and compares; with update it rewrites the goldens instead.
//
// It is for tests only: it imports package testing.
package functionstest
