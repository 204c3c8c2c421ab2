package compiler

import (
	"math"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// WebAssembly has no exp or log instruction, so the module carries its own,
// ported from the portable Go (FreeBSD msun) algorithms behind math.Exp and
// math.Log: argument reduction by ln 2 in two parts, a minimax polynomial,
// and an exact scaling by 2^k. Both are within one ulp; the module's exp
// agrees bit for bit with Go's portable exp (amd64 and arm64 use assembly
// that may differ in the last bit).

// emitExp: exp(x) as Go's math.exp.
func emitExp() []byte {
	const (
		ln2Hi     = 6.93147180369123816490e-01
		ln2Lo     = 1.90821492927058770002e-10
		log2e     = 1.44269504088896338700e+00
		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28)
		p1        = 1.66666666666666657415e-01
		p2        = -2.77777777770155933842e-03
		p3        = 6.61375632143793436117e-05
		p4        = -1.65339022054652515390e-06
		p5        = 4.13813679705723846039e-08
	)
	f := wb.NewFunc(1)
	const x = 0
	k := f.Local(wb.I32)
	hi := f.Local(wb.F64)
	lo := f.Local(wb.F64)
	r := f.Local(wb.F64)
	t := f.Local(wb.F64)
	c := f.Local(wb.F64)
	y := f.Local(wb.F64)
	f.Get(x).Get(x).Op(wb.OpF64Ne).If(wb.Void).Get(x).Op(wb.OpReturn).End()
	f.Get(x).F64(overflow).Op(wb.OpF64Gt).If(wb.Void).F64(math.Inf(1)).Op(wb.OpReturn).End()
	f.Get(x).F64(underflow).Op(wb.OpF64Lt).If(wb.Void).F64(0).Op(wb.OpReturn).End()
	f.Get(x).F64(-nearZero).Op(wb.OpF64Gt).Get(x).F64(nearZero).Op(wb.OpF64Lt).Op(wb.OpI32And)
	f.If(wb.Void).F64(1).Get(x).Op(wb.OpF64Add).Op(wb.OpReturn).End()
	// k = int(log2e*x -/+ 0.5), truncated toward zero
	f.F64(log2e).Get(x).Op(wb.OpF64Mul).F64(-0.5).F64(0.5).Get(x).F64(0).Op(wb.OpF64Lt).Op(wb.OpSelect).Op(wb.OpF64Add)
	f.Op(wb.OpI32TruncF64S).Set(k)
	f.Get(x).Get(k).Op(wb.OpF64ConvertI32S).F64(ln2Hi).Op(wb.OpF64Mul).Op(wb.OpF64Sub).Set(hi)
	f.Get(k).Op(wb.OpF64ConvertI32S).F64(ln2Lo).Op(wb.OpF64Mul).Set(lo)
	f.Get(hi).Get(lo).Op(wb.OpF64Sub).Tee(r).Get(r).Op(wb.OpF64Mul).Set(t)
	// c = r - t*(P1+t*(P2+t*(P3+t*(P4+t*P5))))
	f.Get(r)
	f.Get(t)
	f.F64(p1).Get(t).F64(p2).Get(t).F64(p3).Get(t).F64(p4).Get(t).F64(p5)
	f.Op(wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul, wb.OpF64Add)
	f.Op(wb.OpF64Mul, wb.OpF64Sub).Set(c)
	// y = 1 - ((lo - (r*c)/(2-c)) - hi)
	f.F64(1).Get(lo).Get(r).Get(c).Op(wb.OpF64Mul).F64(2).Get(c).Op(wb.OpF64Sub).Op(wb.OpF64Div).Op(wb.OpF64Sub)
	f.Get(hi).Op(wb.OpF64Sub).Op(wb.OpF64Sub).Set(y)
	// ldexp(y, k) with one rounding: scale in two steps near the ends
	pow2 := func(e func()) { // 2^e for e in [-1022, 1023]
		e()
		f.I32(1023).Op(wb.OpI32Add).Op(wb.OpI64ExtendI32S).I64(52).Op(wb.OpI64Shl).Op(wb.OpF64ReinterpI64)
	}
	f.Get(k).I32(-1000).Op(wb.OpI32LtS)
	f.If(wb.F64)
	f.Get(y)
	pow2(func() { f.Get(k).I32(600).Op(wb.OpI32Add) })
	f.Op(wb.OpF64Mul).F64(0x1p-600).Op(wb.OpF64Mul)
	f.Else()
	f.Get(k).I32(1000).Op(wb.OpI32GtS)
	f.If(wb.F64)
	f.Get(y)
	pow2(func() { f.Get(k).I32(600).Op(wb.OpI32Sub) })
	f.Op(wb.OpF64Mul).F64(0x1p600).Op(wb.OpF64Mul)
	f.Else()
	f.Get(y)
	pow2(func() { f.Get(k) })
	f.Op(wb.OpF64Mul)
	f.End()
	f.End()
	return f.Body()
}

// emitLog: log(x) as Go's math.log, for finite x >= 1 (the only inputs
// signedLog1p passes).
func emitLog() []byte {
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
	f := wb.NewFunc(1)
	const x = 0
	bits := f.Local(wb.I64)
	ki := f.Local(wb.I32)
	f1 := f.Local(wb.F64)
	fr := f.Local(wb.F64)
	k := f.Local(wb.F64)
	s := f.Local(wb.F64)
	s2 := f.Local(wb.F64)
	s4 := f.Local(wb.F64)
	hfsq := f.Local(wb.F64)
	r := f.Local(wb.F64)
	// frexp: x = f1 * 2^ki with f1 in [0.5, 1)
	f.Get(x).Op(wb.OpI64ReinterpF64).Set(bits)
	f.Get(bits).I64(52).Op(wb.OpI64ShrU).Op(wb.OpI32WrapI64).I32(0x7ff).Op(wb.OpI32And).I32(1022).Op(wb.OpI32Sub).Set(ki)
	f.Get(bits).I64(-0x7ff0000000000001).Op(wb.OpI64And).I64(1022 << 52).Op(wb.OpI64Or).Op(wb.OpF64ReinterpI64).Set(f1)
	f.Get(f1).F64(math.Sqrt2 / 2).Op(wb.OpF64Lt)
	f.If(wb.Void)
	f.Get(f1).F64(2).Op(wb.OpF64Mul).Set(f1)
	f.Get(ki).I32(1).Op(wb.OpI32Sub).Set(ki)
	f.End()
	f.Get(f1).F64(1).Op(wb.OpF64Sub).Set(fr)
	f.Get(ki).Op(wb.OpF64ConvertI32S).Set(k)
	f.Get(fr).F64(2).Get(fr).Op(wb.OpF64Add).Op(wb.OpF64Div).Tee(s).Get(s).Op(wb.OpF64Mul).Tee(s2).Get(s2).Op(wb.OpF64Mul).Set(s4)
	// t1 = s2*(L1+s4*(L3+s4*(L5+s4*L7)))
	f.Get(s2).F64(l1).Get(s4).F64(l3).Get(s4).F64(l5).Get(s4).F64(l7)
	f.Op(wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul)
	// t2 = s4*(L2+s4*(L4+s4*L6))
	f.Get(s4).F64(l2).Get(s4).F64(l4).Get(s4).F64(l6)
	f.Op(wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul, wb.OpF64Add, wb.OpF64Mul)
	f.Op(wb.OpF64Add).Set(r)
	f.F64(0.5).Get(fr).Op(wb.OpF64Mul).Get(fr).Op(wb.OpF64Mul).Set(hfsq)
	// k*Ln2Hi - ((hfsq - (s*(hfsq+R) + k*Ln2Lo)) - f)
	f.Get(k).F64(ln2Hi).Op(wb.OpF64Mul)
	f.Get(hfsq)
	f.Get(s).Get(hfsq).Get(r).Op(wb.OpF64Add).Op(wb.OpF64Mul).Get(k).F64(ln2Lo).Op(wb.OpF64Mul).Op(wb.OpF64Add)
	f.Op(wb.OpF64Sub).Get(fr).Op(wb.OpF64Sub)
	f.Op(wb.OpF64Sub)
	return f.Body()
}

// emitSignedLog1p: sign(v)·ln(1+|v|) for finite v, as
// log(u)·(a/(u-1)) with u = 1+a, a = |v| (Goldberg's correction: the
// rounding error of 1+a cancels), and a itself when u rounds to 1.
func emitSignedLog1p() []byte {
	f := wb.NewFunc(1)
	const v = 0
	a := f.Local(wb.F64)
	u := f.Local(wb.F64)
	f.Get(v).Op(wb.OpF64Abs).Tee(a).F64(1).Op(wb.OpF64Add).Tee(u).F64(1).Op(wb.OpF64Eq)
	f.If(wb.F64)
	f.Get(a)
	f.Else()
	f.Get(u).Call(fnLog).Get(a).Get(u).F64(1).Op(wb.OpF64Sub).Op(wb.OpF64Div).Op(wb.OpF64Mul)
	f.End()
	f.Get(v).Op(wb.OpF64Copysign)
	return f.Body()
}
