package cloudevents

import (
	"errors"
	"strings"
)

var (
	// ErrMalformed: the data is not valid JSON.
	ErrMalformed = errors.New("malformed JSON")
	// ErrNotFlow: valid JSON that is not a flow or a list of flows.
	ErrNotFlow = errors.New("not a flow")
	// ErrUnknownField: a flow names fields the model's schema does not have.
	ErrUnknownField = errors.New("unknown field")
	// ErrFieldValue: a field's value has the wrong type or cannot be read
	// (an unknown category of a strict feature, text that is not a number).
	ErrFieldValue = errors.New("bad field value")
	// ErrTooManyFlows: more flows than the decoder's limit.
	ErrTooManyFlows = errors.New("too many flows")
	// ErrEvent: the event breaks the CloudEvents spec or this contract
	// (missing id, source or type; a type other than the one expected; data that is
	// not JSON).
	ErrEvent = errors.New("invalid event")
	// ErrContentType: the event's data content type is not JSON.
	ErrContentType = errors.New("data content type is not JSON")
)

// Error is a decoding or validation error with its context.
type Error struct {
	// Flow is the index of the flow in a list (0 for a single flow), or -1
	// when the error is not about one flow.
	Flow int
	// Fields names the offending fields, when there are any.
	Fields []string
	// Detail says what is wrong in words.
	Detail string
	Err    error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("cloudevents: ")
	b.WriteString(e.Err.Error())
	if e.Flow >= 0 {
		b.WriteString(" in flow ")
		b.WriteString(itoa(e.Flow))
	}
	if e.Detail != "" {
		b.WriteString(": ")
		b.WriteString(e.Detail)
	}
	return b.String()
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	neg := i < 0
	if neg {
		i = -i
	}
	var b [20]byte
	n := len(b)
	for i > 0 {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
	}
	if neg {
		n--
		b[n] = '-'
	}
	return string(b[n:])
}
