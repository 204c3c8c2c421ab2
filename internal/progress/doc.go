// Package progress draws the progress of long work on stderr: a bar that
// redraws itself in place on a terminal, and a plain line every few steps
// otherwise (CI logs, pipes), so logs stay readable.
//
// It is for command-line programs; libraries report progress through
// callbacks and leave the drawing to this package.
package progress
