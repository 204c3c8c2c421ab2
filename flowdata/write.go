package flowdata

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/flowsense/flowsense/model"
)

// WriteCSV writes the dataset as CSV with a header: the features in schema
// order, then the label column when the dataset has labels. Numbers are
// written so that they read back to the same float32 (NaN as an empty
// cell, infinities as Infinity and -Infinity); categories by their text.
// Read with Options.Schema set to d.Schema gives the dataset back.
func (d *Dataset) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	nf := len(d.Schema.Features)
	if len(d.Columns) != nf {
		return fmt.Errorf("%w: %d columns for %d features", ErrOption, len(d.Columns), nf)
	}
	rec := make([]string, 0, nf+1)
	for _, f := range d.Schema.Features {
		rec = append(rec, f.Name)
	}
	if d.HasLabels {
		name := d.LabelName
		if name == "" {
			name = "Label"
		}
		rec = append(rec, name)
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for i := 0; i < d.Rows; i++ {
		rec = rec[:0]
		for j, f := range d.Schema.Features {
			v := d.Columns[j][i]
			rec = append(rec, formatCell(&f, v))
		}
		if d.HasLabels {
			y := d.Y[i]
			if y < 0 || int(y) >= len(d.Classes) {
				return fmt.Errorf("%w: row %d has class %d of %d", ErrOption, i, y, len(d.Classes))
			}
			rec = append(rec, d.Classes[y])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func formatCell(f *model.Feature, v float32) string {
	switch {
	case math.IsNaN(float64(v)):
		return ""
	case math.IsInf(float64(v), 1):
		return "Infinity"
	case math.IsInf(float64(v), -1):
		return "-Infinity"
	}
	if f.Kind == model.Categorical {
		c := int(v)
		if float32(c) == v && c >= 0 && c < len(f.Categories) {
			return f.Categories[c]
		}
		return ""
	}
	return strconv.FormatFloat(float64(v), 'g', -1, 64)
}
