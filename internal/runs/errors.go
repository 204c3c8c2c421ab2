package runs

import (
	"errors"
	"fmt"
)

// Sentinels wrapped by every error of this package.
var (
	// ErrCorrupt: a run file is not a valid run (bad JSON, unknown format,
	// missing id or time, an id that does not match the file name).
	ErrCorrupt = errors.New("corrupt run file")
	// ErrNotFound: no run has the given id or id prefix.
	ErrNotFound = errors.New("no such run")
	// ErrAmbiguous: more than one run starts with the given id prefix.
	ErrAmbiguous = errors.New("ambiguous run id")
)

// FileError says which run file an error is about and, for a decoding
// error, where in the file (1-based line and column; 0 when unknown).
type FileError struct {
	Path         string
	Line, Column int
	Err          error
}

func (e *FileError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.Path, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.Path, e.Err)
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }
