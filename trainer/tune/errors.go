package tune

import (
	"errors"
	"fmt"
)

// Sentinels.
var (
	// ErrConfig: the tuning configuration is invalid.
	ErrConfig = errors.New("invalid tuning configuration")
	// ErrSlice: a slice file of a split search is corrupt, or the slices
	// of a directory do not make one search.
	ErrSlice = errors.New("bad search slice")
)

// SliceError names the slice file an error is about.
type SliceError struct {
	Path string
	Err  error
}

func (e *SliceError) Error() string { return fmt.Sprintf("%s: %v", e.Path, e.Err) }

// Unwrap returns the underlying error.
func (e *SliceError) Unwrap() error { return e.Err }

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrConfig, fmt.Sprintf(format, args...))
}
