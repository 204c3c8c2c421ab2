package eval

import (
	"errors"
	"fmt"
)

// Sentinel errors, wrapped in an [*InputError]; test them with errors.Is.
var (
	// ErrEmpty means there are no rows or no classes.
	ErrEmpty = errors.New("empty input")
	// ErrLength means two inputs that must match in length do not.
	ErrLength = errors.New("length mismatch")
	// ErrClass means a class index is out of range.
	ErrClass = errors.New("class index out of range")
	// ErrScore means a score or probability is NaN, or the outlier
	// threshold is not finite (metrics.json cannot hold it).
	ErrScore = errors.New("score is NaN")
	// ErrDuplicateClass means two classes share a name (or a class is
	// named [UnknownClass]): per_class is keyed by name.
	ErrDuplicateClass = errors.New("duplicate class name")
)

// InputError reports which input was wrong and, for per-row problems, the
// row. It wraps one of the sentinel errors.
type InputError struct {
	Field string // "y", "pred", "probs", "classes", "truth", "scores"
	Row   int    // row (or class) index, -1 when not about one row
	Err   error
}

func (e *InputError) Error() string {
	if e.Row < 0 {
		return fmt.Sprintf("eval: %s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("eval: %s row %d: %v", e.Field, e.Row, e.Err)
}

func (e *InputError) Unwrap() error { return e.Err }

func inputErr(field string, row int, err error) error {
	return &InputError{Field: field, Row: row, Err: err}
}
