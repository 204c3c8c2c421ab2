package simulate

import (
	"errors"
	"fmt"
)

// Sentinel errors; the errors of Run and FetchModel wrap one of them.
var (
	// ErrOption marks an option out of its range (an *OptionError).
	ErrOption = errors.New("bad option")
	// ErrTarget marks a target that cannot be reached or does not answer
	// GET /model as a flowsense function does.
	ErrTarget = errors.New("target")
	// ErrData marks data the run cannot use: no rows, no labels, no rows of
	// the kind a fraction asks for.
	ErrData = errors.New("data")
	// ErrReply marks an answer that is not the classifications asked for
	// (counted per request under the kind "reply", never returned by Run).
	ErrReply = errors.New("bad reply")
)

// OptionError names the option that is out of range, by its command-line
// name (rate, outlier-fraction, target, ...).
type OptionError struct {
	Option string
	Value  string
	Want   string
}

func (e *OptionError) Error() string {
	return fmt.Sprintf("--%s %s: want %s", e.Option, e.Value, e.Want)
}

// Unwrap returns ErrOption.
func (e *OptionError) Unwrap() error { return ErrOption }
