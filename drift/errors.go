package drift

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; every error Compare returns wraps one of them.
var (
	// ErrColumns: the reference and current data do not have the same
	// feature columns.
	ErrColumns = errors.New("columns differ")
	// ErrKind: a column is numeric in one file and categorical in the
	// other.
	ErrKind = errors.New("column kinds differ")
	// ErrEmpty: a column has no finite value in one of the files (Evidently
	// refuses such a column too).
	ErrEmpty = errors.New("empty column")
	// ErrInput: nil or inconsistent datasets.
	ErrInput = errors.New("invalid input")
)

// ColumnsError names the columns that are in only one of the two files.
type ColumnsError struct {
	OnlyReference []string
	OnlyCurrent   []string
}

func (e *ColumnsError) Error() string {
	var parts []string
	if len(e.OnlyReference) > 0 {
		parts = append(parts, "only in the reference: "+strings.Join(e.OnlyReference, ", "))
	}
	if len(e.OnlyCurrent) > 0 {
		parts = append(parts, "only in the current data: "+strings.Join(e.OnlyCurrent, ", "))
	}
	return fmt.Sprintf("%v: %s", ErrColumns, strings.Join(parts, "; "))
}

func (e *ColumnsError) Unwrap() error { return ErrColumns }

// ColumnError is a problem with one column.
type ColumnError struct {
	Column string
	Detail string
	Err    error
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("column %q: %v: %s", e.Column, e.Err, e.Detail)
}

func (e *ColumnError) Unwrap() error { return e.Err }
