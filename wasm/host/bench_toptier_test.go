package host_test

import (
	"context"
	"encoding/binary"
	"flag"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// The top tier (compiler.TopTier) against the default module on the
// benchmark shapes (bench_test.go: 100 trees of depth 5, the detector on
// every numeric feature), in one run so the figures are ratios:
// BenchmarkTopTier interleaves the two modules; BenchmarkTopTierFlow runs
// one module alone, for bench/instructions.sh to count under callgrind
// beside the C reference of the same model (bench/c_reference.sh, which
// TestWriteBenchModels feeds).

var benchShapes = []struct {
	name string
	s    shape
}{{"KDDShape", shapeKDD}, {"CICShape", shapeCIC}}

// benchRows are the rows every one-flow benchmark cycles through.
func benchRows(m *model.Model) []float32 { return randRows(rand.New(rand.NewPCG(3, 4)), m, 1024) }

// BenchmarkTopTier: one flow per call (ns/flow of each tier and their
// ratio; allocs are Classify's, the same for both), batches of MaxBatch
// (256) flows (flows/s), and each tier's compile time (flowsense's
// compiler and wazero's, to the first answer) and module size.
func BenchmarkTopTier(b *testing.B) {
	for _, sh := range benchShapes {
		m := randModel(b, rand.New(rand.NewPCG(1, 2)), sh.s)
		rows := benchRows(m)
		tiers := func(b *testing.B) []*host.Module {
			return []*host.Module{load(b, compile(b, m)), load(b, compile(b, m, compiler.TopTier()))}
		}
		b.Run(sh.name+"/one-flow", func(b *testing.B) {
			spent := interleave(b, tiers(b), rows, 1)
			b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "default-ns/flow")
			b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "top-ns/flow")
			b.ReportMetric(float64(spent[0])/float64(spent[1]), "default/top")
		})
		b.Run(sh.name+"/batch", func(b *testing.B) {
			mods := tiers(b)
			batch := mods[0].MaxBatch()
			spent := interleave(b, mods, rows, batch)
			flows := float64(b.N * batch)
			b.ReportMetric(flows/spent[0].Seconds(), "default-flows/s")
			b.ReportMetric(flows/spent[1].Seconds(), "top-flows/s")
			b.ReportMetric(float64(spent[0])/float64(spent[1]), "default/top")
		})
		for _, tier := range []struct {
			name string
			opts []compiler.CompileOption
		}{{"default", nil}, {"top", []compiler.CompileOption{compiler.TopTier()}}} {
			b.Run(sh.name+"/compile-"+tier.name, func(b *testing.B) {
				ctx := context.Background()
				out := make([]model.Result, 1)
				opts := append([]compiler.CompileOption{compiler.WithModelSHA256("0000")}, tier.opts...)
				var size int
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					bin, err := compiler.Compile(m, opts...)
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
	}
}

// BenchmarkTopTierFlow: one tier alone, one flow per call over benchRows
// (the rows TestWriteBenchModels writes for the C reference); the
// no-detector parts leave the detector out, so that the difference is
// the detector's cost (bench/instructions.sh: instructions per
// multiply-add); top-nointerrupt is the top tier loaded WithoutInterrupt, top-mvp
// the top tier WithoutSIMD.
func BenchmarkTopTierFlow(b *testing.B) {
	for _, sh := range benchShapes {
		for _, part := range []string{"default", "top", "default-no-detector", "top-no-detector", "top-nointerrupt", "top-mvp"} {
			b.Run(sh.name+"/"+part, func(b *testing.B) {
				m := randModel(b, rand.New(rand.NewPCG(1, 2)), sh.s)
				rows := benchRows(m)
				if strings.HasSuffix(part, "no-detector") {
					m.Outlier = nil
				}
				var opts []compiler.CompileOption
				if strings.HasPrefix(part, "top") {
					opts = append(opts, compiler.TopTier())
				}
				if strings.HasSuffix(part, "mvp") {
					opts = append(opts, compiler.WithoutSIMD())
				}
				var hopts []host.Option
				if strings.HasSuffix(part, "nointerrupt") {
					hopts = append(hopts, host.WithoutInterrupt())
				}
				mod := load(b, compile(b, m, opts...), hopts...)
				nf := len(m.Schema.Features)
				out := make([]model.Result, 1)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				start := time.Now()
				for i := 0; i < b.N; i++ {
					j := i % 1024
					if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(time.Since(start).Nanoseconds())/float64(b.N), "ns/flow")
			})
		}
	}
}

var benchModels = flag.String("bench-models", "", "TestWriteBenchModels: write the benchmark shapes' models and rows to this directory")

// TestWriteBenchModels writes, with -bench-models DIR, each benchmark
// shape's model (NAME.json, model.json's format), its rows (NAME.rows:
// 1,024 rows of little-endian float32, benchRows) and the detector's size
// (NAME.dims: d and k), for bench/c_reference.sh.
func TestWriteBenchModels(t *testing.T) {
	if *benchModels == "" {
		t.Skip("a generator, not a check: bench/c_reference.sh runs it with -args -bench-models DIR (no directory given here)")
	}
	for _, sh := range benchShapes {
		m := randModel(t, rand.New(rand.NewPCG(1, 2)), sh.s)
		js, err := m.MarshalIndent()
		if err != nil {
			t.Fatal(err)
		}
		rows := benchRows(m)
		raw := make([]byte, 0, 4*len(rows))
		for _, v := range rows {
			raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
		}
		dims := []byte("0 0\n")
		if o := m.Outlier; o != nil {
			dims = []byte(itoa(len(o.Features)) + " " + itoa(o.Components) + "\n")
		}
		for name, b := range map[string][]byte{".json": js, ".rows": raw, ".dims": dims} {
			if err := os.WriteFile(filepath.Join(*benchModels, sh.name+name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}
