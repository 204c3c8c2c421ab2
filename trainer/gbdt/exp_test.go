package gbdt

import (
	"math"
	"testing"
)

func TestExpNeg(t *testing.T) {
	cases := map[string]float64{
		"zero": 0, "tiny": -1e-12, "half": -0.5, "one": -1, "ln2": -math.Ln2,
		"ten": -10.3, "hundred": -123.456, "subnormal edge": -700, "huge": -1e6,
	}
	for name, x := range cases {
		t.Run(name, func(t *testing.T) {
			got, want := expNeg(x), math.Exp(x)
			if want < 1e-300 {
				if got > 1e-300 {
					t.Fatalf("expNeg(%v) = %v, want ~0", x, got)
				}
				return
			}
			if rel := math.Abs(got-want) / want; rel > 1e-8 {
				t.Fatalf("expNeg(%v) = %v, math.Exp %v, relative error %v", x, got, want, rel)
			}
		})
	}
	for i := 0; i <= 100000; i++ {
		x := -float64(i) / 1000
		if rel := math.Abs(expNeg(x)-math.Exp(x)) / math.Exp(x); rel > 1e-8 {
			t.Fatalf("expNeg(%v): relative error %v", x, rel)
		}
	}
}

func BenchmarkExpNeg(b *testing.B) {
	s := 0.0
	for i := 0; i < b.N; i++ {
		s += expNeg(-float64(i&1023) / 64)
	}
	if s < 0 {
		b.Fatal(s)
	}
}

func BenchmarkMathExp(b *testing.B) {
	s := 0.0
	for i := 0; i < b.N; i++ {
		s += math.Exp(-float64(i&1023) / 64)
	}
	if s < 0 {
		b.Fatal(s)
	}
}
