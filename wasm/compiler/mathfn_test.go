package compiler

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"

	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// mathModule is a module exporting the math functions every model module
// carries, at the same function indices.
func mathModule(t *testing.T) api.Module {
	t.Helper()
	m := wb.NewModule()
	m.Section(wb.SecType, wb.Vec(
		wb.FuncType([]byte{wb.I32}, []byte{wb.I32}),
		wb.FuncType([]byte{wb.I32, wb.I32}, nil),
		wb.FuncType([]byte{wb.F64}, []byte{wb.F64}),
	))
	m.Section(wb.SecFunction, wb.Vec([]byte{tyI32ToI32}, []byte{tyRow}, []byte{tyF64ToF64}, []byte{tyF64ToF64}, []byte{tyF64ToF64}))
	exp := func(name string, idx uint32) []byte {
		return wb.AppendU32(append(wb.AppendName(nil, name), wb.ExportFunc), idx)
	}
	m.Section(wb.SecExport, wb.Vec(exp("exp", fnExp), exp("log", fnLog), exp("slog1p", fnSignedLog1p)))
	predict := wb.NewFunc(1)
	predict.I32(0)
	m.Section(wb.SecCode, wb.Vec(predict.Body(), wb.NewFunc(2).Body(), emitExp(), emitLog(), emitSignedLog1p()))
	ctx := context.Background()
	rt := wazero.NewRuntime(ctx)
	t.Cleanup(func() { rt.Close(ctx) })
	mod, err := rt.Instantiate(ctx, m.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return mod
}

func call(t *testing.T, mod api.Module, fn string, x float64) float64 {
	t.Helper()
	r, err := mod.ExportedFunction(fn).Call(context.Background(), api.EncodeF64(x))
	if err != nil {
		t.Fatal(err)
	}
	return api.DecodeF64(r[0])
}

// ulps is the distance between a and b in units in the last place.
func ulps(a, b float64) uint64 {
	if a == b || (math.IsNaN(a) && math.IsNaN(b)) {
		return 0
	}
	if math.IsNaN(a) || math.IsNaN(b) || math.Signbit(a) != math.Signbit(b) {
		return math.MaxUint64
	}
	x, y := math.Float64bits(math.Abs(a)), math.Float64bits(math.Abs(b))
	if x > y {
		return x - y
	}
	return y - x
}

func TestExp(t *testing.T) {
	mod := mathModule(t)
	xs := []float64{0, math.Copysign(0, -1), 1e-300, -1e-300, 1e-9, -1e-9, 0x1p-28, -0x1p-28, 0.5, -0.5, 1, -1,
		-20, -100, -700, -708.3, -708.4, -709.1, -720, -744.4, -745.1, -745.14, -746, -1e300, math.Inf(-1),
		20, 700, 709.78, 709.79, 1e300, math.Inf(1), math.NaN()}
	r := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 20000; i++ {
		xs = append(xs, -r.Float64()*746, -r.ExpFloat64(), r.NormFloat64()*30)
	}
	worst := uint64(0)
	for _, x := range xs {
		got := call(t, mod, "exp", x)
		if d := ulps(got, portableExp(x)); d != 0 {
			t.Errorf("exp(%v) = %v, Go's portable exp %v: %d ulps apart", x, got, portableExp(x), d)
		}
		if x > 709 {
			continue // amd64's math.Exp overflows early (exp(709.78) = +Inf)
		}
		d := ulps(got, math.Exp(x))
		if d > 2 {
			t.Errorf("exp(%v) = %v, math.Exp %v: %d ulps apart", x, got, math.Exp(x), d)
		}
		worst = max(worst, d)
	}
	t.Logf("exp: bit for bit Go's portable exp; worst %d ulp from math.Exp over %d arguments", worst, len(xs))
}

// portableExp is Go's math.exp (src/math/exp.go), the portable algorithm
// the module ports; math.Exp itself runs assembly on amd64 and arm64.
func portableExp(x float64) float64 {
	const (
		ln2Hi     = 6.93147180369123816490e-01
		ln2Lo     = 1.90821492927058770002e-10
		log2e     = 1.44269504088896338700e+00
		overflow  = 7.09782712893383973096e+02
		underflow = -7.45133219101941108420e+02
		nearZero  = 1.0 / (1 << 28)
	)
	switch {
	case math.IsNaN(x) || math.IsInf(x, 1):
		return x
	case math.IsInf(x, -1):
		return 0
	case x > overflow:
		return math.Inf(1)
	case x < underflow:
		return 0
	case -nearZero < x && x < nearZero:
		return 1 + x
	}
	var k int
	switch {
	case x < 0:
		k = int(log2e*x - 0.5)
	case x > 0:
		k = int(log2e*x + 0.5)
	}
	hi := x - float64(k)*ln2Hi
	lo := float64(k) * ln2Lo
	const (
		p1 = 1.66666666666666657415e-01
		p2 = -2.77777777770155933842e-03
		p3 = 6.61375632143793436117e-05
		p4 = -1.65339022054652515390e-06
		p5 = 4.13813679705723846039e-08
	)
	r := hi - lo
	t := r * r
	c := r - t*(p1+t*(p2+t*(p3+t*(p4+t*p5))))
	y := 1 - ((lo - (r*c)/(2-c)) - hi)
	return math.Ldexp(y, k)
}

func TestSignedLog1p(t *testing.T) {
	mod := mathModule(t)
	xs := []float64{0, math.Copysign(0, -1), 1e-45, -1e-45, 1e-300, 1e-17, 1e-16, 2.2e-16, 1e-10, 1e-5, 0.4, 0.5, 1, 1.5, 2,
		3, 10, 1e6, 16777216, 3.4028234663852886e38, -0.5, -1, -1e10, -3.4028234663852886e38}
	r := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 20000; i++ {
		xs = append(xs, float64(float32(math.Exp(r.NormFloat64()*15))), -float64(float32(r.ExpFloat64())), float64(float32(r.Float64())))
	}
	worst := uint64(0)
	for _, x := range xs {
		got := call(t, mod, "slog1p", x)
		want := math.Log1p(math.Abs(x))
		if x < 0 {
			want = -want
		}
		d := ulps(got, want)
		if d > 4 && !(got == 0 && want == 0) {
			t.Errorf("slog1p(%v) = %v, want %v: %d ulps apart", x, got, want, d)
		}
		worst = max(worst, d)
	}
	t.Logf("signed log1p: worst %d ulp from math.Log1p over %d arguments", worst, len(xs))
}
