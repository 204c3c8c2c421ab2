package abi_test

import (
	"context"
	"errors"
	"testing"

	"github.com/tetratelabs/wazero"

	"github.com/flowsense/flowsense/wasm/abi"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// moduleExporting is a valid module with one function, exported under
// each of funcs, and its memory exported as mem.
func moduleExporting(mem string, funcs ...string) []byte {
	m := wb.NewModule()
	m.Section(wb.SecType, wb.Vec(wb.FuncType(nil, nil)))
	m.Section(wb.SecFunction, wb.Vec(wb.AppendU32(nil, 0)))
	m.Section(wb.SecMemory, wb.Vec([]byte{0, 1}))
	exp := func(name string, kind byte) []byte { return wb.AppendU32(append(wb.AppendName(nil, name), kind), 0) }
	ex := [][]byte{exp(mem, wb.ExportMemory)}
	for _, f := range funcs {
		ex = append(ex, exp(f, wb.ExportFunc))
	}
	m.Section(wb.SecExport, wb.Vec(ex...))
	m.Section(wb.SecCode, wb.Vec(wb.NewFunc(0).End().Body()))
	return m.Bytes()
}

func TestHasFuncExport(t *testing.T) {
	for name, c := range map[string]struct {
		b    []byte
		want bool
	}{
		"exported":             {moduleExporting("memory", abi.ExportPredict, abi.ExportExplain), true},
		"not exported":         {moduleExporting("memory", abi.ExportPredict), false},
		"a memory of the name": {moduleExporting(abi.ExportExplain, abi.ExportPredict), false},
		"no export section":    {wb.NewModule().Bytes(), false},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := abi.HasFuncExport(c.b, abi.ExportExplain)
			if err != nil || got != c.want {
				t.Fatalf("HasFuncExport = %v, %v; want %v", got, err, c.want)
			}
		})
	}
	b := moduleExporting("memory", abi.ExportExplain)
	for _, bad := range [][]byte{b[:len(b)-9], []byte("not wasm")} {
		if _, err := abi.HasFuncExport(bad, abi.ExportExplain); !errors.Is(err, abi.ErrCorrupt) {
			t.Errorf("HasFuncExport(% x) error %v, want ErrCorrupt", bad, err)
		}
	}
}

// FuzzHasFuncExport: never a panic, and on every module it reads and
// wazero compiles the same answer as wazero's exported functions.
func FuzzHasFuncExport(f *testing.F) {
	f.Add(moduleExporting("memory", abi.ExportPredict, abi.ExportExplain))
	f.Add(moduleExporting(abi.ExportExplain))
	f.Add(wb.NewModule().Bytes())
	ctx := context.Background()
	rt := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigInterpreter())
	defer rt.Close(ctx)
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := abi.HasFuncExport(b, abi.ExportExplain)
		if err != nil {
			// wazero is not asked: a truncated count can make it allocate
			// gigabytes; a parsed section has at most len(b) exports
			return
		}
		cm, werr := rt.CompileModule(ctx, b)
		if werr != nil {
			return
		}
		defer cm.Close(ctx)
		_, want := cm.ExportedFunctions()[abi.ExportExplain]
		if got != want {
			t.Fatalf("HasFuncExport = %v, %v; wazero exports it: %v", got, err, want)
		}
	})
}
