package flowdata

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// TestRowReaderLimits: MaxColumns refuses a wide header before any
// per-column work and MaxBlankLines bounds the blank lines skipped; both
// are ParseErrors wrapping ErrLimit with the line, and within the limits
// the rows read as without them.
func TestRowReaderLimits(t *testing.T) {
	schema := &model.Schema{Features: []model.Feature{{Name: "a"}, {Name: "b"}}}
	wide := strings.Repeat("x,", 999) + "a,b\n1,2\n"
	blanks := "a,b\n1,2\n" + strings.Repeat("\n", 5) + "3,4\n"
	cases := map[string]struct {
		input string
		opt   Options
		rows  int  // rows read before the end or the error
		fail  bool // ErrLimit
		line  int
	}{
		"wide header refused":      {input: wide, opt: Options{MaxColumns: 100}, fail: true, line: 1},
		"wide header at no limit":  {input: strings.Replace(wide, "1,2", strings.Repeat(",", 999)+"1,2", 1), rows: 1},
		"blank lines over":         {input: blanks, opt: Options{MaxBlankLines: 4}, rows: 1, fail: true, line: 8},
		"blank lines at the limit": {input: blanks, opt: Options{MaxBlankLines: 5}, rows: 2},
		"blank lines, no limit":    {input: blanks, rows: 2},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			rr, err := NewRowReader(strings.NewReader(tc.input), "up.csv", schema, tc.opt)
			n := 0
			if err == nil {
				row := make([]float32, 2)
				for {
					if _, err = rr.Next(row); err != nil {
						break
					}
					n++
				}
			}
			if n != tc.rows {
				t.Errorf("%d rows, want %d", n, tc.rows)
			}
			if !tc.fail {
				if err != io.EOF {
					t.Fatalf("error %v, want the end", err)
				}
				return
			}
			var pe *ParseError
			if !errors.Is(err, ErrLimit) || !errors.As(err, &pe) || pe.Line != tc.line {
				t.Fatalf("error %v, want a ParseError at line %d wrapping ErrLimit", err, tc.line)
			}
		})
	}
}
