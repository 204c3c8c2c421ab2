package awslambda

import (
	"errors"

	"github.com/flowsense/flowsense/functions"
)

var (
	// ErrPayload: the invocation payload is not JSON, or an event of a
	// known shape (HTTP, SQS) that cannot be decoded.
	ErrPayload = errors.New("bad invocation payload")
	// ErrMessage: a direct invocation that the handler refused (the
	// Problem says why, as the HTTP handler would have).
	ErrMessage = errors.New("message refused")
)

// Error is what Invoke returns for a payload it cannot answer. Lambda
// reports it to the caller as errorType "Error" with errorMessage
// Error(). Status and Problem are what HTTP would have answered.
type Error struct {
	// Kind is the shape the payload was taken for: "http", "sqs",
	// "kinesis", "dynamodb", "kafka", "firehose", "logs" or "direct".
	Kind    string
	Status  int
	Problem functions.Problem
	Err     error
}

func (e *Error) Error() string {
	return "awslambda: " + e.Kind + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }
