package model

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// Limits bound what Decode accepts, so a hostile file cannot make a reader
// allocate without end. The defaults are far above any model flowsense
// trains.
type Limits struct {
	FileBytes  int64 // size of the encoded file
	Features   int
	Categories int // per feature
	Classes    int
	Trees      int
	Nodes      int // over all trees
}

// DefaultLimits are the limits Decode applies.
var DefaultLimits = Limits{
	FileBytes:  1 << 30,
	Features:   1 << 16,
	Categories: 1 << 20,
	Classes:    1 << 12,
	Trees:      1 << 20,
	Nodes:      1 << 27,
}

// Decode reads a model file and validates it completely (see Validate).
// A file written by a newer flowsense is rejected with ErrVersion before
// anything else is read.
func Decode(r io.Reader) (*Model, error) {
	return DecodeLimits(r, DefaultLimits)
}

// DecodeLimits is Decode with explicit limits.
func DecodeLimits(r io.Reader, lim Limits) (*Model, error) {
	b, err := io.ReadAll(io.LimitReader(r, lim.FileBytes+1))
	if err != nil {
		return nil, fmt.Errorf("model: read: %w", err)
	}
	if int64(len(b)) > lim.FileBytes {
		return nil, errAt("", ErrTooLarge, "file larger than %d bytes", lim.FileBytes)
	}
	var head struct {
		Format *int `json:"format"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, syntaxError(b, err)
	}
	if head.Format == nil {
		return nil, errAt("format", ErrVersion, "no format version: not a flowsense model file")
	}
	if *head.Format < 1 || *head.Format > FormatVersion {
		return nil, errAt("format", ErrVersion, "file has format %d, this flowsense reads 1 to %d", *head.Format, FormatVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	m := new(Model)
	if err := dec.Decode(m); err != nil {
		return nil, syntaxError(b, err)
	}
	if dec.More() {
		return nil, errAt("", ErrSyntax, "data after the model document")
	}
	if err := ValidateLimits(m, lim); err != nil {
		return nil, err
	}
	return m, nil
}

// syntaxError turns a JSON error into an *Error naming line and column.
func syntaxError(b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return &Error{Err: ErrSyntax, Detail: err.Error()}
	}
	line, col := 1, 1
	for _, c := range b[:min(off, int64(len(b)))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return &Error{Err: ErrSyntax, Detail: fmt.Sprintf("line %d, column %d: %v", line, col, err)}
}

// Encode writes m as an indented JSON model file. It does not validate;
// call Validate first when m comes from outside.
func (m *Model) Encode(w io.Writer) error {
	b, err := m.MarshalIndent()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// MarshalIndent returns the model file bytes.
func (m *Model) MarshalIndent() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("model: encode: %w", err)
	}
	// Compact per-node arrays stay on one line each; only the structure
	// is indented, which keeps files readable and diffs meaningful.
	var out bytes.Buffer
	if err := json.Indent(&out, buf.Bytes(), "", " "); err != nil {
		return nil, fmt.Errorf("model: encode: %w", err)
	}
	return out.Bytes(), nil
}

// ReadFile decodes the model file at path. Errors name the file.
func ReadFile(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m, err := Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
