package host_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// withCovers gives m's trees covers without drawing from a random source
// (so the models of a seed stay what they were): leaves get 1 to 97 by a
// hash of their index, every eleventh leaf 0, internal nodes the sum of
// their children.
func withCovers(m *model.Model) *model.Model {
	for t := range m.Ensemble.Trees {
		tr := &m.Ensemble.Trees[t]
		tr.Cover = make([]float64, tr.Len())
		var fill func(n int32) float64
		fill = func(n int32) float64 {
			if tr.Feature[n] < 0 {
				c := float64(1 + (uint32(n)*2654435761+uint32(t))%97)
				if (int(n)+t)%11 == 0 {
					c = 0
				}
				tr.Cover[n] = c
				return c
			}
			tr.Cover[n] = fill(tr.Left[n]) + fill(tr.Right[n])
			return tr.Cover[n]
		}
		fill(0)
	}
	return m
}

// compareExplain checks the module's explain export against the native
// Explainer on every row: the TreeSHAP values (computed in the same
// order: equal to 1e-12 relative) and the outlier shares, deviations and
// means (the module's log1p is within 2 ulp of Go's, so 1e-9 relative to
// the shares' magnitude).
func compareExplain(t testing.TB, what string, m *model.Model, mod *host.Module, rows []float32) {
	t.Helper()
	x, err := model.NewExplainer(m)
	if err != nil {
		t.Fatal(err)
	}
	if !mod.CanExplain() {
		t.Fatalf("%s: the module of a model with covers has no explain export", what)
	}
	nf := len(m.Schema.Features)
	d := 0
	if m.Outlier != nil {
		d = len(m.Outlier.Features)
	}
	want := make([]float64, m.Ensemble.Outputs*x.Stride())
	got := make([]float64, len(want))
	gotO := make([]float64, 3*d)
	wantO := make([]float64, d)
	bad := 0
	for r := 0; r < len(rows)/nf; r++ {
		row := rows[r*nf : (r+1)*nf]
		if err := x.Contributions(row, want); err != nil {
			t.Fatal(err)
		}
		if err := mod.Contributions(context.Background(), row, got, gotO); err != nil {
			t.Fatalf("%s: row %d: %v", what, r, err)
		}
		for i := range want {
			if !(math.Abs(got[i]-want[i]) <= 1e-12*(1+math.Abs(want[i]))) && !(math.IsNaN(got[i]) && math.IsNaN(want[i])) {
				if bad < 5 {
					t.Errorf("%s: row %d: phi[%d] = %.17g, native %.17g", what, r, i, got[i], want[i])
				}
				bad++
			}
		}
		if m.Outlier == nil {
			continue
		}
		m.Outlier.Contributions(row, wantO)
		var mag float64
		for _, v := range wantO {
			mag += math.Abs(v)
		}
		for j := 0; j < d; j++ {
			if !(math.Abs(gotO[3*j]-wantO[j]) <= 1e-9*(1+mag)) && !(math.IsNaN(gotO[3*j]) && math.IsNaN(wantO[j])) {
				if bad < 5 {
					t.Errorf("%s: row %d: outlier share %d = %.17g, native %.17g", what, r, j, gotO[3*j], wantO[j])
				}
				bad++
			}
			if mean := m.Outlier.InputMean(j); gotO[3*j+2] != mean {
				t.Fatalf("%s: input %d: mean %v, want %v", what, j, gotO[3*j+2], mean)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d values disagree", what, bad)
	}
}

func TestExplainParity(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 2; seed++ {
				r := rand.New(rand.NewPCG(seed, 9))
				m := withCovers(randModel(t, r, s))
				rows := randRows(r, m, 60)
				b := compile(t, m)
				validate(t, b)
				compareExplain(t, "compiler", m, load(t, b), rows)
				compareExplain(t, "interpreter", m, load(t, b, host.WithInterpreter()), rows[:20*len(m.Schema.Features)])
				mvp := compile(t, m, compiler.WithoutSIMD())
				validate(t, mvp, "--disable-simd")
				compareExplain(t, "MVP module", m, load(t, mvp), rows)
			}
		})
	}
}

// TestExplainAdditive: the module's contributions plus bias are its raw
// scores, to 1e-9 relative, on rows the native predictor also scores.
func TestExplainAdditive(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	m := withCovers(randModel(t, r, shapes["deep"]))
	mod := load(t, compile(t, m))
	nf := len(m.Schema.Features)
	rows := randRows(r, m, 200)
	phi := make([]float64, m.Ensemble.Outputs*(nf+1))
	o := make([]float64, 3*len(m.Outlier.Features))
	raw := make([]float64, m.Ensemble.Outputs)
	for i := 0; i < 200; i++ {
		row := rows[i*nf : (i+1)*nf]
		if err := mod.Contributions(context.Background(), row, phi, o); err != nil {
			t.Fatal(err)
		}
		m.Ensemble.Raw(row, raw)
		for j := range raw {
			var s, mag float64
			for _, v := range phi[j*(nf+1) : (j+1)*(nf+1)] {
				s += v
				mag += math.Abs(v)
			}
			if math.Abs(s-raw[j]) > 1e-9*(1+mag) {
				t.Fatalf("row %d output %d: module contributions sum to %v, raw score %v", i, j, s, raw[j])
			}
		}
	}
}

func TestExplainAbsent(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 1))
	m := randModel(t, r, shapes["categorical"]) // no covers
	mod := load(t, compile(t, m))
	if mod.CanExplain() {
		t.Fatal("a model without covers compiled to a module with an explain export")
	}
	phi := make([]float64, m.Ensemble.Outputs*(len(m.Schema.Features)+1))
	if err := mod.Contributions(context.Background(), make([]float32, len(m.Schema.Features)), phi, nil); !errors.Is(err, abi.ErrNoExplain) {
		t.Fatalf("Contributions without the export: %v, want ErrNoExplain", err)
	}
	withCovers(m)
	if load(t, compile(t, m, compiler.WithoutExplain())).CanExplain() {
		t.Fatal("WithoutExplain left the export in")
	}
	if !load(t, compile(t, m)).CanExplain() {
		t.Fatal("a model with covers compiled without the explain export")
	}
}
