package host_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
)

// FuzzLoad feeds random bytes and mutations of a valid module to ReadMetadata
// and Load: a typed error or a working module, never a panic.
func FuzzLoad(f *testing.F) {
	good := compile(f, randModel(f, rand.New(rand.NewPCG(1, 1)), shapes["outlier log1p categorical logistic"]))
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
		mod, err := host.Load(context.Background(), b, host.WithInterpreter())
		if err != nil {
			var we *abi.Error
			if !errors.As(err, &we) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		mod.Close(context.Background())
	})
}

// FuzzParity compares the module with the native predictor on random small
// models and random rows (NaN, ±Inf, subnormals, huge values, category
// codes in and out of range).
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
		compare(t, "fuzz", want, wasmAnswers(t, load(t, compile(t, m), host.WithInterpreter()), rows), rows, len(m.Schema.Features))
		compare(t, "fuzz, MVP module", want, wasmAnswers(t, load(t, compile(t, m, compiler.WithoutSIMD()), host.WithInterpreter()), rows), rows, len(m.Schema.Features))
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
