package host_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
	"github.com/flowsense/flowsense/wasm/host/hostiletest"
)

// FuzzLoad feeds random bytes and mutations of a valid module to ReadMetadata
// and Load, under the interpreter and the compiler: a typed error or a
// working module, never a panic or a hang (the smoke test runs under a
// 50 ms load timeout). The corpus holds the module without its digest
// section too, so that mutations reach the loader past the digest check.
func FuzzLoad(f *testing.F) {
	good := compile(f, randModel(f, rand.New(rand.NewPCG(1, 1)), shapes["outlier log1p categorical logistic"]))
	bare := hostiletest.StripDigest(good)
	f.Add(bare, uint16(100), byte(0x01))
	f.Add(bare, uint16(len(bare)/2), byte(0x80))
	f.Add(hostiletest.Module(hostiletest.Spec{}), uint16(30), byte(0x04))
	f.Add(good, uint16(0), byte(0))
	f.Add(good, uint16(20), byte(0xff))
	f.Add(good, uint16(len(good)-10), byte(1))
	f.Add([]byte("\x00asm\x01\x00\x00\x00"), uint16(0), byte(0))
	f.Add([]byte{}, uint16(0), byte(0))
	f.Fuzz(func(t *testing.T, b []byte, at uint16, xor byte) {
		b = append([]byte(nil), b...)
		if len(b) > 0 {
			b[int(at)%len(b)] ^= xor
		}
		md, err := abi.ReadMetadata(b)
		if err != nil {
			var we *abi.Error
			if !errors.As(err, &we) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
		} else if md == nil {
			t.Fatal("no metadata and no error")
		}
		for _, engine := range [][]host.Option{{host.WithInterpreter()}, nil} {
			mod, err := host.Load(context.Background(), b, append(engine, host.WithLoadTimeout(50*time.Millisecond))...)
			if err != nil {
				var we *abi.Error
				if !errors.As(err, &we) {
					t.Fatalf("untyped error %T: %v", err, err)
				}
				continue
			}
			mod.Close(context.Background())
		}
	})
}

// FuzzParity compares the module with the native predictor on random small
// models and random rows (NaN, ±Inf, subnormals, huge values, category
// codes in and out of range), and the top tier (compiler.TopTier) with the
// default module bit for bit.
func FuzzParity(f *testing.F) {
	f.Add(uint64(1), uint8(0))
	f.Add(uint64(2), uint8(5))
	f.Add(uint64(3), uint8(12))
	f.Fuzz(func(t *testing.T, seed uint64, pick uint8) {
		r := rand.New(rand.NewPCG(seed, uint64(pick)))
		s := shapes[sortedShape(int(pick))]
		s.trees = min(s.trees, 6)
		m := randModel(t, r, s)
		rows := randRows(r, m, 40)
		want := nativeAnswers(t, m, rows)
		sameBits(t, "fuzz, compiled native", want, predictorAnswers(t, newPredictor(t, m), rows, 0), rows, len(m.Schema.Features))
		sameBits(t, "fuzz, compiled native batched", want, predictorAnswers(t, newPredictor(t, m), rows, 7), rows, len(m.Schema.Features))
		compare(t, "fuzz", want, wasmAnswers(t, load(t, compile(t, m), host.WithInterpreter()), rows), rows, len(m.Schema.Features))
		compare(t, "fuzz, MVP module", want, wasmAnswers(t, load(t, compile(t, m, compiler.WithoutSIMD()), host.WithInterpreter()), rows), rows, len(m.Schema.Features))
		code := wasmAnswers(t, load(t, compile(t, m, compiler.WithTreeForm(compiler.TreeCode)), host.WithInterpreter()), rows)
		tables := wasmAnswers(t, load(t, compile(t, m, compiler.WithTreeForm(compiler.TreeTables)), host.WithInterpreter()), rows)
		compare(t, "fuzz, trees as code", want, code, rows, len(m.Schema.Features))
		sameBits(t, "fuzz, trees as code vs node tables", tables, code, rows, len(m.Schema.Features))
		// the top tier: the default's bits, SIMD and MVP, whole and in odd batches
		top := load(t, compile(t, m, compiler.TopTier()), host.WithInterpreter())
		sameBits(t, "fuzz, top tier vs default", tables, wasmAnswers(t, top, rows), rows, len(m.Schema.Features))
		sameBits(t, "fuzz, top tier vs default, batches of 17", tables, batchAnswers(t, top, rows, min(17, top.MaxBatch())), rows, len(m.Schema.Features))
		mvp := wasmAnswers(t, load(t, compile(t, m, compiler.WithoutSIMD()), host.WithInterpreter()), rows)
		sameBits(t, "fuzz, MVP top tier vs MVP default", mvp, wasmAnswers(t, load(t, compile(t, m, compiler.TopTier(), compiler.WithoutSIMD()), host.WithInterpreter()), rows), rows, len(m.Schema.Features))
		// the explain export (ABI 1.1) against the native Explainer
		withCovers(m)
		compareExplain(t, "fuzz explain", m, load(t, compile(t, m), host.WithInterpreter()), rows)
	})
}

// sortedShape returns the i-th shape name in sorted order (mod the count).
func sortedShape(i int) string {
	names := make([]string, 0, len(shapes))
	for name := range shapes {
		names = append(names, name)
	}
	slices.Sort(names)
	return names[i%len(names)]
}
