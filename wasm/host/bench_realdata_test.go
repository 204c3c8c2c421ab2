//go:build realdata

package host_test

import (
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// The default models of the real datasets on their own test rows
// (go test -tags realdata -bench RealData): one flow through the module vs
// the native predictor, batches, cold start.

// realModule is the default module of m, or with top compiler.TopTier's
// loaded as functions.LoadFile's tier-up serves it (WithoutInterrupt).
func realModule(b *testing.B, m *model.Model, top bool) *host.Module {
	if top {
		return load(b, compile(b, m, compiler.TopTier()), host.WithoutInterrupt())
	}
	return load(b, compile(b, m))
}

func benchRealOneFlow(b *testing.B, name string, native bool, top ...bool) {
	m, rows := trainedModel(b, name)
	nf := len(m.Schema.Features)
	n := len(rows) / nf
	ctx := context.Background()
	if native {
		var r model.Result
		b.ReportAllocs()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			j := i % n
			if err := m.Predict(rows[j*nf:(j+1)*nf], &r); err != nil {
				b.Fatal(err)
			}
		}
		return
	}
	mod := realModule(b, m, len(top) > 0 && top[0])
	out := make([]model.Result, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := i % n
		if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRealDataOneFlow_NSLKDD_wasm(b *testing.B)   { benchRealOneFlow(b, "NSL-KDD kdd5", false) }
func BenchmarkRealDataOneFlow_NSLKDD_native(b *testing.B) { benchRealOneFlow(b, "NSL-KDD kdd5", true) }
func BenchmarkRealDataOneFlow_CIC_wasm(b *testing.B)      { benchRealOneFlow(b, "CIC-IDS2017", false) }
func BenchmarkRealDataOneFlow_CIC_native(b *testing.B)    { benchRealOneFlow(b, "CIC-IDS2017", true) }
func BenchmarkRealDataOneFlow_NSLKDD_top(b *testing.B) {
	benchRealOneFlow(b, "NSL-KDD kdd5", false, true)
}
func BenchmarkRealDataOneFlow_CIC_top(b *testing.B) { benchRealOneFlow(b, "CIC-IDS2017", false, true) }

func benchRealBatch(b *testing.B, name string, top bool) {
	m, rows := trainedModel(b, name)
	mod := realModule(b, m, top)
	nf := len(m.Schema.Features)
	bs := mod.MaxBatch()
	n := len(rows) / nf / bs * bs
	out := make([]model.Result, bs)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		j := (i * bs) % n
		if err := mod.Classify(ctx, rows[j*nf:(j+bs)*nf], out); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*bs)/b.Elapsed().Seconds(), "flows/s")
}

func BenchmarkRealDataBatch_NSLKDD(b *testing.B)     { benchRealBatch(b, "NSL-KDD kdd5", false) }
func BenchmarkRealDataBatch_CIC(b *testing.B)        { benchRealBatch(b, "CIC-IDS2017", false) }
func BenchmarkRealDataBatch_NSLKDD_top(b *testing.B) { benchRealBatch(b, "NSL-KDD kdd5", true) }
func BenchmarkRealDataBatch_CIC_top(b *testing.B)    { benchRealBatch(b, "CIC-IDS2017", true) }

func benchRealColdStart(b *testing.B, name string) {
	m, rows := trainedModel(b, name)
	bin := compile(b, m)
	nf := len(m.Schema.Features)
	out := make([]model.Result, 1)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		mod, err := host.Load(ctx, bin)
		if err != nil {
			b.Fatal(err)
		}
		if err := mod.Classify(ctx, rows[:nf], out); err != nil {
			b.Fatal(err)
		}
		mod.Close(ctx)
	}
	b.ReportMetric(float64(len(bin)), "module-bytes")
}

func BenchmarkRealDataColdStart_NSLKDD(b *testing.B) { benchRealColdStart(b, "NSL-KDD kdd5") }
func BenchmarkRealDataColdStart_CIC(b *testing.B)    { benchRealColdStart(b, "CIC-IDS2017") }

// benchRealRatio: the same test rows through both predictors back to back.
func benchRealRatio(b *testing.B, name string) {
	m, rows := trainedModel(b, name)
	nf := len(m.Schema.Features)
	n := len(rows) / nf
	mod := load(b, compile(b, m))
	out := make([]model.Result, 1)
	var r model.Result
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		j := i % n
		if err := m.Predict(rows[j*nf:(j+1)*nf], &r); err != nil {
			b.Fatal(err)
		}
	}
	native := time.Since(start)
	start = time.Now()
	for i := 0; i < b.N; i++ {
		j := i % n
		if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
			b.Fatal(err)
		}
	}
	module := time.Since(start)
	b.ReportMetric(float64(native.Nanoseconds())/float64(b.N), "native-ns/flow")
	b.ReportMetric(float64(module.Nanoseconds())/float64(b.N), "wasm-ns/flow")
	b.ReportMetric(float64(module)/float64(native), "wasm/native")
}

func BenchmarkRealDataOneFlowRatio_NSLKDD(b *testing.B) { benchRealRatio(b, "NSL-KDD kdd5") }
func BenchmarkRealDataOneFlowRatio_CIC(b *testing.B)    { benchRealRatio(b, "CIC-IDS2017") }

// benchRealSIMD: the default (SIMD) module against the MVP module
// (WithoutSIMD) of the same model on the same rows, interleaved in chunks
// of 256 calls so that a change in the machine's load hits both alike.
func benchRealSIMD(b *testing.B, name string) {
	m, rows := trainedModel(b, name)
	nf := len(m.Schema.Features)
	n := len(rows) / nf
	mods := []*host.Module{load(b, compile(b, m)), load(b, compile(b, m, compiler.WithoutSIMD()))}
	out := make([]model.Result, 1)
	ctx := context.Background()
	var spent [2]time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += 256 {
		for k, mod := range mods {
			start := time.Now()
			for c := i; c < min(i+256, b.N); c++ {
				j := c % n
				if err := mod.Classify(ctx, rows[j*nf:(j+1)*nf], out); err != nil {
					b.Fatal(err)
				}
			}
			spent[k] += time.Since(start)
		}
	}
	b.ReportMetric(float64(spent[0].Nanoseconds())/float64(b.N), "simd-ns/flow")
	b.ReportMetric(float64(spent[1].Nanoseconds())/float64(b.N), "mvp-ns/flow")
	b.ReportMetric(float64(spent[0])/float64(spent[1]), "simd/mvp")
}

func BenchmarkRealDataSIMDRatio_NSLKDD(b *testing.B) { benchRealSIMD(b, "NSL-KDD kdd5") }
func BenchmarkRealDataSIMDRatio_CIC(b *testing.B)    { benchRealSIMD(b, "CIC-IDS2017") }

// Trees as code against node tables on the trained default models and
// their test rows, interleaved in one run (bench_treeform_test.go).
func BenchmarkRealDataTreeForms_NSLKDD(b *testing.B) { benchRealForms(b, "NSL-KDD kdd5", false) }
func BenchmarkRealDataTreeForms_CIC(b *testing.B)    { benchRealForms(b, "CIC-IDS2017", false) }
func BenchmarkRealDataTreeFormsBatch_NSLKDD(b *testing.B) {
	benchRealForms(b, "NSL-KDD kdd5", true)
}
func BenchmarkRealDataTreeFormsBatch_CIC(b *testing.B) { benchRealForms(b, "CIC-IDS2017", true) }

func benchRealForms(b *testing.B, name string, batched bool) {
	m, rows := trainedModel(b, name)
	benchForms(b, m, rows, batched)
}

// BenchmarkXGBoostImported: batches of MaxBatch through the module of an
// imported XGBoost model, trees as code and as node tables interleaved,
// on the rows XGBoost's own predictor was timed on: bench/xgb_batch.sh
// sets FLOWSENSE_XGB_DIR (model/model.json from flowsense import, and
// rows.f32, row-major float32).
func BenchmarkXGBoostImported(b *testing.B) {
	dir := os.Getenv("FLOWSENSE_XGB_DIR")
	if dir == "" {
		b.Fatal("FLOWSENSE_XGB_DIR is not set: run bench/xgb_batch.sh")
	}
	f, err := os.Open(filepath.Join(dir, "model", "model.json"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := model.Decode(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "rows.f32"))
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]float32, len(raw)/4)
	for i := range rows {
		rows[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	// trees as code, node tables, and the top tier as functions.LoadFile's
	// tier-up serves it (compiler.TopTier, WithoutInterrupt), interleaved
	mods := []*host.Module{
		load(b, compile(b, m, compiler.WithTreeForm(compiler.TreeCode))),
		load(b, compile(b, m, compiler.WithTreeForm(compiler.TreeTables))),
		load(b, compile(b, m, compiler.TopTier()), host.WithoutInterrupt()),
	}
	batch := mods[0].MaxBatch()
	spent := interleave(b, mods, rows, batch)
	flows := float64(b.N * batch)
	for i, name := range []string{"code", "tables", "top"} {
		b.ReportMetric(flows/spent[i].Seconds(), name+"-flows/s")
	}
}
