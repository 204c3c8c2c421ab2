package outlier

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them in an
// *Error; test with errors.Is.
var (
	// ErrParams: a parameter is out of range or two threshold rules are set.
	ErrParams = errors.New("invalid parameters")
	// ErrShape: columns, rows or features do not have matching lengths.
	ErrShape = errors.New("shape mismatch")
	// ErrEmpty: too few rows to estimate a mean and a covariance.
	ErrEmpty = errors.New("too few rows")
	// ErrConstant: every input column is constant (or missing), so there is
	// no distribution to measure a distance from.
	ErrConstant = errors.New("every column is constant")
	// ErrNumeric: a covariance is not finite or its eigendecomposition failed.
	ErrNumeric = errors.New("numerical failure")
	// ErrNoThreshold: Predict or Model was called before any threshold was
	// set or inferred.
	ErrNoThreshold = errors.New("no threshold")
	// ErrNotReady: the online detector has not seen enough rows for a
	// non-singular projected covariance.
	ErrNotReady = errors.New("not enough rows seen")
	// ErrModel: a model.Outlier handed to Resume is malformed.
	ErrModel = errors.New("malformed outlier model")
)

// Error is the error type of this package: the operation that failed and
// the cause, which wraps one of the sentinel errors.
type Error struct {
	// Op is the operation: "fit", "new", "resume", "score", "infer", "predict"
	// or "model".
	Op  string
	Err error
}

func (e *Error) Error() string { return "outlier: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// errorf builds an *Error wrapping sentinel with a formatted detail.
func errorf(op string, sentinel error, format string, args ...any) error {
	return &Error{Op: op, Err: fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)}
}
