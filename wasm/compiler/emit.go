package compiler

import (
	"github.com/flowsense/flowsense/wasm/abi"
	"math"

	"github.com/flowsense/flowsense/model"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// Function indices of every module.
const (
	fnPredict = iota
	fnRow
	fnExp
	fnLog
	fnSignedLog1p
	// fnTrees is the first tree function: the table walk, or the first
	// chunk of trees as code
	fnTrees
)

// Type indices.
const (
	tyI32ToI32 = iota
	tyRow
	tyF64ToF64
	tyFinish
)

// emit writes the module for a lowered model, with meta as its custom
// section.
func emit(l *layout, meta []byte, x *explainLayout) []byte {
	m := wb.NewModule()
	m.Custom(abi.SectionName, meta)
	types := [][]byte{
		wb.FuncType([]byte{wb.I32}, []byte{wb.I32}),
		wb.FuncType([]byte{wb.I32, wb.I32}, nil),
		wb.FuncType([]byte{wb.F64}, []byte{wb.F64}),
		wb.FuncType([]byte{wb.I32, wb.I32, wb.I32}, nil),
	}
	funcs := [][]byte{
		wb.AppendU32(nil, tyI32ToI32),
		wb.AppendU32(nil, tyFinish),
		wb.AppendU32(nil, tyF64ToF64),
		wb.AppendU32(nil, tyF64ToF64),
		wb.AppendU32(nil, tyF64ToF64),
	}
	treeType := uint32(tyFinish)
	if l.topPredict() { // the top tier's tree functions take one row
		treeType = tyRow
	}
	for range l.treeFuncs() {
		funcs = append(funcs, wb.AppendU32(nil, treeType))
	}
	if l.white && !l.top { // the SIMD detector's pair and chunk functions
		funcs = append(funcs, wb.AppendU32(nil, tyFinish))
		for range l.chunkWidths() {
			funcs = append(funcs, wb.AppendU32(nil, tyRow))
		}
	}
	if nb := len(l.topParts()); nb > 0 { // the top tier's whitened blocks, (v128) -> v128
		ty := uint32(len(types))
		types = append(types, wb.FuncType([]byte{wb.V128}, []byte{wb.V128}))
		for range nb {
			funcs = append(funcs, wb.AppendU32(nil, ty))
		}
	}
	fnExplain := uint32(len(funcs)) // the explain functions follow (explain.go)
	if x != nil {
		funcs = append(funcs, explainFuncTypes(uint32(len(types)))...)
		types = append(types, explainTypes()...)
	}
	m.Section(wb.SecType, wb.Vec(types...))
	m.Section(wb.SecFunction, wb.Vec(funcs...))
	// memory: fixed size, minimum = maximum
	mem := []byte{0x01}
	mem = wb.AppendU32(mem, l.pages)
	mem = wb.AppendU32(mem, l.pages)
	m.Section(wb.SecMemory, wb.Vec(mem))
	globals := []struct {
		name string
		v    int32
	}{
		{abi.ExportABI, abi.Version},
		{abi.ExportFeatures, int32(l.features)},
		{abi.ExportClasses, int32(l.classes)},
		{abi.ExportMaxBatch, int32(l.maxBatch)},
		{abi.ExportInput, int32(l.input)},
		{abi.ExportOutput, int32(l.output)},
		{abi.ExportStride, int32(l.stride)},
		{abi.ExportMinor, abi.Minor},
	}
	if x != nil {
		globals = append(globals, []struct {
			name string
			v    int32
		}{{abi.ExportContrib, int32(x.contrib)}, {abi.ExportOutputs, int32(x.outputs)}}...)
	}
	var gs [][]byte
	for _, g := range globals {
		b := []byte{wb.I32, 0x00, wb.OpI32Const}
		b = wb.AppendS64(b, int64(g.v))
		gs = append(gs, append(b, wb.OpEnd))
	}
	m.Section(wb.SecGlobal, wb.Vec(gs...))
	exp := func(name string, kind byte, idx uint32) []byte {
		b := wb.AppendName(nil, name)
		b = append(b, kind)
		return wb.AppendU32(b, idx)
	}
	ex := [][]byte{exp(abi.ExportMemory, wb.ExportMemory, 0), exp(abi.ExportPredict, wb.ExportFunc, fnPredict)}
	for i, g := range globals {
		ex = append(ex, exp(g.name, wb.ExportGlobal, uint32(i)))
	}
	if x != nil {
		ex = append(ex, exp(abi.ExportExplain, wb.ExportFunc, fnExplain))
	}
	m.Section(wb.SecExport, wb.Vec(ex...))
	predict := emitPredict
	if l.topPredict() {
		predict = emitPredictTop
	}
	code := [][]byte{
		predict(l),
		emitRow(l),
		emitExp(),
		emitLog(),
		emitSignedLog1p(),
	}
	for _, ch := range l.treeFuncs() {
		if l.topPredict() {
			code = append(code, emitTreeChunkTop(l, ch[0], ch[1]))
		} else if l.code {
			code = append(code, emitTreeChunk(l, ch[0], ch[1]))
		} else {
			code = append(code, emitTreeTables(l))
		}
	}
	if l.white && !l.top {
		code = append(code, emitPairFunc(l))
		for _, nv := range l.chunkWidths() {
			code = append(code, emitChunkFunc(l, nv))
		}
	}
	for _, part := range l.topParts() {
		code = append(code, emitTopBlockFunc(l, part))
	}
	if x != nil {
		code = append(code, explainCode(l, x, fnExplain, fnSignedLog1p)...)
	}
	m.Section(wb.SecCode, wb.Vec(code...))
	// one active data segment at dataBase
	seg := []byte{0x00, wb.OpI32Const}
	seg = wb.AppendS64(seg, int64(int32(l.dataBase)))
	seg = append(seg, wb.OpEnd)
	seg = wb.AppendU32(seg, uint32(len(l.data)))
	seg = append(seg, l.data...)
	segs := [][]byte{seg}
	if x != nil {
		segs = append(segs, explainSegment(x))
	}
	m.Section(wb.SecData, wb.Vec(segs...))
	return m.Bytes()
}

// treeFuncs lists the tree functions: the chunks of trees as code, or
// one table walk over every tree (none without trees).
func (l *layout) treeFuncs() [][2]int {
	switch {
	case l.treesEnd == l.trees:
		return nil
	case l.code:
		return l.chunks
	default:
		return [][2]int{{0, 0}}
	}
}

// emitPredict: predict(n) predicts n rows of the input buffer and returns
// n, or -1 when n is outside [0, max_batch]. It works tree-major, as
// XGBoost's batch predictor does: every row's raw scores start at the base
// scores, then each tree function runs over every row (so its code or
// tables stay in cache for the whole batch), then finish turns each row's
// raw scores into its answer.
func emitPredict(l *layout) []byte {
	f := wb.NewFunc(1)
	const n = 0
	i := f.Local(wb.I32)
	x := f.Local(wb.I32)
	r := f.Local(wb.I32)
	rowBytes := int32(8 * l.outputs)
	f.Get(n).I32(int32(l.maxBatch)).Op(wb.OpI32GtU)
	f.If(wb.Void).I32(-1).Op(wb.OpReturn).End()
	// rows walks i over [0, n) with x at row i's input and r at its raw
	// scores, running body for each
	rows := func(body func()) {
		f.I32(0).Set(i)
		f.I32(int32(l.input)).Set(x)
		f.I32(int32(l.raw)).Set(r)
		f.Block(wb.Void).Loop(wb.Void)
		f.Get(i).Get(n).Op(wb.OpI32GeS).BrIf(1)
		body()
		f.Get(x).I32(int32(4 * l.features)).Op(wb.OpI32Add).Set(x)
		f.Get(r).I32(rowBytes).Op(wb.OpI32Add).Set(r)
		f.Get(i).I32(1).Op(wb.OpI32Add).Set(i)
		f.Br(0).End().End()
	}
	// raw = base scores (outputs >= 1)
	jb := f.Local(wb.I32)
	rows(func() {
		if l.outputs <= 64 {
			for j := uint32(0); j < uint32(l.outputs); j++ {
				f.Get(r).I32(0).Mem(wb.OpF64Load, l.base+8*j).Mem(wb.OpF64Store, 8*j)
			}
			return
		}
		f.I32(0).Set(jb)
		f.Loop(wb.Void)
		f.Get(r).Get(jb).Op(wb.OpI32Add).Get(jb).Mem(wb.OpF64Load, l.base).Mem(wb.OpF64Store, 0)
		f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).I32(rowBytes).Op(wb.OpI32Ne).BrIf(0)
		f.End()
	})
	for k := range l.treeFuncs() {
		f.I32(int32(l.input)).I32(int32(l.raw)).Get(n).Call(uint32(fnTrees + k))
	}
	rows(func() {
		f.Get(x)
		f.Get(i).I32(int32(l.stride)).Op(wb.OpI32Mul).I32(int32(l.output)).Op(wb.OpI32Add)
		f.Get(r)
		f.Call(fnRow)
	})
	f.Get(n)
	return f.Body()
}

// emitTreeTables: trees(x, rp, n) adds every tree's leaf for each of the
// n rows from x on to its raw scores from rp on, walking the node tables
// (emitTrees).
func emitTreeTables(l *layout) []byte {
	f := wb.NewFunc(3)
	const x, rp, n = 0, 1, 2
	l.overRows(f, x, rp, n, func() { emitTrees(f, l, x, rp) })
	return f.Body()
}

// overRows runs body for each of the n rows from x (input) and rp (raw
// scores) on, advancing both: a tree function's own loop over the batch,
// so a batch costs one call per tree function.
func (l *layout) overRows(f *wb.Func, x, rp, n uint32, body func()) {
	f.Block(wb.Void).Loop(wb.Void)
	f.Get(n).Op(wb.OpI32Eqz).BrIf(1)
	body()
	f.Get(x).I32(int32(4 * l.features)).Op(wb.OpI32Add).Set(x)
	f.Get(rp).I32(int32(8 * l.outputs)).Op(wb.OpI32Add).Set(rp)
	f.Get(n).I32(1).Op(wb.OpI32Sub).Set(n)
	f.Br(0).End().End()
}

// emitRow: finish(x, out, rp) turns the raw scores at rp of the row at x
// into its answer at out (probabilities, class, outlier score, verdict),
// following model.(*Model).Predict step by step.
func emitRow(l *layout) []byte {
	f := wb.NewFunc(3)
	const x, out, rp = 0, 1, 2
	var (
		jb  = f.Local(wb.I32)
		q   = f.Local(wb.I32)
		bb  = f.Local(wb.I32)
		v   = f.Local(wb.F64)
		mx  = f.Local(wb.F64)
		sum = f.Local(wb.F64)
		u   = f.Local(wb.F64)
		t   = f.Local(wb.F64)
		sc  = f.Local(wb.F64)
	)
	rawBytes := int32(8 * l.outputs)
	classBytes := int32(8 * l.classes)

	// probabilities at out+16
	if l.objective == model.Logistic {
		f.Get(rp).Mem(wb.OpF64Load, 0).Tee(v).F64(0).Op(wb.OpF64Ge)
		f.If(wb.F64)
		f.F64(1).F64(1).Get(v).Op(wb.OpF64Neg).Call(fnExp).Op(wb.OpF64Add).Op(wb.OpF64Div)
		f.Else()
		f.Get(v).Call(fnExp).Tee(t).F64(1).Get(t).Op(wb.OpF64Add).Op(wb.OpF64Div)
		f.End()
		f.Set(u)
		f.Get(out).F64(1).Get(u).Op(wb.OpF64Sub).Mem(wb.OpF64Store, 16)
		f.Get(out).Get(u).Mem(wb.OpF64Store, 24)
	} else if l.classes <= maxUnrolled {
		emitSoftmax(f, l, out, rp, mx, v, sum)
	} else {
		f.F64(math.Inf(-1)).Set(mx)
		f.I32(0).Set(jb)
		f.Loop(wb.Void)
		f.Get(jb).Get(rp).Op(wb.OpI32Add).Mem(wb.OpF64Load, 0).Tee(v).Get(mx).Get(v).Get(mx).Op(wb.OpF64Gt).Op(wb.OpSelect).Set(mx)
		f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).I32(rawBytes).Op(wb.OpI32Ne).BrIf(0)
		f.End()
		f.F64(0).Set(sum)
		f.I32(0).Set(jb)
		f.Loop(wb.Void)
		f.Get(out).Get(jb).Op(wb.OpI32Add)
		f.Get(jb).Get(rp).Op(wb.OpI32Add).Mem(wb.OpF64Load, 0).Get(mx).Op(wb.OpF64Sub).Call(fnExp).Tee(v)
		f.Mem(wb.OpF64Store, 16)
		f.Get(sum).Get(v).Op(wb.OpF64Add).Set(sum)
		f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).I32(rawBytes).Op(wb.OpI32Ne).BrIf(0)
		f.End()
		f.Get(out).Set(q)
		f.Loop(wb.Void)
		f.Get(q).Get(q).Mem(wb.OpF64Load, 16).Get(sum).Op(wb.OpF64Div).Mem(wb.OpF64Store, 16)
		f.Get(q).I32(8).Op(wb.OpI32Add).Tee(q).Get(out).I32(rawBytes).Op(wb.OpI32Add).Op(wb.OpI32Ne).BrIf(0)
		f.End()
	}
	// argmax: the first most probable class; bb is its byte offset
	f.I32(0).Set(bb)
	f.Get(out).Mem(wb.OpF64Load, 16).Set(mx)
	if l.classes <= maxUnrolled {
		for j := 1; j < l.classes; j++ {
			f.Get(out).Mem(wb.OpF64Load, uint32(16+8*j)).Tee(v).Get(mx).Op(wb.OpF64Gt).Set(q)
			f.Get(v).Get(mx).Get(q).Op(wb.OpSelect).Set(mx)
			f.I32(int32(8 * j)).Get(bb).Get(q).Op(wb.OpSelect).Set(bb)
		}
	} else {
		f.I32(8).Set(jb)
		f.Loop(wb.Void)
		f.Get(out).Get(jb).Op(wb.OpI32Add).Mem(wb.OpF64Load, 16).Tee(v).Get(mx).Op(wb.OpF64Gt)
		f.If(wb.Void).Get(v).Set(mx).Get(jb).Set(bb).End()
		f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).I32(classBytes).Op(wb.OpI32LtU).BrIf(0)
		f.End()
	}

	// outlier score
	f.F64(0).Set(sc)
	if l.hasOutlier {
		emitDetector(f, l, x, sc)
	}
	// class, verdict, score
	f.Get(out).Get(bb).I32(3).Op(wb.OpI32ShrU).Mem(wb.OpI32Store, 0)
	f.Get(out)
	f.Get(bb).I32(1).Op(wb.OpI32ShrU).Mem(wb.OpI32Load, l.benign)
	f.If(wb.I32)
	if l.hasOutlier {
		f.I32(2).I32(0).Get(sc).F64(l.threshold).Op(wb.OpF64Gt).Op(wb.OpSelect)
	} else {
		f.I32(0)
	}
	f.Else().I32(1).End()
	f.Mem(wb.OpI32Store, 4)
	f.Get(out).Get(sc).Mem(wb.OpF64Store, 8)
	return f.Body()
}

// maxUnrolled is the most classes whose softmax and argmax emitRow
// writes as straight-line code (a loop above): under wazero's termination
// checks a loop iteration costs a call out of the module.
const maxUnrolled = 64

// emitSoftmax writes the probabilities of the raw scores at rp to out+16,
// unrolled: exp(raw_j - max) / sum, the native softmax's operations in its
// order.
func emitSoftmax(f *wb.Func, l *layout, out, rp, mx, v, sum uint32) {
	f.F64(math.Inf(-1)).Set(mx)
	for j := 0; j < l.outputs; j++ {
		f.Get(rp).Mem(wb.OpF64Load, uint32(8*j)).Tee(v).Get(mx).Get(v).Get(mx).Op(wb.OpF64Gt).Op(wb.OpSelect).Set(mx)
	}
	e := make([]uint32, l.outputs)
	for j := range e {
		e[j] = f.Local(wb.F64)
		f.Get(rp).Mem(wb.OpF64Load, uint32(8*j)).Get(mx).Op(wb.OpF64Sub).Call(fnExp).Set(e[j])
		if j == 0 {
			f.Get(e[j]).Set(sum)
		} else {
			f.Get(sum).Get(e[j]).Op(wb.OpF64Add).Set(sum)
		}
	}
	for j := range e {
		f.Get(out).Get(e[j]).Get(sum).Op(wb.OpF64Div).Mem(wb.OpF64Store, uint32(16+8*j))
	}
}

// emitDetector computes the outlier score of the row at x into local sc:
// the standardised inputs u_j into std (emitInputs: straight-line code,
// one input or, in a SIMD module, two at a time), then the score, from the
// whitened projection (emitWhitened) or, in the native form, the
// projection four components at a time, reading the projection as lower
// stores it (block by block, each block's rows contiguous): each p_c is
// still summed over j in order, as the native predictor does (it skips
// u_j = 0, whose products add ±0 and change nothing), but four independent
// sums keep the CPU busy.
func emitDetector(f *wb.Func, l *layout, x, sc uint32) {
	if l.top && l.white {
		emitDetectorTop(f, l, x, sc)
		return
	}
	k := int32(l.components)
	kb := 8 * k
	d := int32(l.dims)
	ub := f.Local(wb.I32)
	pp := f.Local(wb.I32)
	cb := f.Local(wb.I32)
	q := f.Local(wb.I32)
	ab := f.Local(wb.I32)
	u := f.Local(wb.F64)
	v := f.Local(wb.F64)
	zero := f.Local(wb.F64)
	var acc [4]uint32
	for i := range acc {
		acc[i] = f.Local(wb.F64)
	}
	emitInputs(f, l, x)
	if l.white {
		emitWhitened(f, l, sc)
		return
	}

	// block projects components [cb, cb+w) into acc, then hands each to
	// use in order.
	block := func(w int, use func(i int)) {
		for i := 0; i < w; i++ {
			f.F64(0).Set(acc[i])
		}
		// the inputs unrolled: constant offsets, no loop (a loop
		// iteration costs a call out of the module under wazero's
		// termination checks, RATIONALE.md "The detector kernel")
		for j := int32(0); j < d; j++ {
			f.I32(0).Mem(wb.OpF64Load, l.std+uint32(8*j)).Set(u)
			for i := 0; i < w; i++ {
				f.Get(acc[i]).Get(u).Get(pp).Mem(wb.OpF64Load, uint32(8*(int(j)*w+i))).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(acc[i])
			}
		}
		f.Get(pp).I32(int32(8*w) * d).Op(wb.OpI32Add).Set(pp)
		for i := 0; i < w; i++ {
			use(i)
		}
	}
	var use func(i int)
	if l.diagonal {
		// s += p_a * (inv_aa * p_a): the full form's zero terms add
		// nothing, except NaN when some p_b is infinite (0 * Inf), which
		// zero accumulates (k >= 2 only: k = 1 has no zeros).
		f.F64(0).Set(zero)
		use = func(i int) {
			f.Get(acc[i]).Set(v)
			f.Get(sc).Get(v).Get(cb).Mem(wb.OpF64Load, l.invCov+uint32(8*i)).Get(v).Op(wb.OpF64Mul).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(sc)
			f.Get(zero).F64(0).Get(v).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(zero)
		}
	} else {
		use = func(i int) {
			f.Get(cb).Get(acc[i]).Mem(wb.OpF64Store, l.proj+uint32(8*i))
		}
	}
	f.I32(0).Set(cb)
	f.I32(int32(l.projection)).Set(pp) // blocks follow each other
	if full := k / 4 * 4; full > 0 && l.top {
		// the top tier: the blocks one after the other, no loop (each
		// iteration's termination check is a call out of the module);
		// the same operations in the same order
		for c := int32(0); c < full; c += 4 {
			block(4, use)
			f.Get(cb).I32(32).Op(wb.OpI32Add).Set(cb)
		}
	} else if full > 0 {
		f.Loop(wb.Void)
		block(4, use)
		f.Get(cb).I32(32).Op(wb.OpI32Add).Tee(cb).I32(8 * full).Op(wb.OpI32Ne).BrIf(0)
		f.End()
	}
	if rest := int(k % 4); rest > 0 {
		block(rest, use)
	}
	if l.diagonal {
		if k >= 2 {
			f.Get(sc).Get(zero).Op(wb.OpF64Add).Set(sc)
		}
		return
	}
	// s = sum_a p_a * (sum_b inv_ab p_b)
	if l.top {
		// the top tier: both loops unrolled, constant addresses, the
		// same operations in the same order
		for a := int32(0); a < k; a++ {
			f.F64(0).Set(v)
			for b := int32(0); b < k; b++ {
				f.Get(v).I32(0).Mem(wb.OpF64Load, l.invCov+uint32(a*kb+8*b)).I32(0).Mem(wb.OpF64Load, l.proj+uint32(8*b)).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(v)
			}
			f.Get(sc).I32(0).Mem(wb.OpF64Load, l.proj+uint32(8*a)).Get(v).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(sc)
		}
		return
	}
	f.I32(int32(l.invCov)).Set(ab)
	f.I32(0).Set(q) // a, bytes
	f.Loop(wb.Void)
	f.F64(0).Set(v)
	f.I32(0).Set(ub)
	f.Loop(wb.Void)
	f.Get(v).Get(ab).Get(ub).Op(wb.OpI32Add).Mem(wb.OpF64Load, 0).Get(ub).Mem(wb.OpF64Load, l.proj).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(v)
	f.Get(ub).I32(8).Op(wb.OpI32Add).Tee(ub).I32(kb).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	f.Get(sc).Get(q).Mem(wb.OpF64Load, l.proj).Get(v).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(sc)
	f.Get(ab).I32(kb).Op(wb.OpI32Add).Set(ab)
	f.Get(q).I32(8).Op(wb.OpI32Add).Tee(q).I32(kb).Op(wb.OpI32Ne).BrIf(0)
	f.End()
}

// emitTrees adds every tree's leaf to the raw scores, in tree order. Trees
// are walked two at a time: the two walks are independent chains of loads,
// so the CPU overlaps them; a walk that reached its leaf waits for the
// other, and the two leaves are added in tree order.
func emitTrees(f *wb.Func, l *layout, x, rp uint32) {
	tp := f.Local(wb.I32)
	xv := f.Local(wb.F32)
	c := f.Local(wb.I32)
	s := f.Local(wb.I32)
	inf := f.Local(wb.I32)
	o := f.Local(wb.I32)
	jb := f.Local(wb.I32)
	vp := f.Local(wb.I32)
	pa, da := f.Local(wb.I32), f.Local(wb.I32)
	pb, db := f.Local(wb.I32), f.Local(wb.I32)
	rawBytes := int32(8 * l.outputs)
	fb := int32(l.featBits)

	// step moves p (an internal node) to the child x goes to, and sets
	// done when that child is a leaf.
	step := func(p, done uint32) {
		f.Get(p).Mem(wb.OpI32Load, 4).Set(inf)
		f.Get(x).Get(inf).I32(int32(l.featMask())).Op(wb.OpI32And).Op(wb.OpI32Add).Mem(wb.OpF32Load, 0).Set(xv)
		dl := func() { f.Get(inf).I32(fb).Op(wb.OpI32ShrU).I32(1).Op(wb.OpI32And) }
		less := func() {
			// (x < t) | (isNaN(x) & defaultLeft)
			f.Get(xv).Get(p).Mem(wb.OpF32Load, 0).Op(wb.OpF32Lt)
			f.Get(xv).Get(xv).Op(wb.OpF32Ne)
			dl()
			f.Op(wb.OpI32And).Op(wb.OpI32Or)
		}
		if l.anyInSet {
			f.Get(inf).I32(int32(l.flagInSet())).Op(wb.OpI32And)
			f.If(wb.I32)
			f.Get(p).Mem(wb.OpI32Load, 0).Set(s)
			// 0 <= x < N ?
			f.Get(xv).F32(0).Op(wb.OpF32Ge)
			f.Get(xv).Get(s).Mem(wb.OpI32Load, 0).Op(wb.OpF32ConvertI32U).Op(wb.OpF32Lt)
			f.Op(wb.OpI32And)
			f.If(wb.I32)
			f.Get(xv).Op(wb.OpI32TruncF32U).Set(c)
			f.Get(s).Get(c).I32(5).Op(wb.OpI32ShrU).I32(2).Op(wb.OpI32Shl).Op(wb.OpI32Add).Mem(wb.OpI32Load, 4)
			f.Get(c).Op(wb.OpI32ShrU).I32(1).Op(wb.OpI32And)
			f.Else()
			dl()
			f.End()
			f.Else()
			less()
			f.End()
		} else {
			less()
		}
		f.Set(c)
		// done = the chosen child is a leaf
		f.Get(inf).I32(int32(l.flagLeftLeaf())).Op(wb.OpI32And)
		f.Get(inf).I32(int32(l.flagRightLeaf())).Op(wb.OpI32And)
		f.Get(c).Op(wb.OpSelect).I32(0).Op(wb.OpI32Ne).Set(done)
		// p = left (the next record) or right
		f.Get(p).I32(int32(l.rec)).Op(wb.OpI32Add)
		f.Get(p)
		if l.wide {
			f.Get(p).Mem(wb.OpI32Load, 8)
		} else {
			f.Get(inf).I32(int32(l.shift)).Op(wb.OpI32ShrU).I32(2).Op(wb.OpI32Shl)
		}
		f.Op(wb.OpI32Add)
		f.Get(c).Op(wb.OpSelect).Set(p)
	}
	// start loads the root of the tree whose table entry is at tp+off.
	start := func(p, done uint32, off uint32) {
		f.Get(tp).Mem(wb.OpI32Load, off).Tee(p).I32(0).Op(wb.OpI32LtS).Set(done)
		f.Get(p).I32(math.MaxInt32).Op(wb.OpI32And).Set(p)
	}
	// accum adds the leaf values at vp of the tree whose table entry is
	// at tp+off.
	accum := func(leaf uint32, off uint32) {
		f.Get(leaf).Set(vp)
		scalar := func() {
			f.Get(o).Get(rp).Op(wb.OpI32Add).Set(o)
			f.Get(o).Get(o).Mem(wb.OpF64Load, 0)
			f.Get(vp).Mem(wb.OpF32Load, 0).Op(wb.OpF64PromoteF32).Op(wb.OpF64Add)
			f.Mem(wb.OpF64Store, 0)
		}
		vector := func() {
			if l.outputs <= 64 { // unrolled, constant offsets
				for j := 0; j < l.outputs; j++ {
					f.Get(rp)
					f.Get(rp).Mem(wb.OpF64Load, uint32(8*j))
					f.Get(vp).Mem(wb.OpF32Load, uint32(4*j)).Op(wb.OpF64PromoteF32).Op(wb.OpF64Add)
					f.Mem(wb.OpF64Store, uint32(8*j))
				}
				return
			}
			f.Get(rp).Set(jb)
			f.Loop(wb.Void)
			f.Get(jb).Get(jb).Mem(wb.OpF64Load, 0)
			f.Get(vp).Mem(wb.OpF32Load, 0).Op(wb.OpF64PromoteF32).Op(wb.OpF64Add)
			f.Mem(wb.OpF64Store, 0)
			f.Get(vp).I32(4).Op(wb.OpI32Add).Set(vp)
			f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).Get(rp).I32(rawBytes).Op(wb.OpI32Add).Op(wb.OpI32Ne).BrIf(0)
			f.End()
		}
		switch {
		case l.anyScalar && l.anyVector:
			f.Get(tp).Mem(wb.OpI32Load, off+4).Tee(o).I32(0).Op(wb.OpI32GeS)
			f.If(wb.Void)
			scalar()
			f.Else()
			vector()
			f.End()
		case l.anyScalar:
			f.Get(tp).Mem(wb.OpI32Load, off+4).Set(o)
			scalar()
		default:
			vector()
		}
	}

	n := (l.treesEnd - l.trees) / 8
	pairsEnd := l.trees + 16*(n/2)
	f.I32(int32(l.trees)).Set(tp)
	if n >= 2 {
		f.Loop(wb.Void) // $pairs
		start(pa, da, 0)
		start(pb, db, 8)
		f.Block(wb.Void) // $done
		f.Loop(wb.Void)  // $walk
		f.Get(da).Get(db).Op(wb.OpI32And).BrIf(1)
		f.Get(da).Op(wb.OpI32Eqz).If(wb.Void)
		step(pa, da)
		f.End()
		f.Get(db).Op(wb.OpI32Eqz).If(wb.Void)
		step(pb, db)
		f.End()
		f.Br(0)
		f.End() // $walk
		f.End() // $done
		accum(pa, 0)
		accum(pb, 8)
		f.Get(tp).I32(16).Op(wb.OpI32Add).Tee(tp).I32(int32(pairsEnd)).Op(wb.OpI32Ne).BrIf(0)
		f.End() // $pairs
	}
	if n%2 == 1 { // the last tree alone
		start(pa, da, 0)
		f.Block(wb.Void)
		f.Loop(wb.Void)
		f.Get(da).BrIf(1)
		step(pa, da)
		f.Br(0)
		f.End()
		f.End()
		accum(pa, 0)
	}
}
