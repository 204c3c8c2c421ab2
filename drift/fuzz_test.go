package drift

import (
	"encoding/binary"
	"math"
	"testing"
)

func floats(b []byte) []float32 {
	out := make([]float32, 0, len(b)/4)
	for len(b) >= 4 {
		out = append(out, math.Float32frombits(binary.LittleEndian.Uint32(b)))
		b = b[4:]
	}
	return out
}

// FuzzTestNumbers feeds arbitrary float32 columns (NaN, infinities, huge
// and tiny values, ties) through the numeric path: it must not panic, and
// whatever the test a p-value lies in [0, 1] and a distance is >= 0.
func FuzzTestNumbers(f *testing.F) {
	f.Add([]byte{0, 0, 128, 63, 0, 0, 0, 64}, []byte{0, 0, 64, 64})
	f.Add([]byte{0, 0, 192, 127, 0, 0, 128, 127, 0, 0, 128, 255, 1, 0, 0, 0}, []byte{255, 255, 127, 127, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		c, err := TestNumbers("x", floats(a), floats(b))
		if err != nil {
			return
		}
		if c.PValue != nil {
			if p := float64(*c.PValue); !(p >= 0 && p <= 1) {
				t.Fatalf("%s p-value %v", c.Test, p)
			}
		} else if d := float64(c.Statistic); !(d >= 0) {
			t.Fatalf("%s distance %v", c.Test, d)
		}
		if c.Drifted && c.PValue != nil && float64(*c.PValue) >= PValueThreshold {
			t.Fatalf("drifted with p %v", *c.PValue)
		}
	})
}

// FuzzKS2Samp checks the KS p-value stays a probability for any sizes and
// gaps, exact or asymptotic.
func FuzzKS2Samp(f *testing.F) {
	f.Add(uint16(7), uint16(13), 0.5)
	f.Add(uint16(300), uint16(12000), 0.1)
	f.Fuzz(func(t *testing.T, n1, n2 uint16, shift float64) {
		if n1 == 0 || n2 == 0 || math.IsNaN(shift) || math.IsInf(shift, 0) {
			return
		}
		a := make([]float64, n1)
		b := make([]float64, n2)
		for i := range a {
			a[i] = float64(i) / float64(n1)
		}
		for i := range b {
			b[i] = float64(i)/float64(n2) + shift
		}
		d, p := KS2Samp(a, b)
		if !(d >= 0 && d <= 1) || !(p >= 0 && p <= 1) {
			t.Fatalf("n %d %d shift %v: D %v p %v", n1, n2, shift, d, p)
		}
	})
}
