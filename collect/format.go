package collect

import (
	"math"
	"strconv"
)

// formatValue writes a feature value as the shortest decimal that reads
// back to it; "" for missing.
func formatValue(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

func appendValue(b []byte, v float64) []byte {
	if math.IsNaN(v) {
		return b
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendInt(b, int64(v), 10)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}
