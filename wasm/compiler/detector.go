package compiler

import (
	"fmt"
	"math"

	"github.com/flowsense/flowsense/model"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// The detector kernel: its inputs and, in a SIMD module, the whitened
// score, as straight-line code. Every constant of the detector's inputs
// (the feature's offset in the row, log1p or not, mean, scale, clip
// bounds) is an immediate, the accumulators are locals, and there is no
// loop over inputs: under wazero's termination checks (the sandbox's
// WithCloseOnContextDone) every iteration of a WebAssembly loop calls out
// of the module and back, some hundreds of host instructions, which made a
// loop iteration per input cost more than the input's arithmetic
// (RATIONALE.md "The detector kernel").

// input is one detector input's constants.
type input struct {
	off         uint32 // byte offset of its feature in the row
	log1p       bool
	mean, scale float64
	lo, hi      float64 // clip bounds (±Inf without clipping)
	missing     float64 // u for a NaN or infinite value
	clip        bool    // some bound is finite
}

func detectorInputs(o *model.Outlier) []input {
	in := make([]input, len(o.Features))
	for j := range in {
		p := &in[j]
		p.off = 4 * uint32(o.Features[j])
		p.log1p = o.Log1p != nil && o.Log1p[j]
		p.mean, p.scale = o.Mean[j], o.Scale[j]
		p.lo, p.hi = math.Inf(-1), math.Inf(1)
		if o.Clip != nil {
			p.lo, p.hi = o.Clip.Low[j], o.Clip.High[j]
		}
		p.clip = !math.IsInf(p.lo, -1) || !math.IsInf(p.hi, 1)
		// a missing or infinite value is scored as the mean (then
		// clipped, as Score does): the same operations, folded here
		p.missing = (min(max(p.mean, p.lo), p.hi) - p.mean) / p.scale
	}
	return in
}

// emitInputs writes u_j = (clip(log1p?(x_j)) - mean_j) / scale_j, or the
// missing value's u for NaN and ±Inf, to std[j] for every input j.
func emitInputs(f *wb.Func, l *layout, x uint32) {
	in := detectorInputs(l.m.Outlier)
	if l.white {
		emitInputsV(f, l, x, in)
		return
	}
	xv := f.Local(wb.F32)
	for j, p := range in {
		f.I32(0) // the store's address
		f.Get(x).Mem(wb.OpF32Load, p.off).Tee(xv).Op(wb.OpF32Abs).F32(math.MaxFloat32).Op(wb.OpF32Le)
		f.If(wb.F64)
		f.Get(xv).Op(wb.OpF64PromoteF32)
		if p.log1p {
			f.Call(fnSignedLog1p)
		}
		if p.clip {
			f.F64(p.lo).Op(wb.OpF64Max).F64(p.hi).Op(wb.OpF64Min)
		}
		f.F64(p.mean).Op(wb.OpF64Sub).F64(p.scale).Op(wb.OpF64Div)
		f.Else()
		f.F64(p.missing)
		f.End()
		f.Mem(wb.OpF64Store, l.std+uint32(8*j))
	}
}

// emitInputsV is emitInputs for a SIMD module: one call of the pair
// function (emitPairFunc) per two inputs, with the pair's record in the
// data segment (putPairs). An odd last input shares its pair with a copy
// of itself, whose lane lands in std's spare slot.
func emitInputsV(f *wb.Func, l *layout, x uint32, in []input) {
	for p := 0; p < (len(in)+1)/2; p++ {
		f.Get(x).I32(int32(l.pairs + pairRec*uint32(p))).I32(int32(l.std + 16*uint32(p))).Call(l.fnPair())
	}
}

// pairRec is the bytes of one input pair's record: the two features'
// byte offsets in the row (i32), whether some lane takes log1p (i32), a
// pad word, then v128s of two f64 lanes: the log1p lane mask, the clip
// bounds low and high, the mean, the scale and the missing value's u.
const pairRec = 16 + 6*16

// putPairs writes the input pairs' records (16-byte aligned).
func (l *layout) putPairs(o *model.Outlier) {
	in := detectorInputs(o)
	l.pairs = l.addr()
	for j := 0; j < len(in); j += 2 {
		a, b := in[j], in[min(j+1, len(in)-1)]
		l.put32(a.off)
		l.put32(b.off)
		any := uint32(0)
		if a.log1p || b.log1p {
			any = 1
		}
		l.put32(any)
		l.put32(0)
		l.put64(math.Float64frombits(lanes(a.log1p)))
		l.put64(math.Float64frombits(lanes(b.log1p)))
		for _, v := range [][2]float64{{a.lo, b.lo}, {a.hi, b.hi}, {a.mean, b.mean}, {a.scale, b.scale}, {a.missing, b.missing}} {
			l.put64(v[0])
			l.put64(v[1])
		}
	}
}

// emitPairFunc: pair(x, t, dst) standardises the two inputs whose record
// is at t of the row at x, in f64x2 lanes, log1p included (log1pV: the
// scalar function's operations lane by lane, so the same bits), and
// stores both u to dst.
func emitPairFunc(l *layout) []byte {
	f := wb.NewFunc(3)
	const x, t, dst = 0, 1, 2
	v := f.Local(wb.V128)
	lg := newLog1pV(f)
	f.Get(dst)
	f.Get(x).Get(t).Mem(wb.OpI32Load, 0).Op(wb.OpI32Add).Mem(wb.OpF32Load, 0).Op(wb.OpF64PromoteF32).SIMD(wb.SIMDF64x2Splat)
	f.Get(x).Get(t).Mem(wb.OpI32Load, 4).Op(wb.OpI32Add).Mem(wb.OpF32Load, 0).Op(wb.OpF64PromoteF32).F64x2ReplaceLane(1)
	f.Set(v)
	f.Get(t).Mem(wb.OpI32Load, 8)
	f.If(wb.V128)
	lg.emit(v)
	f.Get(v).Get(t).V128Load(16).SIMD(wb.SIMDV128Bitselect)
	f.Else()
	f.Get(v)
	f.End()
	f.Get(t).V128Load(32).SIMD(wb.SIMDF64x2Max).Get(t).V128Load(48).SIMD(wb.SIMDF64x2Min)
	f.Get(t).V128Load(64).SIMD(wb.SIMDF64x2Sub).Get(t).V128Load(80).SIMD(wb.SIMDF64x2Div)
	// NaN and ±Inf lanes: the missing value's u
	f.Get(t).V128Load(96)
	f.Get(v).SIMD(wb.SIMDF64x2Abs).F64x2(math.MaxFloat32, math.MaxFloat32).SIMD(wb.SIMDF64x2Le)
	f.SIMD(wb.SIMDV128Bitselect)
	f.V128Store(0)
	return f.Body()
}

// lanes is an all-ones lane when on.
func lanes(on bool) uint64 {
	if on {
		return math.MaxUint64
	}
	return 0
}

// log1pV holds signedLog1pV's locals.
type log1pV struct {
	f                                     *wb.Func
	a, u, k, f1, msk, fr, s, s2, s4, hfsq uint32
}

func newLog1pV(f *wb.Func) *log1pV {
	g := &log1pV{f: f}
	for _, p := range []*uint32{&g.a, &g.u, &g.k, &g.f1, &g.msk, &g.fr, &g.s, &g.s2, &g.s4, &g.hfsq} {
		*p = f.Local(wb.V128)
	}
	return g
}

// emit pushes signedLog1p of both lanes of local v: emitSignedLog1p and
// emitLog's operations in f64x2 lanes, with selects for their branches.
// Lanes that are not finite give garbage (no trap), which emitInputsV
// replaces.
func (g *log1pV) emit(v uint32) {
	const (
		ln2Hi = 6.93147180369123816490e-01
		ln2Lo = 1.90821492927058770002e-10
		l1    = 6.666666666666735130e-01
		l2    = 3.999999999940941908e-01
		l3    = 2.857142874366239149e-01
		l4    = 2.222219843214978396e-01
		l5    = 1.818357216161805012e-01
		l6    = 1.531383769920937332e-01
		l7    = 1.479819860511658591e-01
	)
	f := g.f
	c := func(x float64) *wb.Func { return f.F64x2(x, x) }
	op := func(ops ...uint32) {
		for _, o := range ops {
			f.SIMD(o)
		}
	}
	const add, sub, mul, div = wb.SIMDF64x2Add, wb.SIMDF64x2Sub, wb.SIMDF64x2Mul, wb.SIMDF64x2Div
	// a = |v|, u = 1 + a
	f.Get(v).SIMD(wb.SIMDF64x2Abs).Tee(g.a)
	c(1)
	op(add)
	f.Set(g.u)
	// log(u), u >= 1: k = the exponent - 1022 (2^52 + e, less 2^52 + 1022,
	// exact), f1 = the mantissa in [0.5, 1)
	f.Get(g.u).I32(52).SIMD(wb.SIMDI64x2ShrU).I64x2(0x4330000000000000, 0x4330000000000000).SIMD(wb.SIMDV128Or)
	c(1<<52 + 1022)
	op(sub)
	f.Set(g.k)
	f.Get(g.u).I64x2(0x800fffffffffffff, 0x800fffffffffffff).SIMD(wb.SIMDV128And)
	f.I64x2(1022<<52, 1022<<52).SIMD(wb.SIMDV128Or).Set(g.f1)
	// f1 < √2/2: f1 *= 2, k -= 1
	f.Get(g.f1)
	c(math.Sqrt2 / 2)
	f.SIMD(wb.SIMDF64x2Lt).Set(g.msk)
	f.Get(g.f1)
	c(2)
	op(mul)
	f.Get(g.f1).Get(g.msk).SIMD(wb.SIMDV128Bitselect).Set(g.f1)
	f.Get(g.k).Get(g.msk)
	c(-1)
	f.SIMD(wb.SIMDV128And)
	op(add)
	f.Set(g.k)
	// fr = f1 - 1, s = fr/(2+fr), s2 = s², s4 = s2²
	f.Get(g.f1)
	c(1)
	op(sub)
	f.Tee(g.fr)
	c(2)
	f.Get(g.fr)
	op(add, div)
	f.Tee(g.s).Get(g.s)
	op(mul)
	f.Tee(g.s2).Get(g.s2)
	op(mul)
	f.Set(g.s4)
	// R = s2*(L1+s4*(L3+s4*(L5+s4*L7))) + s4*(L2+s4*(L4+s4*L6)), pushed
	f.Get(g.s2)
	c(l1)
	f.Get(g.s4)
	c(l3)
	f.Get(g.s4)
	c(l5)
	f.Get(g.s4)
	c(l7)
	op(mul, add, mul, add, mul, add, mul)
	f.Get(g.s4)
	c(l2)
	f.Get(g.s4)
	c(l4)
	f.Get(g.s4)
	c(l6)
	op(mul, add, mul, add, mul)
	op(add)
	// stack: R. hfsq = 0.5*fr*fr
	c(0.5)
	f.Get(g.fr)
	op(mul)
	f.Get(g.fr)
	op(mul)
	f.Set(g.hfsq)
	// log = k*Ln2Hi - ((hfsq - (s*(hfsq+R) + k*Ln2Lo)) - fr)
	f.Set(g.s2) // R (s2 is no longer needed)
	f.Get(g.k)
	c(ln2Hi)
	op(mul)
	f.Get(g.hfsq)
	f.Get(g.s).Get(g.hfsq).Get(g.s2)
	op(add, mul)
	f.Get(g.k)
	c(ln2Lo)
	op(mul, add, sub)
	f.Get(g.fr)
	op(sub, sub)
	// signedLog1p = log(u)*(a/(u-1)), or a where u == 1; then v's sign
	f.Get(g.a).Get(g.u)
	c(1)
	op(sub, div, mul)
	f.Set(g.s)
	f.Get(g.a).Get(g.s).Get(g.u)
	c(1)
	f.SIMD(wb.SIMDF64x2Eq).SIMD(wb.SIMDV128Bitselect)
	f.Get(v).I64x2(1<<63, 1<<63).SIMD(wb.SIMDV128And).SIMD(wb.SIMDV128Or)
}

// chunkInputs is the number of detector inputs one call of a chunk
// function (emitChunkFunc) multiplies into the accumulators: its code is
// chunkInputs × simdBlock/2 v128 multiply-adds, compiled once, and called
// ceil(d/chunkInputs) times per block of components. Straight-line code
// over every input was faster still but compiled too slowly for a cold
// start (RATIONALE.md "The detector kernel").
const chunkInputs = 8

// padRows is d rounded up to whole chunks.
func padRows(d int) int { return (d + chunkInputs - 1) / chunkInputs * chunkInputs }

// chunkWidths lists the distinct numbers of v128 accumulators the blocks
// of components need (a full block, and a narrower last one).
func (l *layout) chunkWidths() []int {
	var ws []int
	if l.components >= simdBlock {
		ws = append(ws, simdBlock/2)
	}
	if r := l.components % simdBlock; r > 0 {
		ws = append(ws, (r+1)/2)
	}
	return ws
}

// The SIMD detector's functions follow the tree functions: pair, then
// one chunk function per chunk width.
func (l *layout) fnPair() uint32 { return uint32(fnTrees + len(l.treeFuncs())) }

func (l *layout) fnChunk(nv int) uint32 {
	for i, w := range l.chunkWidths() {
		if w == nv {
			return l.fnPair() + 1 + uint32(i)
		}
	}
	panic(fmt.Sprintf("wasm: internal error: no chunk function of width %d", nv))
}

// emitChunkFunc: chunk(pp, ub) adds u_j·W_j for chunkInputs inputs from
// std address ub on (W's rows from pp on, nv v128s each) to the nv
// accumulators at accv: loaded into locals, unrolled, stored back.
func emitChunkFunc(l *layout, nv int) []byte {
	f := wb.NewFunc(2)
	const pp, ub = 0, 1
	uv := f.Local(wb.V128)
	acc := make([]uint32, nv)
	for i := range acc {
		acc[i] = f.Local(wb.V128)
		f.I32(0).V128Load(l.accv + uint32(16*i)).Set(acc[i])
	}
	for j := 0; j < chunkInputs; j++ {
		f.Get(ub).V128Load64Splat(uint32(8 * j)).Set(uv)
		for i := range acc {
			f.Get(acc[i]).Get(uv).Get(pp).V128Load(uint32(16 * (j*nv + i))).SIMD(wb.SIMDF64x2Mul).SIMD(wb.SIMDF64x2Add).Set(acc[i])
		}
	}
	for i := range acc {
		f.I32(0).Get(acc[i]).V128Store(l.accv + uint32(16*i))
	}
	return f.Body()
}

// emitWhitened scores the standardised inputs u (std) from the whitened
// projection W (whiten): s = Σ_c z_c² with z = Wᵀu, simdBlock components
// at a time in simdBlock/2 f64x2 accumulators; per input, u_j is loaded
// into both lanes and multiplied into every accumulator, so one v128 load
// of W feeds two multiply-adds. Each block zeroes the accumulators, calls
// its chunk function once per chunkInputs inputs (W's zero rows pad the
// last chunk; std's pad slots hold finite values, so they add ±0), and
// adds the squares. A narrower last block has an even width (a zero column
// pads it), whose zero sums add nothing. There is no loop.
func emitWhitened(f *wb.Func, l *layout, sc uint32) {
	k, dp := l.components, padRows(l.dims)
	sv := f.Local(wb.V128)
	av := f.Local(wb.V128)
	f.V128Zero().Set(sv)
	pp := l.projection
	for c0 := 0; c0 < k; c0 += simdBlock {
		nv := (min(simdBlock, k-c0) + 1) / 2
		for i := 0; i < nv; i++ {
			f.I32(0).V128Zero().V128Store(l.accv + uint32(16*i))
		}
		for j := 0; j < dp; j += chunkInputs {
			f.I32(int32(pp + uint32(16*nv*j))).I32(int32(l.std + uint32(8*j))).Call(l.fnChunk(nv))
		}
		pp += uint32(16 * nv * dp)
		for i := 0; i < nv; i++ {
			f.I32(0).V128Load(l.accv + uint32(16*i)).Tee(av).Get(av).SIMD(wb.SIMDF64x2Mul).Get(sv).SIMD(wb.SIMDF64x2Add).Set(sv)
		}
	}
	f.Get(sv).F64x2ExtractLane(0).Get(sv).F64x2ExtractLane(1).Op(wb.OpF64Add).Set(sc)
}
