package compiler

import (
	"math"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// The top tier's kernels (TopTier): code tuned for a warm instance, where
// run time counts and compile time does not. The answers are the default
// module's bits: every f64 sum takes the same operations in the same order
// (or, where noted, differs at most in the sign of a zero that a square
// then removes).
//
// What changes against the default module:
//
//   - no loop runs for one flow, and one loop iteration per topBlockRows
//     rows of a batch: under wazero's termination checks every loop
//     iteration calls out of the module (RATIONALE.md "The detector
//     kernel"), where the default pays one per tree function per row;
//   - the tree functions take one row (x, rp) and predict calls each over
//     a block of topBlockRows rows before the next (a function's code stays
//     in cache for the block, as in XGBoost's predictor); the first starts
//     from the base scores as constants; vector leaves are added two outputs
//     at a time in f64x2 (treeChunkBody);
//   - the SIMD detector's inputs are straight-line code with their
//     constants as v128 immediates (no call per pair, no record loads), and
//     its whitened projection is one function per block of simdBlock
//     components with its accumulators in locals (no chunk calls, no
//     stores and reloads between them), W read at constant addresses.

// topBlockRows is the number of rows the top tier's predict runs each tree
// function over before the next one.
const topBlockRows = 16

// topPart is one of the top tier's whitened block functions: the f64x2
// accumulators [i0, i1) of block b (simdBlock components, as lower lays W
// out).
type topPart struct{ b, i0, i1 int }

// topAccs is the most f64x2 accumulators one block function holds: all
// of a block's 8 (module instructions per flow, bench/instructions.sh:
// 12,864 on the NSL-KDD shape and 31,344 on CIC-IDS2017's; 13,038 and
// 32,229 with 4, each u_j then loaded twice).
const topAccs = 8

// topParts lists the top tier's whitened block functions in order.
func (l *layout) topParts() []topPart {
	if !l.top || !l.white {
		return nil
	}
	var parts []topPart
	for b := 0; b*simdBlock < l.components; b++ {
		nv := (min(simdBlock, l.components-b*simdBlock) + 1) / 2
		for i0 := 0; i0 < nv; i0 += topAccs {
			parts = append(parts, topPart{b, i0, min(i0+topAccs, nv)})
		}
	}
	return parts
}

// fnTopBlock is the index of whitened block function b (after the tree
// functions).
func (l *layout) fnTopBlock(b int) uint32 { return uint32(fnTrees + len(l.treeFuncs()) + b) }

// topPredict says whether predict is the top tier's (trees as code).
func (l *layout) topPredict() bool { return l.top && l.code }

// emitPredictTop: predict(n) as emitPredict, block by block of
// topBlockRows rows: each tree function over the block's rows, then finish
// over them. One flow (n = 1) runs no loop at all.
func emitPredictTop(l *layout) []byte {
	f := wb.NewFunc(1)
	const n = 0
	x := f.Local(wb.I32)
	r := f.Local(wb.I32)
	o := f.Local(wb.I32)
	left := f.Local(wb.I32)
	m := f.Local(wb.I32)
	rowIn, rowRaw := int32(4*l.features), int32(8*l.outputs)
	f.Get(n).I32(int32(l.maxBatch)).Op(wb.OpI32GtU)
	f.If(wb.Void).I32(-1).Op(wb.OpReturn).End()
	f.Get(n).Op(wb.OpI32Eqz)
	f.If(wb.Void).I32(0).Op(wb.OpReturn).End()
	// block emits the rows [0, rows) of a block from x, r and o on; a row
	// q > 0 only when q < m (all rows of a full block when guard is false)
	block := func(rows int, guard bool) {
		each := func(body func(q int32)) {
			for q := int32(0); q < int32(rows); q++ {
				if guard && q > 0 {
					f.Get(m).I32(q).Op(wb.OpI32GtU).If(wb.Void)
				}
				body(q)
				if guard && q > 0 {
					f.End()
				}
			}
		}
		at := func(v uint32, off int32) {
			f.Get(v)
			if off != 0 {
				f.I32(off).Op(wb.OpI32Add)
			}
		}
		if len(l.treeFuncs()) == 0 { // no trees: the raw scores are the base scores
			each(func(q int32) {
				for j, b := range l.m.Ensemble.BaseScore {
					f.Get(r).F64(float64(b)).Mem(wb.OpF64Store, uint32(q*rowRaw)+uint32(8*j))
				}
			})
		}
		for k := range l.treeFuncs() {
			each(func(q int32) {
				at(x, q*rowIn)
				at(r, q*rowRaw)
				f.Call(uint32(fnTrees + k))
			})
		}
		each(func(q int32) {
			at(x, q*rowIn)
			at(o, q*int32(l.stride))
			at(r, q*rowRaw)
			f.Call(fnRow)
		})
	}
	f.I32(int32(l.input)).Set(x)
	f.I32(int32(l.raw)).Set(r)
	f.I32(int32(l.output)).Set(o)
	f.Get(n).I32(1).Op(wb.OpI32Eq)
	f.If(wb.Void)
	block(1, false)
	f.I32(1).Op(wb.OpReturn)
	f.End()
	f.Get(n).Set(left)
	f.Loop(wb.Void)
	f.Get(left).I32(topBlockRows).Get(left).I32(topBlockRows).Op(wb.OpI32LtU).Op(wb.OpSelect).Set(m)
	block(topBlockRows, true)
	f.Get(x).I32(topBlockRows * rowIn).Op(wb.OpI32Add).Set(x)
	f.Get(r).I32(topBlockRows * rowRaw).Op(wb.OpI32Add).Set(r)
	f.Get(o).I32(topBlockRows * int32(l.stride)).Op(wb.OpI32Add).Set(o)
	f.Get(left).Get(m).Op(wb.OpI32Sub).Tee(left).BrIf(0)
	f.End()
	f.Get(n)
	return f.Body()
}

// emitTreeChunkTop: trees(x, rp) for trees [first, end) over the one row
// at x (treeChunkBody); the first chunk starts from the base scores.
func emitTreeChunkTop(l *layout, first, end int) []byte {
	f := wb.NewFunc(2)
	const x, rp = 0, 1
	treeChunkBody(f, l, first, end, x, rp, first == 0)
	return f.Body()
}

// emitDetectorTop is emitDetector for the top tier's SIMD module: the
// inputs two by two as straight-line code, each pair's constants as v128
// immediates (emitPairFunc's operations, lane by lane the same), stored to
// std; then the whitened score, one call per block of components.
func emitDetectorTop(f *wb.Func, l *layout, x, sc uint32) {
	in := detectorInputs(l.m.Outlier)
	z := f.Local(wb.I32) // 0: one base address for every constant one
	v := f.Local(wb.V128)
	var lg *log1pV
	npairs := uint32(len(in)+1) / 2
	// the last store's bound first: one bounds check covers the rest
	f.Get(z).V128Load(l.std + 16*(npairs-1)).Op(wb.OpDrop)
	for p := 0; p < (len(in)+1)/2; p++ {
		a, b := in[2*p], in[min(2*p+1, len(in)-1)]
		f.Get(z)
		f.Get(x).Mem(wb.OpF32Load, a.off).Op(wb.OpF64PromoteF32).SIMD(wb.SIMDF64x2Splat)
		f.Get(x).Mem(wb.OpF32Load, b.off).Op(wb.OpF64PromoteF32).F64x2ReplaceLane(1)
		f.Set(v)
		switch {
		case a.log1p || b.log1p:
			if lg == nil {
				lg = newLog1pV(f)
			}
			lg.emit(v)
			if !a.log1p || !b.log1p {
				f.Get(v).I64x2(lanes(a.log1p), lanes(b.log1p)).SIMD(wb.SIMDV128Bitselect)
			}
		default:
			f.Get(v)
		}
		// max(u, -Inf) and min(u, +Inf) are u for every finite u, and a
		// lane that is not finite is replaced below: a pair without
		// bounds skips them
		if a.clip || b.clip {
			f.F64x2(a.lo, b.lo).SIMD(wb.SIMDF64x2Max).F64x2(a.hi, b.hi).SIMD(wb.SIMDF64x2Min)
		}
		f.F64x2(a.mean, b.mean).SIMD(wb.SIMDF64x2Sub).F64x2(a.scale, b.scale).SIMD(wb.SIMDF64x2Div)
		f.F64x2(a.missing, b.missing)
		f.Get(v).SIMD(wb.SIMDF64x2Abs).F64x2(math.MaxFloat32, math.MaxFloat32).SIMD(wb.SIMDF64x2Le)
		f.SIMD(wb.SIMDV128Bitselect)
		f.V128Store(l.std + 16*uint32(p))
	}
	sv := f.Local(wb.V128)
	f.V128Zero().Set(sv)
	for b := range l.topParts() {
		f.Get(sv).Call(l.fnTopBlock(b)).Set(sv)
	}
	f.Get(sv).F64x2ExtractLane(0).Get(sv).F64x2ExtractLane(1).Op(wb.OpF64Add).Set(sc)
}

// emitTopBlockFunc: block(sv) returns sv plus the squares of the whitened
// block b's components (emitWhitened's block, in locals): z_c = Σ_j u_j
// W_jc over the d inputs, two components per f64x2 accumulator, each
// summed over j in order, then sv + z² accumulator by accumulator in
// order, as emitWhitened adds them.
//
// Against emitWhitened's sums two things differ, neither in the result:
// the accumulators start at u_0·W_0 rather than 0 + u_0·W_0, and W's zero
// pad rows (j >= d) are not added. Both change at most the sign of a zero
// sum (0 + p is p but for p = -0; adding u·0 = ±0 to a sum leaves it but
// for a zero sum's sign, u being finite), and a sum equal up to the sign of
// zero stays so under the same additions and has the same square.
func emitTopBlockFunc(l *layout, part topPart) []byte {
	f := wb.NewFunc(1)
	const sv = 0
	d, dp := l.dims, padRows(l.dims)
	b := part.b
	pp := l.projection
	for c0 := 0; c0 < b*simdBlock; c0 += simdBlock {
		pp += uint32(16 * ((min(simdBlock, l.components-c0) + 1) / 2) * dp)
	}
	nv := (min(simdBlock, l.components-b*simdBlock) + 1) / 2
	z := f.Local(wb.I32)
	uv := f.Local(wb.V128)
	acc := make([]uint32, part.i1-part.i0)
	for i := range acc {
		acc[i] = f.Local(wb.V128)
	}
	// the block's last W load first: one bounds check covers the rest
	// (wazero keeps the checked bound of a base address through a block)
	f.Get(z).V128Load(pp + uint32(16*((d-1)*nv+part.i1-1))).Op(wb.OpDrop)
	for j := 0; j < d; j++ {
		f.Get(z).V128Load64Splat(l.std + uint32(8*j)).Set(uv)
		for i := range acc {
			if j > 0 {
				f.Get(acc[i])
			}
			f.Get(uv).Get(z).V128Load(pp + uint32(16*(j*nv+part.i0+i))).SIMD(wb.SIMDF64x2Mul)
			if j > 0 {
				f.SIMD(wb.SIMDF64x2Add)
			}
			f.Set(acc[i])
		}
	}
	for i := range acc {
		f.Get(acc[i]).Get(acc[i]).SIMD(wb.SIMDF64x2Mul).Get(sv).SIMD(wb.SIMDF64x2Add).Set(sv)
	}
	f.Get(sv)
	return f.Body()
}
