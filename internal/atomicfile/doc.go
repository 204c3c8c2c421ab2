// Package atomicfile writes files so that a reader never sees half of
// one: the bytes go to a temporary file in the target's directory, are
// synced, and the file is renamed (or linked) into place only once
// complete. A failure leaves nothing behind.
//
// It is the project's one atomic writer: model artifacts, recorded runs,
// predictions, reports and drift pages all go through it. It is not a
// general file-system library.
package atomicfile
