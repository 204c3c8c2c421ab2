package host_test

import (
	"context"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// Model shapes of the benchmarks: random models shaped like the default
// models of the real datasets (100 vector-leaf trees of depth 5, the
// detector on every numeric feature), so that plain `go test -bench` needs
// no data. bench_realdata_test.go runs the trained models themselves.
var (
	// NSL-KDD kdd5: 41 features (3 categorical), 5 classes, detector 38x36.
	shapeKDD = shape{features: 41, categorical: true, ncat: 3, classes: 5, trees: 100, depth: 5, full: true, vector: true,
		outlier: true, components: 36, log1p: true}
	// CIC-IDS2017: 83 features, 16 classes, detector 83x79.
	shapeCIC = shape{features: 83, classes: 16, trees: 100, depth: 5, full: true, vector: true,
		outlier: true, components: 79, log1p: true}
	// 2000 per-class trees of depth 8, 5 classes, 41 features: the
	// compile-time budget (under 2 s and 200 MB).
	shapeLarge = shape{features: 41, classes: 5, trees: 2000, depth: 8, full: true, perClass: true}
)

func benchModel(b *testing.B, s shape) (*model.Model, []byte) {
	b.Helper()
	m := randModel(b, rand.New(rand.NewPCG(1, 2)), s)
	return m, compile(b, m)
}

func benchOneFlow(b *testing.B, s shape, native bool) {
	m, bin := benchModel(b, s)
	rows := randRows(rand.New(rand.NewPCG(3, 4)), m, 1024)
	nf := len(m.Schema.Features)
	ctx := context.Background()
	if native {
		var r model.Result
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			j := i % 1024
			if err := m.Predict(rows[j*nf:(j+1)*nf], &r); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	mod := load(b, bin)
	out := make([]model.Result, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % 1024
		if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
			b.Fatal(err)
		}
	}
}

// One flow per call: the module (through Classify) against the native
// predictor on the same model and rows.
func BenchmarkOneFlow_KDDShape_wasm(b *testing.B)   { benchOneFlow(b, shapeKDD, false) }
func BenchmarkOneFlow_KDDShape_native(b *testing.B) { benchOneFlow(b, shapeKDD, true) }
func BenchmarkOneFlow_CICShape_wasm(b *testing.B)   { benchOneFlow(b, shapeCIC, false) }
func BenchmarkOneFlow_CICShape_native(b *testing.B) { benchOneFlow(b, shapeCIC, true) }

// benchRatio runs the same flows through the native predictor and the
// module, one per call, back to back, and reports both and their ratio.
func benchRatio(b *testing.B, s shape) {
	m, bin := benchModel(b, s)
	rows := randRows(rand.New(rand.NewPCG(3, 4)), m, 1024)
	nf := len(m.Schema.Features)
	mod := load(b, bin)
	out := make([]model.Result, 1)
	var r model.Result
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		j := i % 1024
		if err := m.Predict(rows[j*nf:(j+1)*nf], &r); err != nil {
			b.Fatal(err)
		}
	}
	native := time.Since(start)
	start = time.Now()
	for i := 0; i < b.N; i++ {
		j := i % 1024
		if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
			b.Fatal(err)
		}
	}
	module := time.Since(start)
	b.ReportMetric(float64(native.Nanoseconds())/float64(b.N), "native-ns/flow")
	b.ReportMetric(float64(module.Nanoseconds())/float64(b.N), "wasm-ns/flow")
	b.ReportMetric(float64(module)/float64(native), "wasm/native")
}

func BenchmarkOneFlowRatio_KDDShape(b *testing.B) { benchRatio(b, shapeKDD) }
func BenchmarkOneFlowRatio_CICShape(b *testing.B) { benchRatio(b, shapeCIC) }

func benchBatch(b *testing.B, s shape, opts ...host.Option) {
	m, bin := benchModel(b, s)
	mod := load(b, bin, opts...)
	n := mod.MaxBatch()
	rows := randRows(rand.New(rand.NewPCG(3, 4)), m, n)
	out := make([]model.Result, n)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := mod.Classify(ctx, rows, out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "flows/s")
}

// Batches of MaxBatch flows on one goroutine.
func BenchmarkBatch_KDDShape(b *testing.B) { benchBatch(b, shapeKDD) }
func BenchmarkBatch_CICShape(b *testing.B) { benchBatch(b, shapeCIC) }
func BenchmarkBatch_CICShape_interpreter(b *testing.B) {
	benchBatch(b, shapeCIC, host.WithInterpreter())
}

func benchColdStart(b *testing.B, s shape) {
	m, bin := benchModel(b, s)
	row := randRows(rand.New(rand.NewPCG(3, 4)), m, 1)
	out := make([]model.Result, 1)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mod, err := host.Load(ctx, bin)
		if err != nil {
			b.Fatal(err)
		}
		if err := mod.Classify(ctx, row, out); err != nil {
			b.Fatal(err)
		}
		mod.Close(ctx)
	}
	b.ReportMetric(float64(len(bin)), "module-bytes")
}

// Cold start: module bytes to the first prediction (compile, instantiate,
// call), no compilation cache.
func BenchmarkColdStart_KDDShape(b *testing.B) { benchColdStart(b, shapeKDD) }
func BenchmarkColdStart_CICShape(b *testing.B) { benchColdStart(b, shapeCIC) }

// Compile time of 2000 trees of depth 8: flowsense's compiler, then
// flowsense's and wazero's together (Load compiles and instantiates once).
// The model's hash comes from the caller (who has the file), as the CLI
// does; BenchmarkCompile_2000TreesDepth8_hashing hashes the encoded model.
func BenchmarkCompile_2000TreesDepth8(b *testing.B) {
	benchCompile(b, compiler.WithModelSHA256("0000"))
}

func BenchmarkCompile_2000TreesDepth8_hashing(b *testing.B) { benchCompile(b) }

func benchCompile(b *testing.B, opts ...compiler.CompileOption) {
	m := randModel(b, rand.New(rand.NewPCG(1, 2)), shapeLarge)
	b.ReportAllocs()
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		bin, err := compiler.Compile(m, opts...)
		if err != nil {
			b.Fatal(err)
		}
		n = len(bin)
	}
	b.ReportMetric(float64(n), "module-bytes")
}

func BenchmarkCompileAndLoad_2000TreesDepth8(b *testing.B) {
	m := randModel(b, rand.New(rand.NewPCG(1, 2)), shapeLarge)
	ctx := context.Background()
	row := randRows(rand.New(rand.NewPCG(3, 4)), m, 1)
	out := make([]model.Result, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bin, err := compiler.Compile(m, compiler.WithModelSHA256("0000"))
		if err != nil {
			b.Fatal(err)
		}
		mod, err := host.Load(ctx, bin)
		if err != nil {
			b.Fatal(err)
		}
		if err := mod.Classify(ctx, row, out); err != nil {
			b.Fatal(err)
		}
		mod.Close(ctx)
	}
}

// Where one flow's time goes: the CIC-IDS2017 and NSL-KDD shapes (50
// trees) whole, whole with the trees as node tables, without the detector
// (trees as code and as tables), with one tree, with the detector's log1p
// off, and as the WebAssembly 1.0 module. bench/instructions.sh
// counts the instructions per flow of each under callgrind, which unlike
// time does not depend on the machine's load.
func BenchmarkOneFlowParts(b *testing.B) {
	for _, sh := range []struct {
		name string
		s    shape
	}{{"KDDShape", shapeKDD}, {"CICShape", shapeCIC}} {
		for _, part := range []string{"whole", "whole-tables", "mvp", "no-detector", "no-detector-tables", "one-tree", "one-tree-no-log1p", "one-tree-mvp"} {
			b.Run(sh.name+"/"+part, func(b *testing.B) {
				s := sh.s
				s.trees = 50
				m := randModel(b, rand.New(rand.NewPCG(1, 2)), s)
				var opts []compiler.CompileOption
				if strings.HasSuffix(part, "mvp") {
					opts = append(opts, compiler.WithoutSIMD())
				}
				if strings.HasSuffix(part, "tables") {
					opts = append(opts, compiler.WithTreeForm(compiler.TreeTables))
				}
				if strings.HasPrefix(part, "one-tree") {
					m.Ensemble.Trees = m.Ensemble.Trees[:1]
				}
				switch part {
				case "no-detector", "no-detector-tables":
					m.Outlier = nil
				case "one-tree-no-log1p":
					m.Outlier.Log1p = nil
				}
				mod := load(b, compile(b, m, opts...))
				rows := randRows(rand.New(rand.NewPCG(3, 4)), m, 1024)
				for i, v := range rows { // finite rows: every input reaches the detector
					if v != v || v > 1e30 || v < -1e30 {
						rows[i] = float32(i % 7)
					}
				}
				nf := len(m.Schema.Features)
				out := make([]model.Result, 1)
				ctx := context.Background()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					j := i % 1024
					if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
