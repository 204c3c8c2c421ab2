package synth

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

// FuzzWrite drives Write with arbitrary options: it must either reject them
// with an *OptionError or write exactly the rows asked for, every one of
// them internally consistent.
func FuzzWrite(f *testing.F) {
	f.Add(uint64(1), uint16(20), 0.0, 0.7, 0.07, 0.07, 0.06, 0.05, 0.05)
	f.Add(uint64(2), uint16(200), 0.1, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0)
	f.Add(uint64(3), uint16(50), 0.5, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0)
	f.Add(uint64(4), uint16(1), 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
	f.Add(uint64(5), uint16(9), -1.0, math.NaN(), 1.0, math.Inf(1), 0.0, 0.0, -2.0)
	f.Fuzz(func(t *testing.T, seed uint64, rows uint16, novel, b, sf, ps, bf, sd, ex float64) {
		opt := Options{Rows: int(rows % 300), Seed: seed, Novel: novel,
			Mix: map[string]float64{Benign: b, SYNFlood: sf, PortScan: ps, BruteForce: bf, SlowDoS: sd, Exfiltration: ex}}
		var buf bytes.Buffer
		err := Write(&buf, opt)
		if err != nil {
			var oe *OptionError
			if !errors.As(err, &oe) || !errors.Is(err, ErrOption) {
				t.Fatalf("Write(%+v) = %v, want an *OptionError", opt, err)
			}
			return
		}
		tb := parse(t, buf.Bytes())
		if len(tb.rows) != opt.Rows {
			t.Fatalf("%d rows, want %d", len(tb.rows), opt.Rows)
		}
		for i, rec := range tb.rows {
			if len(rec) != len(header) {
				t.Fatalf("row %d has %d cells, want %d", i+1, len(rec), len(header))
			}
			for _, msg := range checkRow(row{tb, rec}) {
				t.Errorf("row %d (%s): %s", i+1, rec[len(rec)-1], msg)
			}
		}
	})
}
