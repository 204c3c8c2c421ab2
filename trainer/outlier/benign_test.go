package outlier

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
)

// TestFitBenignNoCopy: FitBenign fits the benign rows through an index, not
// a copy; the detector must be the one Fit makes from the copied rows, with
// and without cross-validated threshold folds and log1p inputs.
func TestFitBenignNoCopy(t *testing.T) {
	const n = 1200
	rng := rand.New(rand.NewPCG(9, 9))
	cols := make([][]float32, 5)
	for j := range cols {
		cols[j] = make([]float32, n)
	}
	y := make([]int32, n)
	for i := 0; i < n; i++ {
		y[i] = int32(rng.IntN(3))
		cols[0][i] = float32(rng.NormFloat64())
		cols[1][i] = float32(math.Exp(rng.NormFloat64() * 4)) // heavy-tailed: logged
		cols[2][i] = float32(rng.IntN(4))
		cols[3][i] = float32(rng.NormFloat64()) + cols[0][i]*float32(1+y[i])
		cols[4][i] = float32(rng.Float64())
		if i%97 == 0 {
			cols[3][i] = float32(math.NaN())
		}
	}
	feats := []int32{0, 1, 3, 4}
	benign := []int{0, 2}
	for _, folds := range []int{0, 4} {
		p := DefaultParams()
		p.ThresholdFolds = folds
		got, err := FitBenign(cols, y, benign, feats, p)
		if err != nil {
			t.Fatal(err)
		}
		var sel [][]float32
		for _, f := range feats {
			var c []float32
			for i, v := range cols[f] {
				if y[i] == 0 || y[i] == 2 {
					c = append(c, v)
				}
			}
			sel = append(sel, c)
		}
		want, err := Fit(sel, feats, p)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(got)
		b, _ := json.Marshal(want)
		if string(a) != string(b) {
			t.Errorf("folds %d: FitBenign\n%s\nFit of the copied rows\n%s", folds, a, b)
		}
		if got.Log1p == nil || !got.Log1p[1] {
			t.Errorf("folds %d: the heavy-tailed input is not logged (%v): the test misses the log1p path", folds, got.Log1p)
		}
	}
	if _, err := FitBenign(cols, y, benign, []int32{0, 7}, DefaultParams()); err == nil {
		t.Error("a feature index past the columns is not an error")
	}
}
