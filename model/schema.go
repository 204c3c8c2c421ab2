package model

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrNotNumber is returned by ParseNumber for text that is not a number.
var ErrNotNumber = errors.New("not a number")

// ErrUnknownCategory is returned when a categorical value is not in the
// feature's vocabulary and the feature's policy is UnknownError.
var ErrUnknownCategory = errors.New("unknown category")

// ErrUnknownFeature is returned for a field name the schema does not have.
var ErrUnknownFeature = errors.New("unknown feature")

// ParseNumber reads a numeric cell as flow data writes them: decimal or
// exponent notation, surrounding spaces ignored; an empty cell, "NaN" or
// "nan" is missing (NaN); "Infinity", "inf" and their signed forms are
// infinities. Values beyond float32's range become infinities.
func ParseNumber(s string) (float32, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "NaN", "nan", "NAN", "?":
		return float32(math.NaN()), nil
	case "Infinity", "+Infinity", "inf", "+inf", "Inf", "+Inf", "INF":
		return float32(math.Inf(1)), nil
	case "-Infinity", "-inf", "-Inf", "-INF":
		return float32(math.Inf(-1)), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && errors.Is(ne.Err, strconv.ErrRange) {
			return float32(v), nil // ±Inf or 0 for under/overflow
		}
		return 0, fmt.Errorf("%w: %q", ErrNotNumber, s)
	}
	return float32(v), nil
}

// Encoder maps named values onto rows of a schema. It is safe for
// concurrent use once built.
type Encoder struct {
	schema *Schema
	index  map[string]int
	codes  []map[string]int32 // per feature; nil for numeric
}

// NewEncoder builds the lookup tables for s. The schema must not change
// afterwards.
func NewEncoder(s *Schema) *Encoder {
	e := &Encoder{schema: s, index: make(map[string]int, len(s.Features)), codes: make([]map[string]int32, len(s.Features))}
	for i, f := range s.Features {
		e.index[f.Name] = i
		if f.Kind == Categorical {
			m := make(map[string]int32, len(f.Categories))
			for c, name := range f.Categories {
				m[name] = int32(c)
			}
			e.codes[i] = m
		}
	}
	return e
}

// Index returns the position of the named feature, or -1.
func (e *Encoder) Index(name string) int {
	if i, ok := e.index[name]; ok {
		return i
	}
	return -1
}

// Schema returns the schema the encoder was built for.
func (e *Encoder) Schema() *Schema { return e.schema }

// Value encodes the text of feature i: a number for a numeric feature, a
// category code for a categorical one. A missing cell (empty) is NaN. An
// unknown category is NaN under UnknownMissing and ErrUnknownCategory under
// UnknownError.
func (e *Encoder) Value(i int, s string) (float32, error) {
	f := &e.schema.Features[i]
	if f.Kind == Numeric {
		return ParseNumber(s)
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return float32(math.NaN()), nil
	}
	if c, ok := e.codes[i][s]; ok {
		return float32(c), nil
	}
	if f.Unknown == UnknownError {
		return 0, fmt.Errorf("%w %q for feature %q", ErrUnknownCategory, s, f.Name)
	}
	return float32(math.NaN()), nil
}

// Number encodes a number given for feature i. For a categorical feature
// the number is taken as a code, and a code outside the vocabulary is an
// unknown category.
func (e *Encoder) Number(i int, v float64) (float32, error) {
	f := &e.schema.Features[i]
	if f.Kind == Numeric {
		return float32(v), nil
	}
	if v >= 0 && v < float64(len(f.Categories)) && v == math.Trunc(v) {
		return float32(v), nil
	}
	if math.IsNaN(v) {
		return float32(v), nil
	}
	if f.Unknown == UnknownError {
		return 0, fmt.Errorf("%w code %v for feature %q", ErrUnknownCategory, v, f.Name)
	}
	return float32(math.NaN()), nil
}

// NaNRow fills row with NaN (every feature missing).
func NaNRow(row []float32) {
	nan := float32(math.NaN())
	for i := range row {
		row[i] = nan
	}
}
