package main

import (
	"errors"
	"fmt"

	"github.com/flowsense/flowsense/flowdata"
)

// hintError is an error with what to try next, said after it on the same
// line. Unwrap keeps errors.Is and errors.As working.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() + ": " + e.hint }
func (e *hintError) Unwrap() error { return e.err }

// readHint adds what to try to an error from reading data against the
// model at modelPath with --format format.
func readHint(err error, modelPath, format string) error {
	var mf *flowdata.MissingFeatureError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &mf) && mf.Forced && mf.Sniffed != "" && mf.Sniffed != mf.Format:
		return &hintError{err, fmt.Sprintf("try without --format %s (the file sniffs as %s)", format, mf.Sniffed)}
	case errors.As(err, &mf) && len(mf.Missing) == mf.Wanted:
		return &hintError{err, fmt.Sprintf("none of the model's columns is in the file: is it the kind of data the model was trained on? (flowsense inspect %s lists them)", modelPath)}
	case errors.As(err, &mf):
		return &hintError{err, fmt.Sprintf("flowsense inspect %s lists the columns the model reads", modelPath)}
	case errors.Is(err, flowdata.ErrFormat) && format != "" && format != "auto":
		return &hintError{err, fmt.Sprintf("try without --format %s", format)}
	}
	return err
}

// noLabelError says that a file read for eval (or simulate) has no label
// column, which columns count as one, and what to use instead.
func noLabelError(file, label, cmd, instead string) error {
	what := `a column named Label or class (any case), or the 42nd field of a KDD record`
	if label != "" {
		what = fmt.Sprintf("the column %q given by --label", label)
	}
	return fmt.Errorf("%s: no label column: %s needs labelled data, %s; %s", file, cmd, what, instead)
}
