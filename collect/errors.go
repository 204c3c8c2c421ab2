package collect

import (
	"errors"
	"fmt"
	"net/netip"
)

// Sentinel errors; every error the decoder returns wraps one of them in an
// *Error.
var (
	// ErrTruncated: a message, set or record is shorter than its header
	// or its length field says.
	ErrTruncated = errors.New("truncated")
	// ErrVersion: not NetFlow v5, v9 or IPFIX.
	ErrVersion = errors.New("unknown version")
	// ErrLength: a length field that contradicts the datagram (IPFIX
	// message length, a v5 record count, a set length below its header).
	ErrLength = errors.New("bad length")
	// ErrTemplate: a template that cannot describe data: no fields, a
	// field of variable length in NetFlow v9, records of zero bytes or
	// larger than any message, a template ID below 256.
	ErrTemplate = errors.New("bad template")
	// ErrTemplateLimit: the exporter holds as many templates, or template
	// fields, as Limits allows; the template is refused.
	ErrTemplateLimit = errors.New("template limit")
	// ErrNoTemplate: a data set whose template the exporter has not sent
	// (yet): its records are dropped, the rest of the message is read.
	ErrNoTemplate = errors.New("no template")
	// ErrDecode: goflow2's decoder refused the message.
	ErrDecode = errors.New("decode")
)

// Error is a decoding error with where it happened. Version, Domain and
// Template are zero when unknown.
type Error struct {
	Exporter netip.AddrPort
	Version  uint16
	Domain   uint32 // v9 source ID, IPFIX observation domain
	Template uint16 // set or template ID
	Err      error  // one of the sentinels
	Detail   string
}

func (e *Error) Error() string {
	s := "collect: " + e.Exporter.String()
	if e.Version != 0 {
		s += fmt.Sprintf(" v%d", e.Version)
	}
	if e.Domain != 0 {
		s += fmt.Sprintf(" domain %d", e.Domain)
	}
	if e.Template != 0 {
		s += fmt.Sprintf(" template %d", e.Template)
	}
	s += ": " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }
