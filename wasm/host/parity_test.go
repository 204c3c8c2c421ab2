package host_test

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/flowsense/flowsense/flowdata/synth"
	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/trainer"
	"github.com/flowsense/flowsense/trainer/gbdt"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// shapes are the random-model cases every host is checked on.
var shapes = map[string]shape{
	"numeric softmax vector":             {features: 4, classes: 3, trees: 10, depth: 4, vector: true},
	"numeric softmax per-class":          {features: 5, classes: 4, trees: 12, depth: 5, perClass: true},
	"mixed per-class and vector":         {features: 5, classes: 3, trees: 12, depth: 4, perClass: true, vector: true},
	"categorical":                        {features: 6, categorical: true, classes: 3, trees: 10, depth: 5, vector: true},
	"logistic":                           {features: 4, logistic: true, trees: 10, depth: 4, perClass: true},
	"logistic vector categorical":        {features: 5, categorical: true, logistic: true, trees: 8, depth: 3, vector: true},
	"no trees":                           {features: 2, classes: 2},
	"many classes":                       {features: 3, classes: 70, trees: 6, depth: 3, vector: true, perClass: true, outlier: true},
	"one tree":                           {features: 3, categorical: true, classes: 3, trees: 1, depth: 6, vector: true, perClass: true},
	"stumps only":                        {features: 3, classes: 5, trees: 6, depth: 0, vector: true},
	"outlier diagonal":                   {features: 6, classes: 3, trees: 5, depth: 3, vector: true, outlier: true},
	"outlier full inverse covariance":    {features: 6, classes: 3, trees: 5, depth: 3, vector: true, outlier: true, fullInvCov: true},
	"outlier asymmetric inverse cov":     {features: 6, classes: 3, trees: 5, depth: 3, vector: true, outlier: true, oddInvCov: true},
	"outlier log1p and clip":             {features: 6, classes: 3, trees: 5, depth: 3, vector: true, outlier: true, log1p: true, clip: true},
	"outlier log1p categorical logistic": {features: 7, categorical: true, logistic: true, trees: 6, depth: 4, perClass: true, outlier: true, log1p: true},
	"deep":                               {features: 8, categorical: true, classes: 6, trees: 20, depth: 9, vector: true, perClass: true, outlier: true, log1p: true, clip: true},
}

func TestParityRandomModels(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 4; seed++ {
				r := rand.New(rand.NewPCG(seed, 7))
				m := randModel(t, r, s)
				rows := randRows(r, m, 300)
				want := nativeAnswers(t, m, rows)
				compare(t, "compiler", want, wasmAnswers(t, load(t, compile(t, m)), rows), rows, len(m.Schema.Features))
				compare(t, "compiler, MVP module", want, wasmAnswers(t, load(t, compile(t, m, compiler.WithoutSIMD())), rows), rows, len(m.Schema.Features))
				compare(t, "compiler, node tables", want, wasmAnswers(t, load(t, compile(t, m, compiler.WithTreeForm(compiler.TreeTables))), rows), rows, len(m.Schema.Features))
			}
		})
	}
}

// TestEnginesAgree: wazero's interpreter and compiler give the same bits.
func TestEnginesAgree(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(11, 3))
			m := randModel(t, r, s)
			b := compile(t, m)
			rows := randRows(r, m, 200)
			comp := wasmAnswers(t, load(t, b), rows)
			interp := wasmAnswers(t, load(t, b, host.WithInterpreter()), rows)
			compare(t, "interpreter vs compiler", comp, interp, rows, len(m.Schema.Features))
			compare(t, "interpreter vs native", nativeAnswers(t, m, rows), interp, rows, len(m.Schema.Features))
		})
	}
}

// TestModulesValidate: wabt accepts every module, which has no imports and
// a fixed-size memory.
func TestModulesValidate(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			m := randModel(t, rand.New(rand.NewPCG(5, 5)), s)
			b := compile(t, m)
			validate(t, b)
			// the MVP form is WebAssembly 1.0; the default form uses
			// v128 exactly when the detector is scored whitened, which
			// takes a symmetric positive definite inverse covariance
			validate(t, compile(t, m, compiler.WithoutSIMD()), "--disable-simd")
			simd := m.Outlier != nil && !s.oddInvCov
			if err := wasmValidate(t, b, "--disable-simd"); (err != nil) != simd {
				t.Errorf("SIMD detector %v, yet wasm-validate --disable-simd says %v", simd, err)
			}
			secs, err := wb.Sections(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, sec := range secs {
				switch sec.ID {
				case wb.SecImport:
					t.Errorf("module has an import section")
				case wb.SecMemory:
					// one memory, flag 1 (has maximum), min = max
					if len(sec.Data) < 3 || sec.Data[0] != 1 || sec.Data[1] != 1 || string(sec.Data[2:2+(len(sec.Data)-2)/2]) != string(sec.Data[2+(len(sec.Data)-2)/2:]) {
						t.Errorf("memory section %x is not one fixed-size memory", sec.Data)
					}
				}
			}
		})
	}
}

// TestNode: Node.js's WebAssembly gives the native answers.
func TestNode(t *testing.T) {
	// one node process for all shapes would be faster; a few suffice
	for _, name := range []string{"categorical", "logistic", "outlier log1p and clip", "deep", "mixed per-class and vector"} {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(21, 1))
			m := randModel(t, r, shapes[name])
			b := compile(t, m)
			rows := randRows(r, m, 600) // more than one batch for small schemas
			compare(t, "node", nativeAnswers(t, m, rows), nodeAnswers(t, b, rows), rows, len(m.Schema.Features))
		})
	}
}

// synthModel trains a small model on generated flows.
func synthModel(t testing.TB, rows, rounds int, multiclass string) (*model.Model, *trainer.Result) {
	t.Helper()
	dir := t.TempDir()
	p := filepath.Join(dir, "flows.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := synth.Write(f, synth.Options{Rows: rows, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	f.Close()
	cfg := trainer.DefaultConfig()
	cfg.Data = []string{p}
	cfg.Boost.Rounds = rounds
	cfg.Boost.Multiclass = multiclass
	res, err := trainer.Train(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res.Model, res
}

func TestParitySynthTrained(t *testing.T) {
	for _, mc := range []string{gbdt.MultiVector, gbdt.MultiPerClass} {
		t.Run(mc, func(t *testing.T) { testParitySynth(t, mc) })
	}
}

func testParitySynth(t *testing.T, multiclass string) {
	m, res := synthModel(t, 3000, 20, multiclass)
	b := compile(t, m)
	validate(t, b)
	mod := load(t, b)
	// the training rows, row-major
	cols := res.Train.Columns
	nf := len(cols)
	n := res.Train.Rows
	rows := make([]float32, n*nf)
	for j, c := range cols {
		for i, v := range c {
			rows[i*nf+j] = v
		}
	}
	want := nativeAnswers(t, m, rows)
	compare(t, "trained on synth", want, wasmAnswers(t, mod, rows), rows, nf)
	r := rand.New(rand.NewPCG(1, 2))
	noisy := randRows(r, m, 500)
	compare(t, "trained on synth, random rows", nativeAnswers(t, m, noisy), wasmAnswers(t, mod, noisy), noisy, nf)
	md := mod.Metadata()
	if md.Outlier == nil || md.Outlier.Threshold != m.Outlier.Threshold {
		t.Errorf("metadata outlier %+v, want threshold %v", md.Outlier, m.Outlier.Threshold)
	}
}

// TestParityWideNodes: a schema so wide that a node's right-child distance
// does not fit beside the feature offset, so the module stores it in a
// word of its own.
func TestParityWideNodes(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	m := randModel(t, r, shape{features: 1 << 16, classes: 3, trees: 3, depth: 10, full: true, vector: true})
	b := compile(t, m, compiler.WithTreeForm(compiler.TreeTables))
	rows := randRows(r, m, 7)
	want := nativeAnswers(t, m, rows)
	compare(t, "wide nodes", want, wasmAnswers(t, load(t, b), rows), rows, len(m.Schema.Features))
	compare(t, "wide schema, trees as code", want, wasmAnswers(t, load(t, compile(t, m)), rows), rows, len(m.Schema.Features))
}
