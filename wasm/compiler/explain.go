package compiler

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// The explain export (ABI 1.1, ABI.md): TreeSHAP and the outlier shares of
// one row, computed as model.Explainer computes them, operation for
// operation. It has tables and scratch of its own, after the prediction's
// data, so that the prediction's layout can change without it:
//
//	base        one data segment:
//	  bias      f64[outputs]   each output's expected raw score
//	  trees     {root addr, block addr, width, 0} i32 per tree
//	  nodes     40-byte records: feature i32 (-1: leaf), threshold f32 or
//	            set address, flags i32 (1 default-left, 2 in-set), left
//	            addr, right addr, values addr (leaves), left share f64,
//	            right share f64
//	  values    the leaves' f32 values
//	  catsets   copies of the trees' category sets
//	  inputs    detector inputs {featureOffset i32, log1p i32, mean,
//	            scale, low, high, input-unit mean f64}
//	  proj      f64[d*k] row-major; invcov f64[k*k]
//	path        scratch: TreeSHAP's path elements {feature i32, pad,
//	            zero, one, weight f64}, (D+2)(D+3)/2 of them
//	contrib     output: f64[outputs*(F+1)], then per detector input
//	            {share, z, mean} f64
//	z, p, q     scratch f64[d], f64[k], f64[k]
type explainLayout struct {
	base           uint32
	data           []byte
	bias           uint32
	trees, treeEnd uint32
	path           uint32
	contrib        uint32
	outputs        int
	stride         int // F+1
	hasOutlier     bool
	d, k           int
	dIn, dInEnd    uint32
	proj, inv      uint32
	z, p, q        uint32
	end            uint32
}

const (
	xNodeRec = 40
	xPathRec = 32
	xInRec   = 48
)

// lowerExplain lays the explain tables out from address start. It returns
// nil (no export) for a model without covers.
func lowerExplain(m *model.Model, start uint32) (*explainLayout, error) {
	ex, err := model.NewExplainer(m)
	if errors.Is(err, model.ErrNoCovers) || errors.Is(err, model.ErrTooDeep) {
		return nil, nil // the module predicts; it cannot explain
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", abi.ErrModel, err)
	}
	e := &m.Ensemble
	x := &explainLayout{base: uint32(align8(uint64(start))), outputs: e.Outputs, stride: len(m.Schema.Features) + 1}
	le := binary.LittleEndian
	put32 := func(v uint32) { x.data = le.AppendUint32(x.data, v) }
	put64 := func(v float64) { x.data = le.AppendUint64(x.data, math.Float64bits(v)) }
	addr := func() uint32 { return x.base + uint32(len(x.data)) }

	x.bias = addr()
	for j := 0; j < e.Outputs; j++ {
		put64(ex.Bias(j))
	}
	x.trees = addr()
	x.treeEnd = x.trees + 16*uint32(len(e.Trees))
	nodes := x.treeEnd
	var nNodes, nVals, nCat uint64
	maxDepth := 0
	for t := range e.Trees {
		tr := &e.Trees[t]
		nNodes += uint64(tr.Len())
		nVals += uint64(tr.Len()) * uint64(tr.Width(e.Outputs))
		nCat += uint64(len(tr.CatBits))
		maxDepth = max(maxDepth, depthOf(tr))
	}
	size := uint64(nodes-x.base) + xNodeRec*nNodes + 4*nVals + 4*nCat
	if uint64(x.base)+size > abi.MaxMemoryBytes {
		return nil, fmt.Errorf("%w: the explain tables need %d bytes", abi.ErrTooLarge, size)
	}
	valuesAt := nodes + uint32(xNodeRec*nNodes)
	catAt := valuesAt + uint32(4*nVals)
	// tree table
	nodeBase := make([]uint32, len(e.Trees))
	valBase := make([]uint32, len(e.Trees))
	catBase := make([]uint32, len(e.Trees))
	na, va, ca := nodes, valuesAt, catAt
	for t := range e.Trees {
		tr := &e.Trees[t]
		nodeBase[t], valBase[t], catBase[t] = na, va, ca
		na += xNodeRec * uint32(tr.Len())
		va += 4 * uint32(tr.Len()*tr.Width(e.Outputs))
		ca += 4 * uint32(len(tr.CatBits))
	}
	// contrib is placed after the data; its address is needed now
	for t := range e.Trees {
		tr := &e.Trees[t]
		put32(nodeBase[t])
		block := uint32(0) // offset of the tree's block; patched below
		if tr.Output >= 0 {
			block = uint32(tr.Output) * uint32(8*x.stride)
		}
		put32(block)
		put32(uint32(tr.Width(e.Outputs)))
		put32(0)
	}
	for t := range e.Trees {
		tr := &e.Trees[t]
		w := tr.Width(e.Outputs)
		for n := 0; n < tr.Len(); n++ {
			f := tr.Feature[n]
			if f < 0 {
				put32(math.MaxUint32)
				put32(0)
				put32(0)
				put32(0)
				put32(0)
				put32(valBase[t] + 4*uint32(n*w))
				put64(0)
				put64(0)
				continue
			}
			put32(uint32(f))
			flags := uint32(0)
			if tr.DefaultLeft[n] {
				flags |= 1
			}
			switch tr.Op[n] {
			case model.Less:
				put32(math.Float32bits(tr.Threshold[n]))
			case model.LessEqual:
				put32(math.Float32bits(math.Nextafter32(tr.Threshold[n], float32(math.Inf(1)))))
			default:
				flags |= 2
				put32(catBase[t] + 4*uint32(tr.CatBegin[n]))
			}
			put32(flags)
			put32(nodeBase[t] + xNodeRec*uint32(tr.Left[n]))
			put32(nodeBase[t] + xNodeRec*uint32(tr.Right[n]))
			put32(0)
			fl, fr := shares(tr, int32(n))
			put64(fl)
			put64(fr)
		}
	}
	for t := range e.Trees {
		for _, v := range e.Trees[t].Value {
			put32(math.Float32bits(v))
		}
	}
	for t := range e.Trees {
		for _, v := range e.Trees[t].CatBits {
			put32(v)
		}
	}
	if addr() != catAt+uint32(4*nCat) {
		return nil, fmt.Errorf("wasm: internal error: explain tables end at %d, want %d", addr(), catAt+uint32(4*nCat))
	}
	for len(x.data)%8 != 0 {
		x.data = append(x.data, 0)
	}
	if o := m.Outlier; o != nil {
		x.hasOutlier = true
		x.d, x.k = len(o.Features), o.Components
		x.dIn = addr()
		for j := 0; j < x.d; j++ {
			put32(uint32(o.Features[j]) * 4)
			lg := uint32(0)
			if o.Log1p != nil && o.Log1p[j] {
				lg = 1
			}
			put32(lg)
			put64(o.Mean[j])
			put64(o.Scale[j])
			lo, hi := math.Inf(-1), math.Inf(1)
			if o.Clip != nil {
				lo, hi = o.Clip.Low[j], o.Clip.High[j]
			}
			put64(lo)
			put64(hi)
			put64(o.InputMean(j))
		}
		x.dInEnd = addr()
		x.proj = addr()
		for _, v := range o.Projection {
			put64(v)
		}
		x.inv = addr()
		for _, v := range o.InvCov {
			put64(v)
		}
	}
	a := uint64(x.base) + uint64(len(x.data))
	x.path = uint32(a)
	a += xPathRec * uint64((maxDepth+2)*(maxDepth+3)/2)
	x.contrib = uint32(a)
	a += 8*uint64(e.Outputs*x.stride) + 24*uint64(x.d)
	x.z = uint32(a)
	a += 8 * uint64(x.d)
	x.p = uint32(a)
	a += 8 * uint64(x.k)
	x.q = uint32(a)
	a += 8 * uint64(x.k)
	if a > abi.MaxMemoryBytes {
		return nil, fmt.Errorf("%w: the model and its explanations need %d bytes of memory, more than %d", abi.ErrTooLarge, a, abi.MaxMemoryBytes)
	}
	x.end = uint32(a)
	// patch the tree table's block offsets into addresses
	for t := range e.Trees {
		off := int(x.trees-x.base) + 16*t + 4
		le.PutUint32(x.data[off:], x.contrib+le.Uint32(x.data[off:]))
	}
	return x, nil
}

// depthOf is the number of splits on a tree's longest path.
func depthOf(t *model.Tree) int {
	type item struct{ n, d int32 }
	stack := []item{{0, 0}}
	best := 0
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if t.Feature[it.n] < 0 {
			best = max(best, int(it.d))
			continue
		}
		stack = append(stack, item{t.Left[it.n], it.d + 1}, item{t.Right[it.n], it.d + 1})
	}
	return best
}

// shares are a node's children's shares of its cover, as model.Explainer
// computes them (normalised by the children's sum; equal when both are 0).
func shares(t *model.Tree, n int32) (float64, float64) {
	cl, cr := t.Cover[t.Left[n]], t.Cover[t.Right[n]]
	s := cl + cr
	if !(s > 0) {
		return 0.5, 0.5
	}
	return cl / s, cr / s
}

// explainFuncs is the number of functions the explain export adds; its
// types are explainTypes.
const explainFuncs = 5

// explainTypes are the function types of the explain functions, appended
// to the module's types.
func explainTypes() [][]byte {
	i32, f64 := wb.I32, wb.F64
	return [][]byte{
		wb.FuncType([]byte{i32}, []byte{i32}),                                 // explain(r)
		wb.FuncType([]byte{i32, i32, i32, f64, f64, i32, i32, i32, i32}, nil), // shap(n, start, d, pz, po, pf, x, out, w)
		wb.FuncType([]byte{i32, i32, f64, f64, i32}, nil),                     // extend(p, d, zero, one, f)
		wb.FuncType([]byte{i32, i32, i32}, nil),                               // unwind(p, d, k)
		wb.FuncType([]byte{i32, i32, i32}, []byte{f64}),                       // unwoundSum(p, d, k)
	}
}

// explainCode emits the explain functions (explain first); fn0 is the
// index of the first, log1p that of the module's signed log1p.
func explainCode(l *layout, x *explainLayout, fn0, log1p uint32) [][]byte {
	fnShap, fnExtend, fnUnwind, fnUnwound := fn0+1, fn0+2, fn0+3, fn0+4
	return [][]byte{
		emitExplain(l, x, fnShap, log1p),
		emitShap(x, fnShap, fnExtend, fnUnwind, fnUnwound),
		emitExtend(),
		emitUnwind(),
		emitUnwound(),
	}
}

// explainFuncTypes are the type indices of the explain functions.
func explainFuncTypes(ty0 uint32) [][]byte {
	var out [][]byte
	for i := uint32(0); i < explainFuncs; i++ {
		out = append(out, wb.AppendU32(nil, ty0+i))
	}
	return out
}

// emitExplain: explain(r) explains row r of the input buffer into the
// contrib buffer; -1 when r is not in [0, max_batch).
func emitExplain(l *layout, x *explainLayout, fnShap, log1p uint32) []byte {
	f := wb.NewFunc(1)
	const r = 0
	row := f.Local(wb.I32)
	i := f.Local(wb.I32)
	tp := f.Local(wb.I32)
	f.Get(r).I32(int32(l.maxBatch)).Op(wb.OpI32GeU)
	f.If(wb.Void).I32(-1).Op(wb.OpReturn).End()
	f.Get(r).I32(int32(4 * l.features)).Op(wb.OpI32Mul).I32(int32(l.input)).Op(wb.OpI32Add).Set(row)
	// clear the tree contributions, then each output's bias
	n := int32(8 * x.outputs * x.stride)
	f.I32(0).Set(i)
	f.Loop(wb.Void)
	f.Get(i).F64(0).Mem(wb.OpF64Store, x.contrib)
	f.Get(i).I32(8).Op(wb.OpI32Add).Tee(i).I32(n).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	f.I32(0).Set(i)
	f.Loop(wb.Void)
	f.Get(i).I32(int32(x.stride)).Op(wb.OpI32Mul).Get(i).Mem(wb.OpF64Load, x.bias).Mem(wb.OpF64Store, x.contrib+uint32(8*(x.stride-1)))
	f.Get(i).I32(8).Op(wb.OpI32Add).Tee(i).I32(int32(8 * x.outputs)).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	// every tree
	f.I32(int32(x.trees)).Set(tp)
	f.Block(wb.Void).Loop(wb.Void)
	f.Get(tp).I32(int32(x.treeEnd)).Op(wb.OpI32Eq).BrIf(1)
	f.Get(tp).Mem(wb.OpI32Load, 0).I32(int32(x.path)).I32(0).F64(1).F64(1).I32(-1).Get(row)
	f.Get(tp).Mem(wb.OpI32Load, 4).Get(tp).Mem(wb.OpI32Load, 8).Call(fnShap)
	f.Get(tp).I32(16).Op(wb.OpI32Add).Set(tp)
	f.Br(0).End().End()
	if x.hasOutlier {
		emitOutlierShares(f, x, row, log1p)
	}
	f.I32(0)
	return f.Body()
}

// emitOutlierShares writes {share, z, mean} per detector input after the
// tree contributions, as model.(*Outlier).Contributions computes them.
func emitOutlierShares(f *wb.Func, x *explainLayout, row, log1p uint32) {
	k := int32(x.k)
	ip := f.Local(wb.I32)
	jb := f.Local(wb.I32)
	a := f.Local(wb.I32)
	pp := f.Local(wb.I32)
	xv := f.Local(wb.F32)
	u := f.Local(wb.F64)
	s := f.Local(wb.F64)
	out := x.contrib + uint32(8*x.outputs*x.stride)
	// z_j
	f.I32(int32(x.dIn)).Set(ip)
	f.I32(0).Set(jb)
	f.Loop(wb.Void)
	f.Get(row).Get(ip).Mem(wb.OpI32Load, 0).Op(wb.OpI32Add).Mem(wb.OpF32Load, 0).Set(xv)
	f.Get(jb) // store address
	f.Get(xv).Op(wb.OpF32Abs).F32(math.MaxFloat32).Op(wb.OpF32Le)
	f.If(wb.F64)
	f.Get(ip).Mem(wb.OpI32Load, 4)
	f.If(wb.F64).Get(xv).Op(wb.OpF64PromoteF32).Call(log1p).Else().Get(xv).Op(wb.OpF64PromoteF32).End()
	f.Else()
	f.Get(ip).Mem(wb.OpF64Load, 8)
	f.End()
	f.Get(ip).Mem(wb.OpF64Load, 24).Op(wb.OpF64Max)
	f.Get(ip).Mem(wb.OpF64Load, 32).Op(wb.OpF64Min)
	f.Get(ip).Mem(wb.OpF64Load, 8).Op(wb.OpF64Sub)
	f.Get(ip).Mem(wb.OpF64Load, 16).Op(wb.OpF64Div)
	f.Mem(wb.OpF64Store, x.z)
	f.Get(jb).I32(8).Op(wb.OpI32Add).Set(jb)
	f.Get(ip).I32(xInRec).Op(wb.OpI32Add).Tee(ip).I32(int32(x.dInEnd)).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	// p = Σ_j z_j P_j (z_j = 0 skipped)
	f.I32(0).Set(a)
	f.Loop(wb.Void)
	f.Get(a).F64(0).Mem(wb.OpF64Store, x.p)
	f.Get(a).I32(8).Op(wb.OpI32Add).Tee(a).I32(8 * k).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	f.I32(int32(x.proj)).Set(pp)
	f.I32(0).Set(jb)
	f.Loop(wb.Void)
	f.Get(jb).Mem(wb.OpF64Load, x.z).Tee(u).F64(0).Op(wb.OpF64Ne)
	f.If(wb.Void)
	f.I32(0).Set(a)
	f.Loop(wb.Void)
	f.Get(a).Get(a).Mem(wb.OpF64Load, x.p).Get(u).Get(pp).Get(a).Op(wb.OpI32Add).Mem(wb.OpF64Load, 0).Op(wb.OpF64Mul).Op(wb.OpF64Add).Mem(wb.OpF64Store, x.p)
	f.Get(a).I32(8).Op(wb.OpI32Add).Tee(a).I32(8 * k).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	f.End()
	f.Get(pp).I32(8 * k).Op(wb.OpI32Add).Set(pp)
	f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).I32(int32(8 * x.d)).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	// q_a = Σ_b inv_ab p_b
	f.I32(int32(x.inv)).Set(pp)
	f.I32(0).Set(a)
	f.Loop(wb.Void)
	f.F64(0).Set(s)
	f.I32(0).Set(jb)
	f.Loop(wb.Void)
	f.Get(s).Get(pp).Get(jb).Op(wb.OpI32Add).Mem(wb.OpF64Load, 0).Get(jb).Mem(wb.OpF64Load, x.p).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(s)
	f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).I32(8 * k).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	f.Get(a).Get(s).Mem(wb.OpF64Store, x.q)
	f.Get(pp).I32(8 * k).Op(wb.OpI32Add).Set(pp)
	f.Get(a).I32(8).Op(wb.OpI32Add).Tee(a).I32(8 * k).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	// share_j = z_j · Σ_a P_ja q_a (z_j itself when it is 0); z_j; mean_j
	f.I32(int32(x.proj)).Set(pp)
	f.I32(int32(x.dIn)).Set(ip)
	f.I32(0).Set(jb)
	f.Loop(wb.Void)
	f.Get(jb).Mem(wb.OpF64Load, x.z).Set(u)
	f.Get(u).F64(0).Op(wb.OpF64Ne)
	f.If(wb.F64)
	f.F64(0).Set(s)
	f.I32(0).Set(a)
	f.Loop(wb.Void)
	f.Get(s).Get(pp).Get(a).Op(wb.OpI32Add).Mem(wb.OpF64Load, 0).Get(a).Mem(wb.OpF64Load, x.q).Op(wb.OpF64Mul).Op(wb.OpF64Add).Set(s)
	f.Get(a).I32(8).Op(wb.OpI32Add).Tee(a).I32(8 * k).Op(wb.OpI32Ne).BrIf(0)
	f.End()
	f.Get(u).Get(s).Op(wb.OpF64Mul)
	f.Else()
	f.Get(u)
	f.End()
	f.Set(s) // the share
	// out + 24j: share, z, mean
	f.Get(jb).I32(3).Op(wb.OpI32Mul).Get(s).Mem(wb.OpF64Store, out)
	f.Get(jb).I32(3).Op(wb.OpI32Mul).Get(u).Mem(wb.OpF64Store, out+8)
	f.Get(jb).I32(3).Op(wb.OpI32Mul).Get(ip).Mem(wb.OpF64Load, 40).Mem(wb.OpF64Store, out+16)
	f.Get(pp).I32(8 * k).Op(wb.OpI32Add).Set(pp)
	f.Get(ip).I32(xInRec).Op(wb.OpI32Add).Set(ip)
	f.Get(jb).I32(8).Op(wb.OpI32Add).Tee(jb).I32(int32(8 * x.d)).Op(wb.OpI32Ne).BrIf(0)
	f.End()
}

// Path element fields.
const (
	peFeature = 0
	peZero    = 8
	peOne     = 16
	peW       = 24
)

// emitShap: shap(n, start, d, pz, po, pf, x, out, w) is
// model.(*Explainer).tree at the node record n, with the parent's path of
// d elements just before start.
func emitShap(x *explainLayout, self, fnExtend, fnUnwind, fnUnwound uint32) []byte {
	f := wb.NewFunc(9)
	const (
		n, start, d, pz, po, pf, row, out, w = 0, 1, 2, 3, 4, 5, 6, 7, 8
	)
	i := f.Local(wb.I32)
	a := f.Local(wb.I32)
	j := f.Local(wb.I32)
	fe := f.Local(wb.I32)
	vp := f.Local(wb.I32)
	left := f.Local(wb.I32)
	hot := f.Local(wb.I32)
	cold := f.Local(wb.I32)
	next := f.Local(wb.I32)
	cs := f.Local(wb.I32)
	s := f.Local(wb.F64)
	hz := f.Local(wb.F64)
	cz := f.Local(wb.F64)
	iz := f.Local(wb.F64)
	io := f.Local(wb.F64)
	xv := f.Local(wb.F32)
	stride := int32(8 * x.stride)

	// copy the parent's d elements (4 words each) from start - 32d
	f.I32(0).Set(i)
	f.Block(wb.Void).Loop(wb.Void)
	f.Get(i).Get(d).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32GeU).BrIf(1)
	f.Get(start).Get(i).Op(wb.OpI32Add)
	f.Get(start).Get(d).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Sub).Get(i).Op(wb.OpI32Add).Mem(wb.OpF64Load, 0)
	f.Mem(wb.OpF64Store, 0)
	f.Get(i).I32(8).Op(wb.OpI32Add).Set(i)
	f.Br(0).End().End()
	f.Get(start).Get(d).Get(pz).Get(po).Get(pf).Call(fnExtend)

	f.Get(n).Mem(wb.OpI32Load, 0).Tee(fe).I32(0).Op(wb.OpI32LtS)
	f.If(wb.Void)
	// a leaf: every path element but the root's gets its share
	f.Get(n).Mem(wb.OpI32Load, 20).Set(vp)
	f.I32(1).Set(i)
	f.Block(wb.Void).Loop(wb.Void)
	f.Get(i).Get(d).Op(wb.OpI32GtS).BrIf(1)
	f.Get(start).Get(i).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(a)
	f.Get(start).Get(d).Get(i).Call(fnUnwound)
	f.Get(a).Mem(wb.OpF64Load, peOne).Get(a).Mem(wb.OpF64Load, peZero).Op(wb.OpF64Sub).Op(wb.OpF64Mul).Set(s)
	// a = out + 8·feature, then one block per output
	f.Get(out).Get(a).Mem(wb.OpI32Load, peFeature).I32(3).Op(wb.OpI32Shl).Op(wb.OpI32Add).Set(a)
	f.I32(0).Set(j)
	f.Loop(wb.Void)
	f.Get(a).Get(a).Mem(wb.OpF64Load, 0)
	f.Get(s).Get(vp).Get(j).I32(2).Op(wb.OpI32Shl).Op(wb.OpI32Add).Mem(wb.OpF32Load, 0).Op(wb.OpF64PromoteF32).Op(wb.OpF64Mul)
	f.Op(wb.OpF64Add).Mem(wb.OpF64Store, 0)
	f.Get(a).I32(stride).Op(wb.OpI32Add).Set(a)
	f.Get(j).I32(1).Op(wb.OpI32Add).Tee(j).Get(w).Op(wb.OpI32LtU).BrIf(0)
	f.End()
	f.Get(i).I32(1).Op(wb.OpI32Add).Set(i)
	f.Br(0).End().End()
	f.Op(wb.OpReturn)
	f.End()

	// which way the row goes
	f.Get(row).Get(fe).I32(2).Op(wb.OpI32Shl).Op(wb.OpI32Add).Mem(wb.OpF32Load, 0).Set(xv)
	dl := func() { f.Get(n).Mem(wb.OpI32Load, 8).I32(1).Op(wb.OpI32And) }
	f.Get(xv).Get(xv).Op(wb.OpF32Ne)
	f.If(wb.I32)
	dl()
	f.Else()
	f.Get(n).Mem(wb.OpI32Load, 8).I32(2).Op(wb.OpI32And)
	f.If(wb.I32)
	f.Get(n).Mem(wb.OpI32Load, 4).Set(cs)
	f.Get(xv).F32(0).Op(wb.OpF32Ge)
	f.Get(xv).Get(cs).Mem(wb.OpI32Load, 0).Op(wb.OpF32ConvertI32U).Op(wb.OpF32Lt)
	f.Op(wb.OpI32And)
	f.If(wb.I32)
	f.Get(xv).Op(wb.OpI32TruncF32U).Set(j)
	f.Get(cs).Get(j).I32(5).Op(wb.OpI32ShrU).I32(2).Op(wb.OpI32Shl).Op(wb.OpI32Add).Mem(wb.OpI32Load, 4)
	f.Get(j).Op(wb.OpI32ShrU).I32(1).Op(wb.OpI32And)
	f.Else()
	dl()
	f.End()
	f.Else()
	f.Get(xv).Get(n).Mem(wb.OpF32Load, 4).Op(wb.OpF32Lt)
	f.End()
	f.End()
	f.Set(left)
	f.Get(left)
	f.If(wb.Void)
	f.Get(n).Mem(wb.OpI32Load, 12).Set(hot).Get(n).Mem(wb.OpI32Load, 16).Set(cold)
	f.Get(n).Mem(wb.OpF64Load, 24).Set(hz).Get(n).Mem(wb.OpF64Load, 32).Set(cz)
	f.Else()
	f.Get(n).Mem(wb.OpI32Load, 16).Set(hot).Get(n).Mem(wb.OpI32Load, 12).Set(cold)
	f.Get(n).Mem(wb.OpF64Load, 32).Set(hz).Get(n).Mem(wb.OpF64Load, 24).Set(cz)
	f.End()
	// the feature split on above? undo that split
	f.F64(1).Set(iz).F64(1).Set(io)
	f.I32(1).Set(i)
	f.Block(wb.Void).Loop(wb.Void)
	f.Get(i).Get(d).Op(wb.OpI32GtS).BrIf(1)
	f.Get(start).Get(i).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Tee(a).Mem(wb.OpI32Load, peFeature).Get(fe).Op(wb.OpI32Eq).BrIf(1)
	f.Get(i).I32(1).Op(wb.OpI32Add).Set(i)
	f.Br(0).End().End()
	f.Get(i).Get(d).Op(wb.OpI32LeS)
	f.If(wb.Void)
	f.Get(a).Mem(wb.OpF64Load, peZero).Set(iz)
	f.Get(a).Mem(wb.OpF64Load, peOne).Set(io)
	f.Get(start).Get(d).Get(i).Call(fnUnwind)
	f.Get(d).I32(1).Op(wb.OpI32Sub).Set(d)
	f.End()
	f.Get(start).Get(d).I32(1).Op(wb.OpI32Add).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(next)
	// hot child: zero hz·iz, one io
	f.Get(hz).Get(iz).Op(wb.OpF64Mul).F64(0).Op(wb.OpF64Ne).Get(io).F64(0).Op(wb.OpF64Ne).Op(wb.OpI32Or)
	f.If(wb.Void)
	f.Get(hot).Get(next).Get(d).I32(1).Op(wb.OpI32Add).Get(hz).Get(iz).Op(wb.OpF64Mul).Get(io).Get(fe).Get(row).Get(out).Get(w).Call(self)
	f.End()
	// cold child: zero cz·iz, one 0
	f.Get(cz).Get(iz).Op(wb.OpF64Mul).F64(0).Op(wb.OpF64Ne)
	f.If(wb.Void)
	f.Get(cold).Get(next).Get(d).I32(1).Op(wb.OpI32Add).Get(cz).Get(iz).Op(wb.OpF64Mul).F64(0).Get(fe).Get(row).Get(out).Get(w).Call(self)
	f.End()
	return f.Body()
}

// emitExtend: extend(p, d, zero, one, f), model's extend.
func emitExtend() []byte {
	fn := wb.NewFunc(5)
	const p, d, zero, one, fe = 0, 1, 2, 3, 4
	e := fn.Local(wb.I32)
	i := fn.Local(wb.I32)
	a := fn.Local(wb.I32)
	dd := fn.Local(wb.F64)
	fn.Get(p).Get(d).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(e)
	fn.Get(e).Get(fe).Mem(wb.OpI32Store, peFeature)
	fn.Get(e).Get(zero).Mem(wb.OpF64Store, peZero)
	fn.Get(e).Get(one).Mem(wb.OpF64Store, peOne)
	fn.Get(e).F64(1).F64(0).Get(d).Op(wb.OpI32Eqz).Op(wb.OpSelect).Mem(wb.OpF64Store, peW)
	fn.Get(d).I32(1).Op(wb.OpI32Add).Op(wb.OpF64ConvertI32S).Set(dd)
	fn.Get(d).I32(1).Op(wb.OpI32Sub).Set(i)
	fn.Block(wb.Void).Loop(wb.Void)
	fn.Get(i).I32(0).Op(wb.OpI32LtS).BrIf(1)
	fn.Get(p).Get(i).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(a)
	// p[i+1].w += one * p[i].w * (i+1) / dd
	fn.Get(a).Get(a).Mem(wb.OpF64Load, xPathRec+peW)
	fn.Get(one).Get(a).Mem(wb.OpF64Load, peW).Op(wb.OpF64Mul)
	fn.Get(i).I32(1).Op(wb.OpI32Add).Op(wb.OpF64ConvertI32S).Op(wb.OpF64Mul).Get(dd).Op(wb.OpF64Div)
	fn.Op(wb.OpF64Add).Mem(wb.OpF64Store, xPathRec+peW)
	// p[i].w = zero * p[i].w * (d-i) / dd
	fn.Get(a).Get(zero).Get(a).Mem(wb.OpF64Load, peW).Op(wb.OpF64Mul)
	fn.Get(d).Get(i).Op(wb.OpI32Sub).Op(wb.OpF64ConvertI32S).Op(wb.OpF64Mul).Get(dd).Op(wb.OpF64Div)
	fn.Mem(wb.OpF64Store, peW)
	fn.Get(i).I32(1).Op(wb.OpI32Sub).Set(i)
	fn.Br(0).End().End()
	return fn.Body()
}

// emitUnwind: unwind(p, d, k), model's unwind.
func emitUnwind() []byte {
	fn := wb.NewFunc(3)
	const p, d, k = 0, 1, 2
	i := fn.Local(wb.I32)
	a := fn.Local(wb.I32)
	one := fn.Local(wb.F64)
	zero := fn.Local(wb.F64)
	next := fn.Local(wb.F64)
	tmp := fn.Local(wb.F64)
	dd := fn.Local(wb.F64)
	fn.Get(p).Get(k).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(a)
	fn.Get(a).Mem(wb.OpF64Load, peOne).Set(one)
	fn.Get(a).Mem(wb.OpF64Load, peZero).Set(zero)
	fn.Get(p).Get(d).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Mem(wb.OpF64Load, peW).Set(next)
	fn.Get(d).I32(1).Op(wb.OpI32Add).Op(wb.OpF64ConvertI32S).Set(dd)
	fn.Get(d).I32(1).Op(wb.OpI32Sub).Set(i)
	fn.Block(wb.Void).Loop(wb.Void)
	fn.Get(i).I32(0).Op(wb.OpI32LtS).BrIf(1)
	fn.Get(p).Get(i).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(a)
	fn.Get(one).F64(0).Op(wb.OpF64Ne)
	fn.If(wb.Void)
	fn.Get(a).Mem(wb.OpF64Load, peW).Set(tmp)
	// p[i].w = next * dd / ((i+1) * one)
	fn.Get(a).Get(next).Get(dd).Op(wb.OpF64Mul)
	fn.Get(i).I32(1).Op(wb.OpI32Add).Op(wb.OpF64ConvertI32S).Get(one).Op(wb.OpF64Mul).Op(wb.OpF64Div)
	fn.Mem(wb.OpF64Store, peW)
	// next = tmp - p[i].w * zero * (d-i) / dd
	fn.Get(tmp).Get(a).Mem(wb.OpF64Load, peW).Get(zero).Op(wb.OpF64Mul)
	fn.Get(d).Get(i).Op(wb.OpI32Sub).Op(wb.OpF64ConvertI32S).Op(wb.OpF64Mul).Get(dd).Op(wb.OpF64Div)
	fn.Op(wb.OpF64Sub).Set(next)
	fn.Else()
	// p[i].w = p[i].w * dd / (zero * (d-i))
	fn.Get(a).Get(a).Mem(wb.OpF64Load, peW).Get(dd).Op(wb.OpF64Mul)
	fn.Get(zero).Get(d).Get(i).Op(wb.OpI32Sub).Op(wb.OpF64ConvertI32S).Op(wb.OpF64Mul).Op(wb.OpF64Div)
	fn.Mem(wb.OpF64Store, peW)
	fn.End()
	fn.Get(i).I32(1).Op(wb.OpI32Sub).Set(i)
	fn.Br(0).End().End()
	// shift the elements after k down by one
	fn.Get(k).Set(i)
	fn.Block(wb.Void).Loop(wb.Void)
	fn.Get(i).Get(d).Op(wb.OpI32GeS).BrIf(1)
	fn.Get(p).Get(i).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(a)
	fn.Get(a).Get(a).Mem(wb.OpI32Load, xPathRec+peFeature).Mem(wb.OpI32Store, peFeature)
	fn.Get(a).Get(a).Mem(wb.OpF64Load, xPathRec+peZero).Mem(wb.OpF64Store, peZero)
	fn.Get(a).Get(a).Mem(wb.OpF64Load, xPathRec+peOne).Mem(wb.OpF64Store, peOne)
	fn.Get(i).I32(1).Op(wb.OpI32Add).Set(i)
	fn.Br(0).End().End()
	return fn.Body()
}

// emitUnwound: unwoundSum(p, d, k), model's unwoundSum.
func emitUnwound() []byte {
	fn := wb.NewFunc(3)
	const p, d, k = 0, 1, 2
	i := fn.Local(wb.I32)
	a := fn.Local(wb.I32)
	one := fn.Local(wb.F64)
	zero := fn.Local(wb.F64)
	next := fn.Local(wb.F64)
	tmp := fn.Local(wb.F64)
	dd := fn.Local(wb.F64)
	total := fn.Local(wb.F64)
	fn.Get(p).Get(k).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(a)
	fn.Get(a).Mem(wb.OpF64Load, peOne).Set(one)
	fn.Get(a).Mem(wb.OpF64Load, peZero).Set(zero)
	fn.Get(p).Get(d).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Mem(wb.OpF64Load, peW).Set(next)
	fn.Get(d).I32(1).Op(wb.OpI32Add).Op(wb.OpF64ConvertI32S).Set(dd)
	fn.F64(0).Set(total)
	fn.Get(d).I32(1).Op(wb.OpI32Sub).Set(i)
	fn.Block(wb.Void).Loop(wb.Void)
	fn.Get(i).I32(0).Op(wb.OpI32LtS).BrIf(1)
	fn.Get(p).Get(i).I32(xPathRec).Op(wb.OpI32Mul).Op(wb.OpI32Add).Set(a)
	fn.Get(one).F64(0).Op(wb.OpF64Ne)
	fn.If(wb.Void)
	// tmp = next * dd / ((i+1) * one)
	fn.Get(next).Get(dd).Op(wb.OpF64Mul)
	fn.Get(i).I32(1).Op(wb.OpI32Add).Op(wb.OpF64ConvertI32S).Get(one).Op(wb.OpF64Mul).Op(wb.OpF64Div).Set(tmp)
	fn.Get(total).Get(tmp).Op(wb.OpF64Add).Set(total)
	// next = p[i].w - tmp * zero * (d-i) / dd
	fn.Get(a).Mem(wb.OpF64Load, peW).Get(tmp).Get(zero).Op(wb.OpF64Mul)
	fn.Get(d).Get(i).Op(wb.OpI32Sub).Op(wb.OpF64ConvertI32S).Op(wb.OpF64Mul).Get(dd).Op(wb.OpF64Div)
	fn.Op(wb.OpF64Sub).Set(next)
	fn.Else()
	// total += p[i].w / zero * dd / (d-i)
	fn.Get(total).Get(a).Mem(wb.OpF64Load, peW).Get(zero).Op(wb.OpF64Div).Get(dd).Op(wb.OpF64Mul)
	fn.Get(d).Get(i).Op(wb.OpI32Sub).Op(wb.OpF64ConvertI32S).Op(wb.OpF64Div)
	fn.Op(wb.OpF64Add).Set(total)
	fn.End()
	fn.Get(i).I32(1).Op(wb.OpI32Sub).Set(i)
	fn.Br(0).End().End()
	fn.Get(total)
	return fn.Body()
}

// explainSegment is the active data segment of the explain tables.
func explainSegment(x *explainLayout) []byte {
	seg := []byte{0x00, wb.OpI32Const}
	seg = wb.AppendS64(seg, int64(int32(x.base)))
	seg = append(seg, wb.OpEnd)
	seg = wb.AppendU32(seg, uint32(len(x.data)))
	return append(seg, x.data...)
}
