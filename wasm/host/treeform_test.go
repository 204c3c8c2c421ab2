package host_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// TestTreeFormsSameBits: trees as code and trees as node tables give the
// same bits on every shape, row and engine (each raw score gains the same
// float64 additions in the same order, as in the native predictor), and
// both agree with the native predictor.
func TestTreeFormsSameBits(t *testing.T) {
	for name, s := range shapes {
		t.Run(name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				r := rand.New(rand.NewPCG(seed, 19))
				m := randModel(t, r, s)
				rows := randRows(r, m, 600) // more than one batch for small schemas
				nf := len(m.Schema.Features)
				want := nativeAnswers(t, m, rows)
				for _, simd := range []bool{true, false} {
					opts := func(form compiler.TreeForm) []compiler.CompileOption {
						o := []compiler.CompileOption{compiler.WithTreeForm(form)}
						if !simd {
							o = append(o, compiler.WithoutSIMD())
						}
						return o
					}
					codeBin := compile(t, m, opts(compiler.TreeCode)...)
					validate(t, codeBin)
					code := wasmAnswers(t, load(t, codeBin), rows)
					tables := wasmAnswers(t, load(t, compile(t, m, opts(compiler.TreeTables)...)), rows)
					compare(t, "trees as code", want, code, rows, nf)
					sameBits(t, "trees as code vs node tables", tables, code, rows, nf)
					if seed == 1 {
						interp := wasmAnswers(t, load(t, codeBin, host.WithInterpreter()), rows)
						sameBits(t, "trees as code, interpreter vs compiler", code, interp, rows, nf)
					}
				}
			}
		})
	}
}

// TestTreeFormAuto: TreeAuto is code up to MaxCodeNodes internal nodes and
// node tables above, and Compile's default is the node tables; the forms show in the function count of a
// module without the explain export (one
// table walk, or one function per chunk of trees).
func TestTreeFormAuto(t *testing.T) {
	funcs := func(b []byte) int {
		secs, err := wb.Sections(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range secs {
			if s.ID == wb.SecFunction {
				n, _, err := wb.ReadU32(s.Data)
				if err != nil {
					t.Fatal(err)
				}
				return int(n)
			}
		}
		t.Fatal("no function section")
		return 0
	}
	const fixed = 5 // predict, finish, exp, log, signed log1p
	small := randModel(t, rand.New(rand.NewPCG(1, 2)), shape{features: 10, classes: 3, trees: 100, depth: 5, full: true, vector: true})
	if n := funcs(compile(t, small, compiler.WithoutExplain())); n != fixed+1 {
		t.Errorf("the default form: %d functions, want the node tables (%d)", n, fixed+1)
	}
	if n := funcs(compile(t, small, compiler.WithoutExplain(), compiler.WithTreeForm(compiler.TreeAuto))); n <= fixed+1 {
		t.Errorf("100 trees of depth 5 (3,100 nodes): %d functions, want trees as code in two or more", n)
	}
	if n := funcs(compile(t, small, compiler.WithoutExplain(), compiler.WithTreeForm(compiler.TreeTables))); n != fixed+1 {
		t.Errorf("TreeTables: %d functions, want %d", n, fixed+1)
	}
	// full trees of depth 8 have 255 internal nodes each
	trees := compiler.MaxCodeNodes/255 + 1
	large := randModel(t, rand.New(rand.NewPCG(1, 2)), shape{features: 10, classes: 2, logistic: true, trees: trees, depth: 8, full: true, perClass: true})
	nodes := 0
	for i := range large.Ensemble.Trees {
		for _, f := range large.Ensemble.Trees[i].Feature {
			if f >= 0 {
				nodes++
			}
		}
	}
	if nodes <= compiler.MaxCodeNodes {
		t.Fatalf("the large model has %d internal nodes, not above %d", nodes, compiler.MaxCodeNodes)
	}
	b := compile(t, large, compiler.WithoutExplain(), compiler.WithTreeForm(compiler.TreeAuto))
	if n := funcs(b); n != fixed+1 {
		t.Errorf("%d internal nodes: %d functions, want the node tables (%d)", nodes, n, fixed+1)
	}
	rows := randRows(rand.New(rand.NewPCG(3, 3)), large, 50)
	compare(t, "large model, node tables", nativeAnswers(t, large, rows), wasmAnswers(t, load(t, b), rows), rows, len(large.Schema.Features))
}

// sameBits fails t unless got is want bit for bit (NaN matches NaN).
func sameBits(t testing.TB, what string, want, got []answer, rows []float32, nf int) {
	t.Helper()
	same := func(a, b float64) bool {
		return math.Float64bits(a) == math.Float64bits(b) || (math.IsNaN(a) && math.IsNaN(b))
	}
	if len(want) != len(got) {
		t.Fatalf("%s: %d answers, want %d", what, len(got), len(want))
	}
	bad := 0
	for i := range want {
		w, g := want[i], got[i]
		ok := w.class == g.class && w.verdict == g.verdict && same(w.score, g.score) && len(w.probs) == len(g.probs)
		for j := 0; ok && j < len(w.probs); j++ {
			ok = same(w.probs[j], g.probs[j])
		}
		if !ok {
			bad++
			if bad <= 3 {
				t.Errorf("%s: row %d %v:\nwant class %d verdict %v score %v probs %v\ngot  class %d verdict %v score %v probs %v",
					what, i, rows[i*nf:(i+1)*nf], w.class, w.verdict, w.score, w.probs, g.class, g.verdict, g.score, g.probs)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%s: %d of %d rows differ", what, bad, len(want))
	}
}

var _ = model.Benign
