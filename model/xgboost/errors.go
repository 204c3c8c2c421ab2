package xgboost

import (
	"errors"
	"fmt"
)

// Sentinel errors of Read; test with errors.Is.
var (
	// ErrSyntax: the bytes are not an XGBoost JSON model document (not
	// JSON, a wrong type, a required key missing).
	ErrSyntax = errors.New("malformed xgboost json model")
	// ErrUnsupported: a valid XGBoost model using something flowsense
	// does not import (objective, booster, categorical split, ...).
	ErrUnsupported = errors.New("unsupported xgboost model")
	// ErrShape: sizes that must agree do not (per-node arrays, tree counts,
	// feature names).
	ErrShape = errors.New("inconsistent sizes")
	// ErrRange: an index (child, feature, class) points outside what it
	// indexes, or the child links do not form a tree.
	ErrRange = errors.New("index out of range")
	// ErrNonFinite: a split condition, leaf value or base score is NaN,
	// infinite or beyond float32's range.
	ErrNonFinite = errors.New("non-finite number")
	// ErrOption: an Options field does not fit the model (wrong number of
	// names, an unknown benign class, duplicates).
	ErrOption = errors.New("invalid import option")
	// ErrModel: the converted model fails model.Validate. The error wraps
	// model's own error too.
	ErrModel = errors.New("converted model is invalid")
)

// Error is a failure at a place in the XGBoost document, named by a
// JSON-like path such as "learner.gradient_booster.model.trees[3].left_children[17]".
type Error struct {
	Path string
	Err  error
	// Detail says what exactly is wrong, for the message.
	Detail string
}

func (e *Error) Error() string {
	msg := e.Err.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Path == "" {
		return "xgboost: " + msg
	}
	return "xgboost: " + e.Path + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(path string, err error, format string, args ...any) *Error {
	return &Error{Path: path, Err: err, Detail: fmt.Sprintf(format, args...)}
}
