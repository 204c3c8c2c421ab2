package collect

import (
	"bufio"
	"io"
	"strings"
)

// CSVWriter writes flows as CSV with a header of the 43 feature names in
// the NF-v2 datasets' column order, missing values as empty cells: the
// layout flowsense train reads (add a label column, drop the addresses).
type CSVWriter struct {
	w      *bufio.Writer
	buf    []byte
	header bool
}

// NewCSVWriter returns a writer on w; the header goes out with the first
// flow (or at Flush when there is none).
func NewCSVWriter(w io.Writer) *CSVWriter { return &CSVWriter{w: bufio.NewWriter(w)} }

func (c *CSVWriter) writeHeader() error {
	c.header = true
	_, err := c.w.WriteString(strings.Join(featureNames[:], ",") + "\n")
	return err
}

// Write writes one flow.
func (c *CSVWriter) Write(f *Flow) error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	b := c.buf[:0]
	for x := Feature(0); int(x) < NumFeatures; x++ {
		if x > 0 {
			b = append(b, ',')
		}
		if x.IsAddress() {
			if a := f.addr(x); a.IsValid() {
				b = a.AppendTo(b)
			}
			continue
		}
		b = appendValue(b, f.Values[x])
	}
	b = append(b, '\n')
	c.buf = b
	_, err := c.w.Write(b)
	return err
}

// Flush writes what is buffered (and the header if no flow came).
func (c *CSVWriter) Flush() error {
	if !c.header {
		if err := c.writeHeader(); err != nil {
			return err
		}
	}
	return c.w.Flush()
}
