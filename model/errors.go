package model

import (
	"errors"
	"fmt"
)

// Sentinel errors of decoding and validation; test with errors.Is.
var (
	// ErrVersion: the file's format version is not one this package reads
	// (newer than FormatVersion, or not positive).
	ErrVersion = errors.New("unsupported model format version")
	// ErrSyntax: the bytes are not a JSON model document.
	ErrSyntax = errors.New("malformed model file")
	// ErrRange: an index (feature, child, class, category offset) points
	// outside what it indexes.
	ErrRange = errors.New("index out of range")
	// ErrCycle: a tree's child links do not form a tree rooted at node 0
	// (a cycle, a node with two parents, or an unreachable node).
	ErrCycle = errors.New("tree links do not form a tree")
	// ErrNonFinite: a threshold, leaf value or statistic is NaN or infinite.
	ErrNonFinite = errors.New("non-finite number")
	// ErrShape: sizes that must agree do not.
	ErrShape = errors.New("inconsistent sizes")
	// ErrTooLarge: the model exceeds a size limit (see Limits).
	ErrTooLarge = errors.New("model exceeds size limits")
	// ErrInvalid: any other broken rule (duplicate names, wrong kinds, ...).
	ErrInvalid = errors.New("invalid model")
)

// Error is a decoding or validation failure at a place in the model,
// named by a JSON-like path such as "ensemble.trees[3].threshold[17]".
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
		return "model: " + msg
	}
	return "model: " + e.Path + ": " + msg
}

func (e *Error) Unwrap() error { return e.Err }

func errAt(path string, err error, format string, args ...any) *Error {
	return &Error{Path: path, Err: err, Detail: fmt.Sprintf(format, args...)}
}
