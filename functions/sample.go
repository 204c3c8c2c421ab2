package functions

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/flowsense/flowsense/flowdata"
	"github.com/flowsense/flowsense/model"
)

// DefaultSampleRows is how many data rows SampleOf keeps by default.
const DefaultSampleRows = 100

// MaxSampleBytes bounds a sample: it is served whole from memory.
const MaxSampleBytes = 1 << 20

// ErrSample: the sample given to WithSample does not read against the
// model, or is too large.
var ErrSample = errors.New("bad sample")

// WithSample makes GET /sample.csv answer csv: a few flows in the model's
// columns, typically the first rows of its training data (SampleOf), that
// the web page links so that a first visitor sees a result in one click.
// New checks that every row reads against the model's schema. Without it
// /sample.csv is 404 and the page shows no link.
func WithSample(csv []byte) Option {
	return func(c *config) {
		c.sample = csv
		sum := sha256.Sum256(csv)
		c.sampleTag = `"` + hex.EncodeToString(sum[:16]) + `"`
	}
}

// SampleOf returns the first records of r (gzip or plain), byte for byte:
// the header line and rows data rows after it (a record is a line, or
// several when a quoted field holds a line break; blank lines are
// skipped). A shorter file is returned whole. For a file without a header
// (KDD) that is rows+1 records.
func SampleOf(r io.Reader, rows int) ([]byte, error) {
	if rows < 1 {
		return nil, fmt.Errorf("%w: %d rows", ErrSample, rows)
	}
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		z, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("%w: gzip: %v", ErrSample, err)
		}
		br = bufio.NewReader(z)
	}
	var out bytes.Buffer
	records, inQuote := 0, false
	for records <= rows {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 && (inQuote || len(bytes.TrimSpace(line)) > 0) {
			out.Write(line)
			if bytes.Count(line, []byte{'"'})%2 == 1 {
				inQuote = !inQuote
			}
			if !inQuote {
				records++
				if line[len(line)-1] != '\n' {
					out.WriteByte('\n')
				}
			}
			if out.Len() > MaxSampleBytes {
				return nil, fmt.Errorf("%w: the first %d rows are more than %d bytes", ErrSample, rows, MaxSampleBytes)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if records == 0 {
		return nil, fmt.Errorf("%w: no rows", ErrSample)
	}
	return out.Bytes(), nil
}

// checkSample reads every row of the sample against the schema.
func checkSample(schema *model.Schema, csv []byte) error {
	if csv == nil {
		return nil
	}
	if len(csv) > MaxSampleBytes {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrSample, len(csv), MaxSampleBytes)
	}
	rr, err := flowdata.NewRowReader(bytes.NewReader(csv), "sample.csv", schema, flowdata.Options{})
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSample, err)
	}
	row := make([]float32, len(schema.Features))
	n := 0
	for ; ; n++ {
		_, err := rr.Next(row)
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSample, err)
		}
	}
	if n == 0 {
		return fmt.Errorf("%w: a header and no rows", ErrSample)
	}
	return nil
}

// serveSample answers GET /sample.csv.
func (s *Server) serveSample(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.sample == nil {
		return &Error{Problem: withDetail(problemFor(ErrNotFound).Problem, "this function serves no sample (flowsense serve --sample FILE)"), Err: ErrNotFound}
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `inline; filename="sample.csv"`)
	w.Header().Set("ETag", s.cfg.sampleTag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(s.cfg.sample))
	return nil
}
