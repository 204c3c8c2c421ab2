package report

import (
	"math"
	"slices"
	"testing"
)

func TestNiceRange(t *testing.T) {
	cases := map[string]struct {
		lo, hi         float64
		wantLo, wantHi float64
		wantTicks      []float64
	}{
		"unit": {0, 1, 0, 1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		// span/5 = 0.31 = 3.1 x 0.1, which rounds to a step of 0.2.
		"loss": {0.083, 1.62, 0, 1.8, []float64{0, 0.2, 0.4, 0.6, 0.8, 1, 1.2, 1.4, 1.6, 1.8}},
		// span/5 = 0.38 = 3.8 x 0.1, which rounds to a step of 0.5.
		"wider loss":   {0.1, 2.0, 0, 2, []float64{0, 0.5, 1, 1.5, 2}},
		"reversed":     {10, 0, 0, 10, []float64{0, 2, 4, 6, 8, 10}},
		"single value": {5, 5, 4, 6, []float64{4, 4.5, 5, 5.5, 6}},
		"negative":     {-3.2, 7.9, -4, 8, []float64{-4, -2, 0, 2, 4, 6, 8}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			lo, hi, ticks := niceRange(c.lo, c.hi, 5)
			if lo != c.wantLo || hi != c.wantHi {
				t.Errorf("range = [%v, %v], want [%v, %v]", lo, hi, c.wantLo, c.wantHi)
			}
			if len(ticks) != len(c.wantTicks) {
				t.Fatalf("ticks = %v, want %v", ticks, c.wantTicks)
			}
			for i := range ticks {
				if math.Abs(ticks[i]-c.wantTicks[i]) > 1e-12 {
					t.Fatalf("ticks = %v, want %v", ticks, c.wantTicks)
				}
			}
		})
	}
}

func TestFormatting(t *testing.T) {
	cases := map[string]struct{ got, want string }{
		"compact small":     {compact(9999), "9999"},
		"compact thousands": {compact(12345), "12.3k"},
		"compact rounding":  {compact(99_960), "100k"},
		"compact hundreds":  {compact(456_789), "457k"},
		"compact millions":  {compact(2_345_678), "2.3M"},
		"compact tens of M": {compact(23_456_789), "23M"},
		"fint":              {fint(1234567), "1,234,567"},
		"fint small":        {fint(999), "999"},
		"fint negative":     {fint(-1234), "-1,234"},
		"tick decimals":     {tickLabel(0.4, 0.2), "0.4"},
		"tick integer":      {tickLabel(20, 10), "20"},
		"tick negative 0":   {tickLabel(-1e-17, 0.5), "0.0"},
		"log tick 1":        {logTickLabel(0), "1"},
		"log tick 0.01":     {logTickLabel(-2), "0.01"},
		"log tick big":      {logTickLabel(7), "1e7"},
		"truncate long":     {truncate("abcdefgh", 5), "abcd…"},
		"truncate short":    {truncate("abc", 5), "abc"},
		"truncate runes":    {truncate("ééééé", 5), "ééééé"},
		"bytes":             {bytesLabel(1_234_567), "1.2 MiB (1,234,567 bytes)"},
		"bytes small":       {bytesLabel(512), "512 bytes"},
		"number NaN":        {fnum(math.NaN()), "n/a"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if c.got != c.want {
				t.Errorf("got %q, want %q", c.got, c.want)
			}
		})
	}
}

func TestRampRunsLightToDark(t *testing.T) {
	if got := ramp(0); got != "#f7fbff" {
		t.Errorf("ramp(0) = %s, want the lightest colour", got)
	}
	if got := ramp(1); got != "#08306b" {
		t.Errorf("ramp(1) = %s, want the darkest colour", got)
	}
	if ramp(-1) != ramp(0) || ramp(2) != ramp(1) {
		t.Errorf("ramp does not clamp out-of-range shares")
	}
}

func TestTopImportance(t *testing.T) {
	imp := []Importance{{"b", 2}, {"a", 2}, {"nan", math.NaN()}, {"c", 5}, {"inf", math.Inf(1)}, {"d", 0}}
	var names []string
	for _, f := range topImportance(imp, 3) {
		names = append(names, f.Name)
	}
	if want := []string{"c", "a", "b"}; !slices.Equal(names, want) {
		t.Errorf("top features = %v, want %v", names, want)
	}
}
