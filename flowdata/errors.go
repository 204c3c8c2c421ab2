package flowdata

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Sentinel errors. Every error returned by this package wraps one of them
// (or a model error such as model.ErrNotNumber), so callers test with
// errors.Is.
var (
	// ErrFieldCount: a row has more or fewer fields than the header (or
	// than the format expects).
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrNoLabel: the label column was not found.
	ErrNoLabel = errors.New("label column not found")
	// ErrMissingLabel: a row's label cell is empty.
	ErrMissingLabel = errors.New("empty label")
	// ErrGzip: the input starts like gzip but is corrupt or truncated.
	ErrGzip = errors.New("corrupt gzip data")
	// ErrEmpty: a file holds no data rows.
	ErrEmpty = errors.New("no data rows")
	// ErrHeaderMismatch: several files whose headers disagree after
	// canonicalisation.
	ErrHeaderMismatch = errors.New("headers disagree")
	// ErrUnknownLabel: a label the label map does not know.
	ErrUnknownLabel = errors.New("unknown label")
	// ErrMissingFeature: a feature asked for (by Options.Schema or
	// Options.Features) is not in the file.
	ErrMissingFeature = errors.New("missing feature")
	// ErrNoColumn: a column named in Options.Drop is not in the file.
	ErrNoColumn = errors.New("no such column")
	// ErrFormat: the data does not have the shape of the format asked for.
	ErrFormat = errors.New("bad format")
	// ErrOption: an invalid option or argument.
	ErrOption = errors.New("invalid option")
	// ErrLimit: the input is over a bound the caller set
	// (Options.MaxColumns, Options.MaxBlankLines).
	ErrLimit = errors.New("over a limit")
	// ErrLongRecord: a record exceeds MaxRecordBytes (usually an unclosed
	// quote).
	ErrLongRecord = errors.New("record too long")
	// ErrUnsampled: data Options.Sample cannot read: a csv column mixes
	// numbers and text, and coding it needs the text of every cell.
	ErrUnsampled = errors.New("cannot be read as a sample")
)

// ParseError locates an error in an input file. Line is the 1-based line
// where the record starts (0 when the error is not about one record).
// Column is the 1-based field index in the record, not a byte offset (0
// when the error is not about one field); for ErrFieldCount it is the first
// surplus field of a long record, or the last field of a short one.
// ColumnName is the header name of that field when there is one.
type ParseError struct {
	File       string
	Line       int
	Column     int
	ColumnName string
	Err        error
}

// Error formats the error on one line, like
// `path/file.csv:12:5: column "Flow Duration": not a number: "abc"`.
func (e *ParseError) Error() string {
	// a flow log's converter locates its own errors in the log's lines
	if inner, ok := e.Err.(*ParseError); ok {
		return inner.Error()
	}
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
		if e.Column > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(e.Column))
		}
	}
	b.WriteString(": ")
	if e.ColumnName != "" {
		fmt.Fprintf(&b, "column %q: ", e.ColumnName)
	}
	if e.Err != nil {
		b.WriteString(oneLine(e.Err.Error()))
	}
	return b.String()
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(s)
}
