package data

import "github.com/flowsense/flowsense/model"

// parseNumber reads a numeric cell exactly as model.ParseNumber does. Plain
// decimals of at most 15 digits ("0.00", "-12", "491") take a fast path
// that allocates nothing: the digits make an exact integer m < 2^53 and
// m / 10^k is then the correctly rounded float64 (both operands are exact
// and IEEE division rounds correctly), which is what strconv.ParseFloat
// returns; the conversion to float32 is then the one ParseNumber makes.
// Everything else goes to model.ParseNumber. FuzzParseNumber checks the two
// agree.
func parseNumber(b []byte) (float32, error) {
	if v, ok := fastNumber(b); ok {
		return v, nil
	}
	return model.ParseNumber(string(b))
}

var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

func fastNumber(b []byte) (float32, bool) {
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
	_, err := parseNumber(b)
	return err == nil
}
