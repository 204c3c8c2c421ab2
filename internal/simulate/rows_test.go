package simulate

import (
	"math"
	"testing"

	"github.com/flowsense/flowsense/model"
)

// within checks that k successes of n draws at probability p lie within
// five binomial standard deviations of n·p.
func within(t *testing.T, what string, k, n int, p float64) {
	t.Helper()
	sd := math.Sqrt(float64(n) * p * (1 - p))
	if math.Abs(float64(k)-float64(n)*p) > 5*sd+1 {
		t.Errorf("%s: %d of %d, want %.0f ± %.0f", what, k, n, float64(n)*p, 5*sd)
	}
}

func TestDrawFractions(t *testing.T) {
	f := newFunction(t)
	ds := flows(t, f.model, 2000, 8, 0)
	const n = 20000
	for name, c := range map[string]struct {
		outliers float64
		attacks  *float64
	}{
		"10% outliers":              {outliers: 0.1},
		"1% outliers":               {outliers: 0.01},
		"all outliers":              {outliers: 1},
		"30% attacks":               {attacks: ptr(0.3)},
		"attacks only":              {attacks: ptr(1)},
		"benign only":               {attacks: ptr(0)},
		"25% outliers, 60% attacks": {outliers: 0.25, attacks: ptr(0.6)},
	} {
		t.Run(name, func(t *testing.T) {
			for _, seed := range []uint64{1, 2, 3} {
				r := newRows(ds, f.md.Classes, f.md.Benign, &Options{Seed: seed, OutlierFraction: c.outliers, AttackFraction: c.attacks, Order: OrderShuffle})
				isBenign := map[int32]bool{}
				for _, i := range r.benign {
					isBenign[i] = true
				}
				out, att := 0, 0
				for range n {
					d := r.next()
					if d.outlier {
						out++
						if !isBenign[d.row] {
							t.Fatalf("outlier drawn from row %d, labelled %q", d.row, r.truth[d.row])
						}
					} else if !isBenign[d.row] {
						att++
					}
				}
				within(t, "outliers", out, n, c.outliers)
				if c.attacks != nil {
					within(t, "attacks", att, n-out, *c.attacks)
				}
			}
		})
	}
}

func ptr(x float64) *float64 { return &x }

func TestDrawOrder(t *testing.T) {
	f := newFunction(t)
	ds := flows(t, f.model, 97, 3, 0)
	for _, order := range []Order{OrderShuffle, OrderFile} {
		r := newRows(ds, f.md.Classes, f.md.Benign, &Options{Seed: 5, Order: order})
		inOrder := true
		for pass := range 3 {
			seen := make([]bool, ds.Rows)
			for i := range ds.Rows {
				d := r.next()
				if seen[d.row] {
					t.Fatalf("%s: row %d twice in pass %d", order, d.row, pass)
				}
				seen[d.row] = true
				inOrder = inOrder && int(d.row) == i
			}
		}
		if inOrder != (order == OrderFile) {
			t.Errorf("%s: rows in file order: %v", order, inOrder)
		}
	}
	a := newRows(ds, f.md.Classes, f.md.Benign, &Options{Seed: 5, Order: OrderShuffle, OutlierFraction: 0.3})
	b := newRows(ds, f.md.Classes, f.md.Benign, &Options{Seed: 5, Order: OrderShuffle, OutlierFraction: 0.3})
	c := newRows(ds, f.md.Classes, f.md.Benign, &Options{Seed: 6, Order: OrderShuffle, OutlierFraction: 0.3})
	differ := false
	for range 500 {
		x, y, z := a.next(), b.next(), c.next()
		if x != y {
			t.Fatal("the same seed drew different flows")
		}
		differ = differ || x != z
	}
	if !differ {
		t.Error("seeds 5 and 6 drew the same 500 flows")
	}
}

func TestOutlierRow(t *testing.T) {
	schema := &model.Schema{Features: []model.Feature{
		{Name: "a"}, {Name: "b"}, {Name: "c", Kind: model.Categorical, Categories: []string{"x", "y", "z"}},
		{Name: "d"}, {Name: "e"}, {Name: "f"}, {Name: "g"},
	}}
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	row := []float32{3, -2.5, 2, 0, inf, nan, 1e30}
	outlierRow(schema, 10, row)
	want := []float32{30, -25, 2, 0, inf, nan, float32(1e31)}
	for j := range row {
		if math.Float32bits(row[j]) != math.Float32bits(want[j]) {
			t.Errorf("feature %s: %v, want %v", schema.Features[j].Name, row[j], want[j])
		}
	}
}
