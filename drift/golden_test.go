package drift

import (
	"encoding/json"
	"math"
	"os"
	"slices"
	"testing"
)

// golden is testdata/scipy_golden.json, written by testdata/scipy_golden.py
// (see testdata/README.md).
type golden struct {
	Scipy string `json:"scipy"`
	KS    []struct {
		A, B              sampleSpec
		Statistic, PValue float64
	} `json:"ks"`
	Wasserstein []struct {
		A, B           sampleSpec
		Distance, StdA float64 `json:"-"`
		RawDistance    float64 `json:"distance"`
		RawStdA        float64 `json:"std_a"`
	} `json:"wasserstein"`
	ChiSquare []struct {
		Obs, Exp          []float64
		Statistic, PValue float64
	} `json:"chisquare"`
	Z []struct {
		Ref1, N1, Cur1, N2 int
		Statistic, PValue  float64
	} `json:"z"`
	JensenShannon []struct {
		P, Q     []float64
		Distance float64
	} `json:"jensenshannon"`
}

type sampleSpec struct {
	Seed     uint64
	N        int
	Loc      float64
	Scale    float64
	Decimals int
}

// sample is testdata/scipy_golden.py's sample(): a 64-bit LCG, three
// uniforms summed, floored to the given decimals. Integer arithmetic and
// the same float operations give the same values in Go and Python.
func (s sampleSpec) sample() []float64 {
	st := s.Seed
	f := math.Pow(10, float64(s.Decimals))
	out := make([]float64, s.N)
	for i := range out {
		t := 0.0
		for range 3 {
			st = st*6364136223846793005 + 1442695040888963407
			t += float64(st>>11) / 9007199254740992.0
		}
		v := s.Loc + s.Scale*(t-1.5)
		out[i] = math.Floor(v*f) / f
	}
	return out
}

func sortedSample(s sampleSpec) []float64 {
	x := s.sample()
	slices.Sort(x)
	return x
}

func loadGolden(t *testing.T) golden {
	t.Helper()
	b, err := os.ReadFile("testdata/scipy_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if len(g.KS) == 0 || len(g.ChiSquare) == 0 || len(g.Z) == 0 || len(g.JensenShannon) == 0 || len(g.Wasserstein) == 0 {
		t.Fatal("golden file lacks a section")
	}
	return g
}

// near reports whether got is within 1e-9 relative of want; values below
// 1e-300 count as zero (both sides underflow differently there).
func near(got, want float64) bool {
	if got == want {
		return true
	}
	if math.Abs(want) < 1e-300 && math.Abs(got) < 1e-300 {
		return true
	}
	return math.Abs(got-want) <= 1e-9*math.Abs(want)
}

func TestGoldenScipy(t *testing.T) {
	g := loadGolden(t)
	t.Logf("goldens from scipy %s", g.Scipy)
	for i, c := range g.KS {
		d, p := KS2Samp(sortedSample(c.A), sortedSample(c.B))
		if !near(d, c.Statistic) || !near(p, c.PValue) {
			t.Errorf("ks %d (n %d, %d): D %v p %v, scipy D %v p %v", i, c.A.N, c.B.N, d, p, c.Statistic, c.PValue)
		}
	}
	for i, c := range g.Wasserstein {
		a, b := sortedSample(c.A), sortedSample(c.B)
		if w := Wasserstein(a, b); !near(w, c.RawDistance) {
			t.Errorf("wasserstein %d: %v, scipy %v", i, w, c.RawDistance)
		}
		if s := StdDev(a); !near(s, c.RawStdA) {
			t.Errorf("std %d: %v, numpy %v", i, s, c.RawStdA)
		}
	}
	for i, c := range g.ChiSquare {
		s, p := ChiSquare(c.Obs, c.Exp)
		if !near(s, c.Statistic) || !near(p, c.PValue) {
			t.Errorf("chisquare %d: %v %v, scipy %v %v", i, s, p, c.Statistic, c.PValue)
		}
	}
	for i, c := range g.Z {
		z, p := ZTest(c.Ref1, c.N1, c.Cur1, c.N2)
		if !near(z, c.Statistic) || !near(p, c.PValue) {
			t.Errorf("z %d: %v %v, scipy %v %v", i, z, p, c.Statistic, c.PValue)
		}
	}
	for i, c := range g.JensenShannon {
		if js := JensenShannon(c.P, c.Q); !near(js, c.Distance) {
			t.Errorf("jensenshannon %d: %v, scipy %v", i, js, c.Distance)
		}
	}
}
