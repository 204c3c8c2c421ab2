package report

import (
	"errors"
	"fmt"
)

// ErrShape means parts of the [Input] disagree in size, such as a
// confusion matrix that does not match the class list.
var ErrShape = errors.New("inconsistent input")

// InputError says which field of the [Input] is wrong. It wraps ErrShape.
type InputError struct {
	Field  string // e.g. "Metrics.Confusion"
	Detail string // what is wrong, e.g. "3 rows for 2 classes"
	Err    error
}

func (e *InputError) Error() string {
	return fmt.Sprintf("report: %s: %s: %v", e.Field, e.Detail, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }
