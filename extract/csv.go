package extract

import (
	"bufio"
	"io"
	"math"
	"strconv"
	"time"
)

// The identifier columns before the features and the two after them, as in
// the CIC-IDS2017 sample (its "id" is the row number; "Attempted
// Category" is -1 for flows that are not failed attack attempts).
var (
	headPrefix = [...]string{"id", "Flow ID", "Src IP", "Src Port", "Dst IP", "Dst Port", "Protocol", "Timestamp"}
	headSuffix = [...]string{"Label", "Attempted Category"}
)

// DefaultLabel is the Label column's value, as CICFlowMeter writes it.
const DefaultLabel = "NeedManualLabel"

// Header returns the 91 column names of the CIC-IDS2017 sample, in order.
func Header() []string {
	h := make([]string, 0, len(headPrefix)+numFeatures+len(headSuffix))
	h = append(h, headPrefix[:]...)
	h = append(h, featureNames[:]...)
	return append(h, headSuffix[:]...)
}

// CSVWriter writes flows in the CIC-IDS2017 sample's layout: its header,
// then one row per flow, numbered from 1.
type CSVWriter struct {
	w     *bufio.Writer
	label string
	buf   []byte
	rows  int64
	err   error
	// the formatted Timestamp up to the seconds, for the last second seen
	lastSec int64
	secText []byte
}

// NewCSVWriter returns a writer with label in the Label column
// ("" means DefaultLabel). The header is written with the first row, or by
// Flush if there is none.
func NewCSVWriter(w io.Writer, label string) *CSVWriter {
	if label == "" {
		label = DefaultLabel
	}
	return &CSVWriter{w: bufio.NewWriterSize(w, 256<<10), label: label, lastSec: math.MinInt64}
}

func (c *CSVWriter) header() {
	b := c.buf[:0]
	for i, n := range Header() {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, n...)
	}
	b = append(b, '\n')
	_, c.err = c.w.Write(b)
	c.buf = b
}

// Write writes one flow.
func (c *CSVWriter) Write(f *Flow) error {
	if c.err != nil {
		return c.err
	}
	if c.rows == 0 {
		c.header()
	}
	c.rows++
	b := c.buf[:0]
	b = strconv.AppendInt(b, c.rows, 10)
	b = append(b, ',')
	b = f.appendID(b)
	b = append(b, ',')
	b = f.Src.AppendTo(b)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(f.SrcPort), 10)
	b = append(b, ',')
	b = f.Dst.AppendTo(b)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(f.DstPort), 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, uint64(f.Protocol), 10)
	b = append(b, ',')
	b = c.appendTime(b, f.StartMicros)
	for _, v := range f.values {
		b = append(b, ',')
		b = AppendNumber(b, v)
	}
	b = append(b, ',')
	b = append(b, c.label...)
	b = append(b, ",-1\n"...)
	c.buf = b
	_, c.err = c.w.Write(b)
	return c.err
}

// Flush writes what is buffered (and the header if no row was written).
func (c *CSVWriter) Flush() error {
	if c.err == nil && c.rows == 0 {
		c.header()
	}
	if c.err != nil {
		return c.err
	}
	c.err = c.w.Flush()
	return c.err
}

// Rows is the number of flows written.
func (c *CSVWriter) Rows() int64 { return c.rows }

// appendTime writes microseconds since the epoch as the reference's
// Timestamp: UTC, "2006-01-02 15:04:05.000000".
func (c *CSVWriter) appendTime(b []byte, us int64) []byte {
	sec, frac := us/1e6, us%1e6
	if frac < 0 {
		sec, frac = sec-1, frac+1e6
	}
	if sec != c.lastSec {
		c.secText = time.Unix(sec, 0).UTC().AppendFormat(c.secText[:0], "2006-01-02 15:04:05")
		c.lastSec = sec
	}
	b = append(b, c.secText...)
	b = append(b, '.')
	var d [6]byte
	for i := 5; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}

// AppendNumber formats a feature value: integers without a fraction,
// other values in the shortest form that reads back exactly, NaN as "NaN"
// and infinities as "Infinity" and "-Infinity" (Java's spelling, which the
// trainer's reader takes).
func AppendNumber(b []byte, v float64) []byte {
	switch {
	case v == 0:
		return append(b, '0')
	case math.IsNaN(v):
		return append(b, "NaN"...)
	case math.IsInf(v, 1):
		return append(b, "Infinity"...)
	case math.IsInf(v, -1):
		return append(b, "-Infinity"...)
	case v == math.Trunc(v) && math.Abs(v) < 1e15:
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
