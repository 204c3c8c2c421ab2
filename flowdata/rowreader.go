package flowdata

import (
	"fmt"
	"io"

	"github.com/flowsense/flowsense/model"
)

// RowReader streams the rows of one CSV (plain or gzip) against a model's
// schema, one at a time, without building a Dataset: how predict and the
// HTTP functions read uploads. It uses the same splitter and cell parser as
// Read. It is not safe for concurrent use.
type RowReader struct {
	name    string
	br      *blockReader
	it      recIter
	p       *parser
	lay     *layout
	opt     Options
	eof     bool
	skipped int
	blank   int
	errs    []error
}

// NewRowReader reads the header of r (gzip or plain, format per
// opt.Format) and prepares to read rows against schema; name is used in
// error messages. opt.Schema and opt.Features are ignored (schema is the
// schema). A schema feature absent from the header is an error
// (ErrMissingFeature) unless opt.AllowMissing.
func NewRowReader(r io.Reader, name string, schema *model.Schema, opt Options) (*RowReader, error) {
	if schema == nil {
		return nil, fmt.Errorf("%w: NewRowReader needs a schema", ErrOption)
	}
	switch opt.Format {
	case "", FormatAuto, FormatCICFlowMeter, FormatKDD, FormatCSV, FormatZeek, FormatEVE, FormatVPCFlow:
	default:
		return nil, fmt.Errorf("%w: unknown format %q", ErrOption, opt.Format)
	}
	opt.Schema, opt.Features = schema, nil
	src, err := decompress(r)
	if err != nil {
		return nil, &ParseError{File: name, Err: err}
	}
	lr, lopt, start, err := logSource(src, name, &opt)
	if err != nil {
		return nil, err
	}
	br := newBlockReader(lr)
	br.line = start
	lay, first, line, err := readHeader(br, name, lopt)
	if err != nil {
		return nil, err
	}
	mapLabel, err := labelMapper(opt.LabelMap, lay.format)
	if err != nil {
		return nil, err
	}
	rr := &RowReader{name: name, br: br, lay: lay, opt: opt,
		p: newParser(lay, name, model.NewEncoder(schema), mapLabel, opt.SkipBad)}
	rr.it.reset(first, line)
	return rr, nil
}

// Format returns the format the input is read as.
func (r *RowReader) Format() Format { return r.lay.format }

// HasLabels reports whether the input has a label column.
func (r *RowReader) HasLabels() bool { return r.lay.label >= 0 }

// Dropped lists the input columns that are not schema features.
func (r *RowReader) Dropped() []Dropped { return append([]Dropped(nil), r.lay.dropped...) }

// Skipped returns how many rows were skipped under Options.SkipBad, and the
// first MaxSkippedErrors reasons.
func (r *RowReader) Skipped() (int, []error) { return r.skipped, append([]error(nil), r.errs...) }

// Next reads the next row into dst (at least one value per schema feature)
// and returns its label after the label map ("" without labels). At the end
// it returns io.EOF. A bad row is a *ParseError, or is skipped under
// Options.SkipBad.
func (r *RowReader) Next(dst []float32) (label string, err error) {
	if len(dst) < len(r.lay.cols) {
		return "", fmt.Errorf("%w: row buffer holds %d values, the schema has %d features", ErrOption, len(dst), len(r.lay.cols))
	}
	for {
		rec, line, ok := r.it.next()
		if max := r.opt.MaxBlankLines; max > 0 && r.blank+r.it.empty > max {
			if !ok {
				line = r.it.line
			}
			return "", &ParseError{File: r.name, Line: line, Err: fmt.Errorf("%w: more than %d blank lines", ErrLimit, max)}
		}
		if !ok {
			if r.eof {
				return "", io.EOF
			}
			data, l, err := r.br.next()
			if err == io.EOF {
				r.eof = true
				return "", io.EOF
			}
			if err != nil {
				r.eof = true
				return "", &ParseError{File: r.name, Line: l, Err: err}
			}
			r.it.reset(data, l)
			continue
		}
		if isBlank(rec) {
			r.blank++ // of empty fields; checked at the next record
			continue
		}
		if err := r.p.row(rec, line); err != nil {
			if !r.opt.SkipBad {
				return "", err
			}
			r.skipped++
			if len(r.errs) < MaxSkippedErrors {
				r.errs = append(r.errs, err)
			}
			continue
		}
		copy(dst, r.p.vals)
		return r.p.label, nil
	}
}
