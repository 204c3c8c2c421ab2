package host_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// batchAnswers classifies rows through mod in calls of batch rows each
// (the last call shorter), so the top tier's blocks of rows are cut at
// every place.
func batchAnswers(t testing.TB, mod *host.Module, rows []float32, batch int) []answer {
	t.Helper()
	nf := mod.Features()
	n := len(rows) / nf
	out := make([]answer, 0, n)
	res := make([]model.Result, batch)
	for i := 0; i < n; i += batch {
		k := min(batch, n-i)
		if err := mod.Classify(context.Background(), rows[i*nf:(i+k)*nf], res[:k]); err != nil {
			t.Fatal(err)
		}
		for _, r := range res[:k] {
			out = append(out, answer{r.Class, r.Verdict, r.OutlierScore, append([]float64(nil), r.Probabilities...)})
		}
	}
	return out
}

// topPair compiles m as the default module and as TopTier (with the
// extra options, WithoutSIMD for the MVP pair) and checks that the top
// tier answers the same bits as the default on rows, one flow per call,
// in odd batches and in whole ones, and agrees with the native predictor.
func topPair(t *testing.T, what string, m *model.Model, rows []float32, interp bool, extra ...compiler.CompileOption) {
	t.Helper()
	nf := len(m.Schema.Features)
	topBin := compile(t, m, append([]compiler.CompileOption{compiler.TopTier()}, extra...)...)
	validate(t, topBin)
	var opts []host.Option
	if interp {
		opts = append(opts, host.WithInterpreter())
	}
	def := load(t, compile(t, m, extra...), opts...)
	top := load(t, topBin, opts...)
	want := wasmAnswers(t, def, rows)
	compare(t, what+": top tier vs native", nativeAnswers(t, m, rows), wasmAnswers(t, top, rows), rows, nf)
	sameBits(t, what+": top tier vs default, whole batches", want, wasmAnswers(t, top, rows), rows, nf)
	for _, batch := range []int{1, 7, 16, 17, 33} {
		if batch > top.MaxBatch() {
			continue
		}
		sameBits(t, what+": top tier vs default, batches of "+itoa(batch), want, batchAnswers(t, top, rows, batch), rows, nf)
	}
}

func itoa(n int) string {
	b := []byte{}
	for {
		b = append([]byte{byte('0' + n%10)}, b...)
		if n /= 10; n == 0 {
			return string(b)
		}
	}
}

// TestTopTierSameBits: the top tier (compiler.TopTier: trees as code over
// blocks of rows, the straight-line detector kernel) answers the same
// bits as the default module on every shape, random rows (NaN, ±Inf,
// subnormals, huge values) and finite ones, in the SIMD and the MVP
// module, under wazero's compiler (and its interpreter for one seed),
// and on models shaped like the real datasets' defaults.
func TestTopTierSameBits(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				r := rand.New(rand.NewPCG(seed, 23))
				m := randModel(t, r, s)
				rows := randRows(r, m, 300)
				fin := finiteRows(randRows(r, m, 100))
				for _, mvp := range []bool{false, true} {
					var extra []compiler.CompileOption
					what := name
					if mvp {
						extra = append(extra, compiler.WithoutSIMD())
						what += ", MVP"
					}
					topPair(t, what, m, rows, seed == 1, extra...)
					topPair(t, what+", finite rows", m, fin, false, extra...)
				}
			}
		})
	}
	for _, sh := range []struct {
		name string
		s    shape
	}{{"KDDShape", shapeKDD}, {"CICShape", shapeCIC}} {
		t.Run(sh.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(5, 6))
			m := randModel(t, r, sh.s)
			rows := randRows(r, m, 400)
			topPair(t, sh.name, m, rows, false)
			topPair(t, sh.name+", finite rows", m, finiteRows(randRows(r, m, 400)), false)
			topPair(t, sh.name+", MVP", m, rows, false, compiler.WithoutSIMD())
		})
	}
}

// finiteRows replaces the rows' NaN and huge values, so that every input
// reaches the detector's arithmetic.
func finiteRows(rows []float32) []float32 {
	for i, v := range rows {
		if v != v || v > 1e30 || v < -1e30 {
			rows[i] = float32(i % 7)
		}
	}
	return rows
}
