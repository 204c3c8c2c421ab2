package abi

import (
	"errors"
	"strconv"

	"github.com/flowsense/flowsense/model"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrModel: Compile was given a model that fails model.Validate.
	ErrModel = errors.New("invalid model")
	// ErrTooLarge: the model does not fit in a module's memory.
	ErrTooLarge = errors.New("model too large for a module")
	// ErrCorrupt: the bytes are not a well-formed WebAssembly module, or
	// its flowsense section or exports are damaged.
	ErrCorrupt = errors.New("corrupt module")
	// ErrForeign: a WebAssembly module without a flowsense model section.
	ErrForeign = errors.New("not a flowsense module")
	// ErrABI: the module's ABI version is not the one this host speaks.
	ErrABI = errors.New("unsupported module ABI version")
	// ErrBatch: the output slice does not match the rows.
	ErrBatch = errors.New("result slice does not match the rows")
	// ErrRowWidth, ErrUnknownCategory and ErrUnknownFeature are the model
	// package's, so that errors.Is works the same for both predictors.
	ErrRowWidth        = model.ErrRowWidth
	ErrUnknownCategory = model.ErrUnknownCategory
	ErrUnknownFeature  = model.ErrUnknownFeature
	// ErrFieldType: a record field of a type ClassifyRecord does not read.
	ErrFieldType = errors.New("unsupported field type")
	// ErrPredict: the module did not run (a trap or a refused batch).
	ErrPredict = errors.New("module call failed")
	// ErrNoExplain: the module has no explain export (ABI 1.1): its model
	// had no node covers, or it was compiled without it.
	ErrNoExplain = errors.New("module cannot explain its predictions (no explain export; compile a model with node covers)")
	// ErrRefused: a well-formed module the host's sandbox does not run (a
	// start function, memory over the host's limit).
	ErrRefused = errors.New("module refused by the sandbox")
	// ErrSmoke: the module failed the prediction a host runs at load (or
	// in a readiness check): a trap, a timeout, or answers out of shape
	// or range.
	ErrSmoke = errors.New("module failed its smoke test")
)

// Error is a failure with its context: what was being done (Op: "compile",
// "read metadata", "load", "classify") and, for module bytes, where.
type Error struct {
	Op string
	// Offset is the byte offset in the module the problem was found at,
	// or -1 when it does not apply.
	Offset int
	Err    error
	Detail string
}

func (e *Error) Error() string {
	msg := "wasm: " + e.Op + ": " + e.Err.Error()
	if e.Detail != "" {
		msg += ": " + e.Detail
	}
	if e.Offset >= 0 {
		msg += " (at byte " + strconv.Itoa(e.Offset) + ")"
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }
