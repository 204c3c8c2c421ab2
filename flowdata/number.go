package flowdata

import (
	"bytes"
	"strconv"

	"github.com/flowsense/flowsense/model"
)

// parseNumber reads a numeric cell exactly as model.ParseNumber does. Plain
// decimals of at most 15 digits ("0.00", "-12", "491") take a fast path
// that allocates nothing: the digits make an exact integer m < 2^53 and
// m / 10^k is then the correctly rounded float64 (both operands are exact
// and IEEE division rounds correctly), which is what strconv.ParseFloat
// returns; the conversion to float32 is then the one ParseNumber makes.
// Everything else goes through slowNumber, and model.ParseNumber itself
// writes the error. FuzzParseNumber checks they all agree.
func parseNumber(b []byte) (float32, error) {
	if v, ok := tryNumber(b); ok {
		return v, nil
	}
	return model.ParseNumber(string(b)) // for its error
}

// tryNumber is parseNumber without the cost of an error: ok is false for a
// cell that is not a number.
func tryNumber(b []byte) (v float32, ok bool) {
	if v, ok := fastNumber(b); ok {
		return v, true
	}
	if !maybeNumber(b) {
		return 0, false
	}
	return slowNumber(b)
}

// slowNumber is model.ParseNumber without its allocations: after trimming,
// its special forms are those strconv.ParseFloat reads the same way, but
// for "" and "?". The string conversion does not escape (ParseFloat copies
// what it keeps), so short cells need no heap.
func slowNumber(b []byte) (float32, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || len(b) == 1 && b[0] == '?' {
		return nan32, true
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return float32(v), true
		}
		return 0, false
	}
	return float32(v), true
}

// notNumberByte marks the ASCII bytes that appear in nothing
// model.ParseNumber accepts (decimal, hex and special forms, spaces).
var notNumberByte = func() (t [128]bool) {
	for c := range t {
		t[c] = true
	}
	for _, c := range "0123456789+-._?abcdefABCDEFxXpPiInNtTyY \t\n\v\f\r" {
		t[c] = false
	}
	return t
}()

// maybeNumber is a cheap filter: false only for cells model.ParseNumber
// certainly rejects (a byte no number has, or two dots). Bytes beyond ASCII
// pass, as they may be Unicode spaces that ParseNumber trims.
func maybeNumber(b []byte) bool {
	dots := 0
	for _, c := range b {
		if c < 128 && notNumberByte[c] {
			return false
		}
		if c == '.' {
			dots++
			if dots > 1 {
				return false
			}
		}
	}
	return true
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

func fastNumber(b []byte) (float32, bool) {
	if len(b) == 1 { // most cells of KDD files: 0 or 1
		if d := b[0] - '0'; d <= 9 {
			return float32(d), true
		}
		return 0, false
	}
	i, neg := 0, false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		i++
	}
	var m uint64
	digits, frac, dot := 0, 0, false
	for ; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
			if digits > 15 {
				return 0, false
			}
			m = m*10 + uint64(c-'0')
			if dot {
				frac++
			}
		case c == '.' && !dot:
			dot = true
		default:
			return 0, false
		}
	}
	if digits == 0 {
		return 0, false
	}
	f := float64(m)
	if frac > 0 {
		f /= pow10[frac]
	}
	if neg {
		f = -f
	}
	return float32(f), true
}

// isNumber reports whether a cell reads as a number (missing included).
func isNumber(b []byte) bool {
	_, ok := tryNumber(b)
	return ok
}
