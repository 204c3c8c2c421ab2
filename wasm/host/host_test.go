package host_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	"github.com/flowsense/flowsense/wasm/compiler"
	"github.com/flowsense/flowsense/wasm/host"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// replaceSection rebuilds b with the flowsense section's JSON passed through
// edit.
func replaceSection(t testing.TB, b []byte, edit func(map[string]any)) []byte {
	t.Helper()
	secs, err := wb.Sections(b)
	if err != nil {
		t.Fatal(err)
	}
	out := wb.NewModule()
	for _, s := range secs {
		if s.ID == wb.SecCustom && s.Name == abi.SectionName {
			var v map[string]any
			if err := json.Unmarshal(s.Data, &v); err != nil {
				t.Fatal(err)
			}
			edit(v)
			j, _ := json.Marshal(v)
			out.Custom(s.Name, j)
			continue
		}
		if s.ID == wb.SecCustom {
			out.Custom(s.Name, s.Data)
			continue
		}
		out.Section(s.ID, s.Data)
	}
	return out.Bytes()
}

func TestLoadErrors(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(1, 1)), shapes["categorical"])
	good := compile(t, m)
	empty := wb.NewModule().Bytes() // valid wasm, no flowsense section
	tests := map[string]struct {
		b    []byte
		want error
	}{
		"nil":                 {nil, abi.ErrCorrupt},
		"random bytes":        {[]byte("hello, this is not wasm"), abi.ErrCorrupt},
		"truncated":           {good[:len(good)/2], abi.ErrCorrupt},
		"truncated header":    {good[:6], abi.ErrCorrupt},
		"foreign module":      {empty, abi.ErrForeign},
		"abi from the future": {replaceSection(t, good, func(v map[string]any) { v["abi"] = abi.Version + 1 }), abi.ErrABI},
		"section without abi": {replaceSection(t, good, func(v map[string]any) { delete(v, "abi") }), abi.ErrCorrupt},
		"metadata disagrees with exports": {replaceSection(t, good, func(v map[string]any) {
			v["classes"] = append(v["classes"].([]any), "extra")
		}), abi.ErrCorrupt},
		"section only": {func() []byte {
			mb := wb.NewModule()
			mb.Custom(abi.SectionName, []byte(`{"abi":1,"schema":{"features":[{"name":"a","kind":"numeric"}]},"classes":["x","y"]}`))
			return mb.Bytes()
		}(), abi.ErrCorrupt},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			mod, err := host.Load(context.Background(), tc.b)
			if err == nil {
				mod.Close(context.Background())
				t.Fatal("Load accepted the bytes")
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
			var we *abi.Error
			if !errors.As(err, &we) {
				t.Fatalf("error %T is not a *abi.Error", err)
			}
		})
	}
}

func TestCompileRejectsInvalidModel(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(1, 1)), shapes["logistic"])
	m.Ensemble.Trees[0].Left[0] = 0 // the root as its own child
	_, err := compiler.Compile(m)
	var me *model.Error
	if !errors.Is(err, abi.ErrModel) || !errors.As(err, &me) {
		t.Fatalf("error %v, want ErrModel wrapping a *model.Error", err)
	}
	if _, err := compiler.Compile(nil); !errors.Is(err, abi.ErrModel) {
		t.Fatalf("nil model: error %v, want ErrModel", err)
	}
}

func TestReadMetadata(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(2, 2)), shapes["outlier log1p categorical logistic"])
	m.Reference = nil
	b := compile(t, m)
	md, err := abi.ReadMetadata(b)
	if err != nil {
		t.Fatal(err)
	}
	var enc bytes.Buffer
	if err := m.Encode(&enc); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(enc.Bytes())
	checks := map[string]struct{ got, want any }{
		"abi":       {md.ABI, abi.Version},
		"format":    {md.Format, m.Format},
		"sha256":    {md.ModelSHA256, hex.EncodeToString(sum[:])},
		"schema":    {md.Schema, m.Schema},
		"classes":   {md.Classes, m.Classes},
		"benign":    {md.Benign, m.Benign},
		"trees":     {md.Trees, len(m.Ensemble.Trees)},
		"objective": {md.Objective, m.Ensemble.Objective},
		"threshold": {md.Outlier.Threshold, m.Outlier.Threshold},
		"trainer":   {md.TrainerVersion, m.Meta.TrainerVersion},
		"name":      {md.Name, m.Meta.Name},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %v, want %v", name, c.got, c.want)
		}
	}
}

func TestClassifyErrors(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(3, 3)), shapes["categorical"])
	mod := load(t, compile(t, m))
	nf := len(m.Schema.Features)
	ctx := context.Background()
	tests := map[string]struct {
		rows []float32
		out  int
		want error
	}{
		"short row":    {make([]float32, nf-1), 1, abi.ErrRowWidth},
		"long row":     {make([]float32, nf+1), 1, abi.ErrRowWidth},
		"few results":  {make([]float32, 2*nf), 1, abi.ErrBatch},
		"many results": {make([]float32, 2*nf), 3, abi.ErrBatch},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := mod.Classify(ctx, tc.rows, make([]model.Result, tc.out))
			if !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want %v", err, tc.want)
			}
		})
	}
	if err := mod.Classify(ctx, nil, nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
}

func TestClassifyRecord(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(4, 4)), shapes["categorical"])
	m.Schema.Features[1].Unknown = model.UnknownError
	m.Schema.Features[3].Unknown = model.UnknownMissing
	mod := load(t, compile(t, m))
	ctx := context.Background()
	native := func(row []float32) model.Result {
		var r model.Result
		if err := m.Predict(row, &r); err != nil {
			t.Fatal(err)
		}
		return r
	}
	nan := float32(math.NaN())
	cat1, cat3 := m.Schema.Features[1].Categories, m.Schema.Features[3].Categories
	tests := map[string]struct {
		fields map[string]any
		row    []float32 // the row it means; nil when an error is wanted
		want   error
	}{
		"numbers and names": {map[string]any{"f0": 1.5, "f1": cat1[len(cat1)-1], "f2": "2.5", "f3": cat3[0], "f4": int64(-3), "f5": nil},
			[]float32{1.5, float32(len(cat1) - 1), 2.5, 0, -3, nan}, nil},
		"all missing":                  {map[string]any{}, []float32{nan, nan, nan, nan, nan, nan}, nil},
		"code as number":               {map[string]any{"f1": 0}, []float32{nan, 0, nan, nan, nan, nan}, nil},
		"unknown category is missing":  {map[string]any{"f3": "no such category"}, []float32{nan, nan, nan, nan, nan, nan}, nil},
		"unknown category is an error": {map[string]any{"f1": "no such category"}, nil, abi.ErrUnknownCategory},
		"unknown code is an error":     {map[string]any{"f1": float64(len(cat1))}, nil, abi.ErrUnknownCategory},
		"unknown feature":              {map[string]any{"nope": 1.0}, nil, abi.ErrUnknownFeature},
		"field of an unsupported type": {map[string]any{"f0": []int{1}}, nil, abi.ErrFieldType},
		"numeric text that is not one": {map[string]any{"f0": "abc"}, nil, model.ErrNotNumber},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := mod.ClassifyRecord(ctx, tc.fields)
			if tc.want != nil {
				if !errors.Is(err, tc.want) {
					t.Fatalf("error %v, want %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := native(tc.row)
			if got.Class != want.Class || got.Verdict != want.Verdict || math.Abs(got.Probability()-want.Probability()) > 1e-6 {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestClassifyAllocs: once results have room, the hot path allocates only
// what the sandbox costs per module call (wazero's WithCloseOnContextDone
// starts a watcher goroutine with a channel for each call: at most 4
// allocations per call of up to MaxBatch rows), never per row.
func TestClassifyAllocs(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(5, 5)), shapes["outlier log1p and clip"])
	mod := load(t, compile(t, m))
	ctx := context.Background()
	for _, n := range []int{1, 17, mod.MaxBatch() + 3} {
		rows := randRows(rand.New(rand.NewPCG(1, 1)), m, n)
		out := make([]model.Result, n)
		if err := mod.Classify(ctx, rows, out); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(50, func() {
			if err := mod.Classify(ctx, rows, out); err != nil {
				t.Fatal(err)
			}
		})
		calls := (n + mod.MaxBatch() - 1) / mod.MaxBatch()
		if allocs > float64(4*calls) {
			t.Errorf("%d rows (%d module calls): %v allocations per Classify, want at most %d", n, calls, allocs, 4*calls)
		}
	}
}

// TestConcurrentCallers: many goroutines share one Module.
func TestConcurrentCallers(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(6, 6)), shapes["deep"])
	mod := load(t, compile(t, m), host.WithPoolSize(2))
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(g), 9))
			for i := 0; i < 5; i++ {
				rows := randRows(r, m, 1+r.IntN(300))
				compare(t, "concurrent", nativeAnswers(t, m, rows), wasmAnswers(t, mod, rows), rows, len(m.Schema.Features))
			}
		}(g)
	}
	wg.Wait()
}

func TestCompilationCache(t *testing.T) {
	m := randModel(t, rand.New(rand.NewPCG(7, 7)), shapes["logistic"])
	b := compile(t, m)
	dir := t.TempDir()
	rows := randRows(rand.New(rand.NewPCG(1, 1)), m, 50)
	want := nativeAnswers(t, m, rows)
	for i := 0; i < 2; i++ { // the second load reads the cache
		mod := load(t, b, host.WithCompilationCache(dir))
		compare(t, "cached", want, wasmAnswers(t, mod, rows), rows, len(m.Schema.Features))
	}
}
