package host_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// interleave runs the same rows through each module, batch rows per call,
// alternating between the modules every 64 calls so that a change in the
// machine's load hits all alike, and returns the time each spent.
func interleave(b *testing.B, mods []*host.Module, rows []float32, batch int) []time.Duration {
	b.Helper()
	nf := mods[0].Features()
	n := len(rows) / nf / batch * batch
	out := make([]model.Result, batch)
	ctx := context.Background()
	spent := make([]time.Duration, len(mods))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 64 {
		for k, mod := range mods {
			start := time.Now()
			for c := i; c < min(i+64, b.N); c++ {
				j := (c * batch) % n
				if err := mod.Classify(ctx, rows[j*nf:(j+batch)*nf], out); err != nil {
					b.Fatal(err)
				}
			}
			spent[k] += time.Since(start)
		}
	}
	return spent
}

// benchForms compares trees as code with node tables on the same model
// and rows in one run: one flow per call, or batches of MaxBatch.
func benchForms(b *testing.B, m *model.Model, rows []float32, batched bool) {
	mods := []*host.Module{
		load(b, compile(b, m, compiler.WithTreeForm(compiler.TreeCode))),
		load(b, compile(b, m, compiler.WithTreeForm(compiler.TreeTables))),
	}
	batch := 1
	if batched {
		batch = mods[0].MaxBatch()
	}
	spent := interleave(b, mods, rows, batch)
	flows := float64(b.N * batch)
	if batched {
		b.ReportMetric(flows/spent[0].Seconds(), "code-flows/s")
		b.ReportMetric(flows/spent[1].Seconds(), "tables-flows/s")
	} else {
		b.ReportMetric(float64(spent[0].Nanoseconds())/flows, "code-ns/flow")
		b.ReportMetric(float64(spent[1].Nanoseconds())/flows, "tables-ns/flow")
	}
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "code/tables")
}

// Trees as code against node tables on the benchmark shapes (100 trees).
func BenchmarkTreeForms(b *testing.B) {
	for _, sh := range []struct {
		name string
		s    shape
	}{{"KDDShape", shapeKDD}, {"CICShape", shapeCIC}} {
		m := randModel(b, rand.New(rand.NewPCG(1, 2)), sh.s)
		rows := randRows(rand.New(rand.NewPCG(3, 4)), m, 1024)
		b.Run(sh.name+"/one-flow", func(b *testing.B) { benchForms(b, m, rows, false) })
		b.Run(sh.name+"/batch", func(b *testing.B) { benchForms(b, m, rows, true) })
	}
}

// BenchmarkTreeFormCost: what the form costs to compile (flowsense's
// compiler, then wazero's, to the first answer) and what it saves per
// flow, by model size (full trees of depth 8, 255 internal nodes each):
// the measurements behind compiler.MaxCodeNodes (RATIONALE.md).
func BenchmarkTreeFormCost(b *testing.B) {
	for _, trees := range []int{12, 120, 400, 1200} {
		s := shape{features: 41, classes: 5, trees: trees, depth: 8, full: true, perClass: true}
		m := randModel(b, rand.New(rand.NewPCG(1, 2)), s)
		rows := randRows(rand.New(rand.NewPCG(3, 4)), m, 256)
		for _, form := range []struct {
			name string
			f    compiler.TreeForm
		}{{"code", compiler.TreeCode}, {"tables", compiler.TreeTables}} {
			b.Run(fmt.Sprintf("%dnodes/%s/compile", trees*255, form.name), func(b *testing.B) {
				ctx := context.Background()
				out := make([]model.Result, 1)
				var size int
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					bin, err := compiler.Compile(m, compiler.WithModelSHA256("0000"), compiler.WithTreeForm(form.f))
					if err != nil {
						b.Fatal(err)
					}
					size = len(bin)
					mod, err := host.Load(ctx, bin)
					if err != nil {
						b.Fatal(err)
					}
					if err := mod.Classify(ctx, rows[:len(m.Schema.Features)], out); err != nil {
						b.Fatal(err)
					}
					mod.Close(ctx)
				}
				b.ReportMetric(float64(size), "module-bytes")
			})
		}
		b.Run(fmt.Sprintf("%dnodes/run", trees*255), func(b *testing.B) {
			mods := []*host.Module{
				load(b, compile(b, m, compiler.WithTreeForm(compiler.TreeCode))),
				load(b, compile(b, m, compiler.WithTreeForm(compiler.TreeTables))),
			}
			spent := interleave(b, mods, rows, 1)
			b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "code-ns/flow")
			b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "tables-ns/flow")
			b.ReportMetric(float64(spent[0])/float64(spent[1]), "code/tables")
		})
	}
}
