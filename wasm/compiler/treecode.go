package compiler

import (
	"slices"

	"github.com/flowsense/flowsense/model"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// TreeForm is how a module evaluates its trees.
type TreeForm uint8

const (
	// TreeAuto: trees as code up to MaxCodeNodes internal nodes in all,
	// node tables above.
	TreeAuto TreeForm = iota
	// TreeCode: every tree lowered to nested if/else branches with its
	// thresholds and leaf values as constants.
	TreeCode
	// TreeTables: every tree walked from its node table by one loop
	// (Compile's default: the fastest start, RATIONALE.md "Trees as code").
	TreeTables
)

// MaxCodeNodes is the largest model, in internal tree nodes summed over
// its trees, that TreeAuto compiles to code. Above it the module walks node
// tables: a node as code costs about 40 bytes of module and tens of
// microseconds of wazero's compile time, a node in a table 8 bytes and
// well under one; RATIONALE.md ("Trees as code") has the measurements
// behind the figure.
const MaxCodeNodes = 4096

// codeChunkNodes is the number of internal nodes one tree function holds
// (whole trees; a larger tree gets a function of its own): wazero's
// optimising compiler is superlinear in a function's size (the NSL-KDD
// default model, 1,062 nodes, loads in 116 ms as one function, 40 ms in
// chunks of 256), and a call between chunks costs little.
const codeChunkNodes = 256

// topChunkNodes is codeChunkNodes for the top tier. Larger functions load
// the row's features fewer times (module instructions per flow without
// the detector, NSL-KDD shape: 8,167 at 512 nodes, 7,647 at 1,024, 7,260
// at 4,096) but wazero's compile time grows faster than their size (at
// 1,024 nodes the top tier took 1.1 s to load on the NSL-KDD shape, 0.25 s
// on CIC-IDS2017's, against 0.06 s at 256).
const topChunkNodes = 256

// WithTreeForm chooses how the module evaluates its trees (TreeTables by
// default: a cold start of a few milliseconds; TreeCode or TreeAuto trade
// tens of milliseconds of wazero compile for faster flows). The answers are the same bits in every form.
func WithTreeForm(form TreeForm) CompileOption {
	return func(c *compileConfig) { c.form = form }
}

// planTrees decides the tree form and splits the trees into functions.
func (l *layout) planTrees(form TreeForm) {
	trees := l.m.Ensemble.Trees
	internal := 0
	for i := range trees {
		internal += internalNodes(&trees[i])
	}
	l.code = form == TreeCode || (form == TreeAuto && internal <= MaxCodeNodes)
	if !l.code || len(trees) == 0 {
		return
	}
	first, nodes := 0, 0
	chunk := codeChunkNodes
	if l.top {
		chunk = topChunkNodes
	}
	for i := range trees {
		nodes += internalNodes(&trees[i])
		if nodes >= chunk || i == len(trees)-1 {
			l.chunks = append(l.chunks, [2]int{first, i + 1})
			first, nodes = i+1, 0
		}
	}
}

func internalNodes(t *model.Tree) int {
	n := 0
	for _, f := range t.Feature {
		if f >= 0 {
			n++
		}
	}
	return n
}

// emitTreeChunk emits trees(x, rp, n) for trees [first, end), over the n
// rows from x (raw scores from rp) on: each tree is a
// nest of if/else on its nodes' tests, thresholds as constants, in the
// tree's own shape, so evaluating a tree costs one load, one compare and
// one branch per level. The raw scores at rp live in locals meanwhile; a
// leaf adds its value (scalar trees) or points at its values in the data
// segment, which the code after the tree adds (vector trees). Each raw
// score gains the same float64 additions in the same tree order as in the
// native predictor, so the sums are the same bits.
func emitTreeChunk(l *layout, first, end int) []byte {
	f := wb.NewFunc(3)
	const x, rp, n = 0, 1, 2
	l.overRows(f, x, rp, n, func() { treeChunkBody(f, l, first, end, x, rp, false) })
	return f.Body()
}

// treeChunkBody adds the leaves of trees [first, end) for the row at x to
// its raw scores at rp (emitTreeChunk's loop body).
//
// In the top tier (l.top) two things differ, neither in the sums: the
// features the trees test are loaded into locals once, highest offset
// first (one bounds check for them all, where each load in a branch pays
// its own), and in a SIMD module whose trees all have vector leaves, the
// raw scores are f64x2 pairs, a leaf's values loaded two at a time and
// promoted (the same additions, lane by lane), its last value first (one
// bounds check for the leaf). Vector leaves as constants at each leaf
// (two v128 constants and a select per pair) saved 8 % of the NSL-KDD
// shape's instructions per flow, cost 13 % more on CIC-IDS2017's and
// tripled wazero's compile time (61 to 198 ms on the NSL-KDD shape). With fromBase (the top tier's
// first chunk) the raw scores start at the base scores, as constants,
// instead of being loaded, and every output is stored.
func treeChunkBody(f *wb.Func, l *layout, first, end int, x, rp uint32, fromBase bool) {
	trees := l.m.Ensemble.Trees[first:end]
	used := make([]bool, l.outputs)
	for i := range trees {
		if o := trees[i].Output; o >= 0 {
			used[o] = true
		} else {
			for j := range used {
				used[j] = true
			}
		}
	}
	if fromBase {
		for j := range used {
			used[j] = true
		}
	}
	// vec: the raw scores in f64x2 pairs, the last one alone when the
	// outputs are odd
	vec := l.top && l.simd && l.outputs >= 2 && !l.anyScalar
	npair := 0
	if vec {
		npair = l.outputs / 2
	}
	accv := make([]uint32, npair)
	acc := make([]uint32, l.outputs)
	for j := range acc {
		if j < 2*npair {
			if j%2 == 0 {
				accv[j/2] = f.Local(wb.V128)
				if fromBase {
					b := l.m.Ensemble.BaseScore
					f.F64x2(float64(b[j]), float64(b[j+1]))
				} else {
					f.Get(rp).V128Load(uint32(8 * j))
				}
				f.Set(accv[j/2])
			}
			continue
		}
		if used[j] {
			acc[j] = f.Local(wb.F64)
			if fromBase {
				f.F64(float64(l.m.Ensemble.BaseScore[j]))
			} else {
				f.Get(rp).Mem(wb.OpF64Load, uint32(8*j))
			}
			f.Set(acc[j])
		}
	}
	vp := f.Local(wb.I32)
	xv := f.Local(wb.F32)
	c := f.Local(wb.I32)
	// the top tier's feature locals, loaded highest offset first
	var feat map[int32]uint32
	if l.top {
		feat = map[int32]uint32{}
		var fs []int32
		for k := range trees {
			for _, fi := range trees[k].Feature {
				if _, ok := feat[fi]; fi >= 0 && !ok {
					feat[fi] = 0
					fs = append(fs, fi)
				}
			}
		}
		slices.Sort(fs)
		for q := len(fs) - 1; q >= 0; q-- {
			feat[fs[q]] = f.Local(wb.F32)
			f.Get(x).Mem(wb.OpF32Load, uint32(4*fs[q])).Set(feat[fs[q]])
		}
	}
	for k := range trees {
		i := first + k
		t := &trees[k]
		var walk func(n int32)
		walk = func(n int32) {
			if t.Feature[n] < 0 {
				switch {
				case t.Output >= 0:
					o := acc[t.Output]
					f.Get(o).F64(float64(t.Value[n])).Op(wb.OpF64Add).Set(o)
				default:
					f.I32(int32(l.nodeAt[i] + l.offs[i][n])).Set(vp)
				}
				return
			}
			a, b := t.Left[n], t.Right[n] // a when the test holds
			if l.top {
				f.Get(feat[t.Feature[n]])
			} else {
				f.Get(x).Mem(wb.OpF32Load, uint32(4*t.Feature[n]))
			}
			switch t.Op[n] {
			case model.Less, model.LessEqual:
				// NaN fails every comparison: a default-left node tests
				// the opposite (x >= t, x > t) and goes left when it
				// fails, NaN included
				f.F32(t.Threshold[n])
				lt, ge := byte(wb.OpF32Lt), byte(wb.OpF32Ge)
				if t.Op[n] == model.LessEqual {
					lt, ge = wb.OpF32Le, wb.OpF32Gt
				}
				if t.DefaultLeft[n] {
					f.Op(ge)
					a, b = b, a
				} else {
					f.Op(lt)
				}
			default: // InSet: a code x in [0, N) goes left when its bit is set
				set := l.catAt[i] + 4*uint32(t.CatBegin[n])
				cats := t.CatBits[t.CatBegin[n]]
				f.Tee(xv).F32(0).Op(wb.OpF32Ge)
				f.Get(xv).F32(float32(cats)).Op(wb.OpF32Lt).Op(wb.OpI32And)
				f.If(wb.I32)
				f.Get(xv).Op(wb.OpI32TruncF32U).Set(c)
				switch {
				case cats == 0: // no code is in range
					f.I32(0)
				case cats <= 32:
					f.I32(int32(t.CatBits[t.CatBegin[n]+1]))
				default:
					f.Get(c).I32(5).Op(wb.OpI32ShrU).I32(2).Op(wb.OpI32Shl).Mem(wb.OpI32Load, set+4)
				}
				f.Get(c).Op(wb.OpI32ShrU).I32(1).Op(wb.OpI32And)
				f.Else()
				if t.DefaultLeft[n] {
					f.I32(1)
				} else {
					f.I32(0)
				}
				f.End()
			}
			if t.Feature[a] < 0 && t.Feature[b] < 0 {
				// both children leaves: a select instead of a branch,
				// half the blocks wazero compiles in a full tree
				f.Set(c)
				switch {
				case t.Output >= 0:
					o := acc[t.Output]
					f.Get(o).F64(float64(t.Value[a])).F64(float64(t.Value[b])).Get(c).Op(wb.OpSelect).Op(wb.OpF64Add).Set(o)
				default:
					f.I32(int32(l.nodeAt[i] + l.offs[i][a])).I32(int32(l.nodeAt[i] + l.offs[i][b])).Get(c).Op(wb.OpSelect).Set(vp)
				}
				return
			}
			f.If(wb.Void)
			walk(a)
			f.Else()
			walk(b)
			f.End()
		}
		walk(0)
		if t.Output < 0 {
			// the last value first: one bounds check for the leaf
			for j := l.outputs - 1; j >= 0 && l.top; j-- {
				if j >= 2*npair {
					f.Get(acc[j]).Get(vp).Mem(wb.OpF32Load, uint32(4*j)).Op(wb.OpF64PromoteF32).Op(wb.OpF64Add).Set(acc[j])
				} else if j%2 == 1 {
					f.Get(accv[j/2]).Get(vp).V128Load64Splat(uint32(4 * (j - 1))).SIMD(simdF64x2PromoteLowF32x4).SIMD(wb.SIMDF64x2Add).Set(accv[j/2])
				}
			}
			for j := range acc {
				if l.top {
					break
				}
				f.Get(acc[j]).Get(vp).Mem(wb.OpF32Load, uint32(4*j)).Op(wb.OpF64PromoteF32).Op(wb.OpF64Add).Set(acc[j])
			}
		}
	}
	for j := range acc {
		if j < 2*npair {
			if j%2 == 0 {
				f.Get(rp).Get(accv[j/2]).V128Store(uint32(8 * j))
			}
			continue
		}
		if used[j] {
			f.Get(rp).Get(acc[j]).Mem(wb.OpF64Store, uint32(8*j))
		}
	}
}

// simdF64x2PromoteLowF32x4 is f64x2.promote_low_f32x4: the low two f32
// lanes, each exactly widened to f64.
const simdF64x2PromoteLowF32x4 = 0x5f
