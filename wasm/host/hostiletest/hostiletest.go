// Package hostiletest builds WebAssembly modules that misbehave, for tests
// of hosts' sandboxes: hand-made modules that speak flowsense's ABI
// version 1 (wasm/ABI.md) well enough to be loaded, then loop, declare
// too much memory, run a start function or answer out of range; and
// Corrupt, which damages a real module's data segment.
//
// It is for tests only: no serving code imports it.
package hostiletest

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/flowsense/flowsense/wasm/abi"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// Behaviour is what a hand-made module's predict does.
type Behaviour int

const (
	// Answer answers every row: class 0 ("benign"), probabilities 0.75
	// and 0.25, verdict benign, score 0. It passes a host's smoke test.
	Answer Behaviour = iota
	// Loop never returns.
	Loop
	// LoopOnPositive answers as Answer does unless the first feature of the
	// first row is >= 1, then never returns: it passes a smoke test (whose
	// rows are missing or zero) and hangs on a crafted request.
	LoopOnPositive
	// OutOfRange answers class 0 with probabilities 2 and -1.
	OutOfRange
	// Trap executes unreachable.
	Trap
)

// Spec describes a hand-made module. The zero value is a one-feature
// ("a"), two-class ("benign", "attack") module whose predict answers.
type Spec struct {
	Predict Behaviour
	// StartLoops adds a start function that never returns.
	StartLoops bool
	// Pages is the memory the module declares, in 64 KiB pages (min and
	// max); 0 means 1.
	Pages uint32
}

const (
	features = 1
	classes  = 2
	inAddr   = 16
	outAddr  = 32
	stride   = abi.OutHeaderBytes + 8*classes
)

// Metadata is the flowsense section every hand-made module carries.
const Metadata = `{"abi":1,"format":1,"name":"hostile","trainer_version":"hostiletest","model_sha256":"0000000000000000000000000000000000000000000000000000000000000000","schema":{"features":[{"name":"a","kind":"numeric"}]},"classes":["benign","attack"],"benign":[0],"objective":"softmax","trees":0,"reference":[]}`

// Module builds the module s describes (max_batch 1).
func Module(s Spec) []byte {
	pages := s.Pages
	if pages == 0 {
		pages = 1
	}
	m := wb.NewModule()
	m.Section(wb.SecType, wb.Vec(wb.FuncType([]byte{wb.I32}, []byte{wb.I32}), wb.FuncType(nil, nil)))
	funcs := [][]byte{{0}}
	if s.StartLoops {
		funcs = append(funcs, []byte{1})
	}
	m.Section(wb.SecFunction, wb.Vec(funcs...))
	mem := wb.AppendU32([]byte{0x01}, pages)
	mem = wb.AppendU32(mem, pages)
	m.Section(wb.SecMemory, wb.Vec(mem))
	globals := []struct {
		name string
		v    int32
	}{
		{abi.ExportABI, abi.Version}, {abi.ExportFeatures, features}, {abi.ExportClasses, classes},
		{abi.ExportMaxBatch, 1}, {abi.ExportInput, inAddr}, {abi.ExportOutput, outAddr}, {abi.ExportStride, stride},
	}
	var gs [][]byte
	for _, g := range globals { // immutable i32, init i32.const v
		gs = append(gs, append(wb.AppendS64([]byte{wb.I32, 0x00, wb.OpI32Const}, int64(g.v)), wb.OpEnd))
	}
	m.Section(wb.SecGlobal, wb.Vec(gs...))
	exports := [][]byte{
		append(wb.AppendName(nil, abi.ExportMemory), wb.ExportMemory, 0),
		append(wb.AppendName(nil, abi.ExportPredict), wb.ExportFunc, 0),
	}
	for i, g := range globals {
		exports = append(exports, wb.AppendU32(append(wb.AppendName(nil, g.name), wb.ExportGlobal), uint32(i)))
	}
	m.Section(wb.SecExport, wb.Vec(exports...))
	if s.StartLoops {
		m.Section(secStart, wb.AppendU32(nil, 1))
	}
	bodies := [][]byte{predict(s.Predict)}
	if s.StartLoops {
		bodies = append(bodies, wb.NewFunc(0).Loop(wb.Void).Br(0).End().Body())
	}
	m.Section(wb.SecCode, wb.Vec(bodies...))
	m.Section(wb.SecData, wb.Vec(dataSegment(s.Predict)))
	m.Custom(abi.SectionName, []byte(Metadata))
	return m.Bytes()
}

// secStart is the start section's id.
const secStart = 8

func predict(b Behaviour) []byte {
	f := wb.NewFunc(1)
	switch b {
	case Loop:
		f.Loop(wb.Void).Br(0).End()
	case LoopOnPositive:
		f.I32(inAddr).Mem(wb.OpF32Load, 0).F32(1).Op(wb.OpF32Ge).If(wb.Void).Loop(wb.Void).Br(0).End().End()
	case Trap:
		f.Op(wb.OpUnreachable)
	}
	return f.Get(0).Body() // the answer is the data segment's
}

// dataSegment writes the one row's answer into the output buffer.
func dataSegment(b Behaviour) []byte {
	p0, p1 := 0.75, 0.25
	if b == OutOfRange {
		p0, p1 = 2, -1
	}
	out := make([]byte, stride)
	binary.LittleEndian.PutUint64(out[abi.OutHeaderBytes:], math.Float64bits(p0))
	binary.LittleEndian.PutUint64(out[abi.OutHeaderBytes+8:], math.Float64bits(p1))
	seg := wb.AppendS64([]byte{0x00, wb.OpI32Const}, outAddr)
	seg = append(seg, wb.OpEnd)
	seg = wb.AppendU32(seg, uint32(len(out)))
	return append(seg, out...)
}

// Corrupt returns a copy of a compiled module with n bytes of its first
// data segment (the model's tables: base scores, benign flags, the tree
// table, then the nodes) inverted, starting at fraction at (0 to 1) of the
// segment: what a flipped disk block or a bad copy does to a model.wasm.
// It fails when b has no data segment of n bytes.
func Corrupt(b []byte, at float64, n int) ([]byte, error) {
	secs, err := wb.Sections(b)
	if err != nil {
		return nil, err
	}
	for _, s := range secs {
		if s.ID != wb.SecData {
			continue
		}
		p := s.Data
		count, k, err := wb.ReadU32(p)
		if err != nil || count == 0 {
			return nil, fmt.Errorf("hostiletest: no data segment")
		}
		p = p[k:]
		if len(p) < 2 || p[0] != 0x00 || p[1] != wb.OpI32Const {
			return nil, fmt.Errorf("hostiletest: the first data segment is not active at a constant offset")
		}
		_, k, err = readS32(p[2:])
		if err != nil || len(p) < 3+k || p[2+k] != wb.OpEnd {
			return nil, fmt.Errorf("hostiletest: bad data segment offset")
		}
		p = p[3+k:]
		size, k, err := wb.ReadU32(p)
		if err != nil || int(size) < n || len(p) < k+int(size) {
			return nil, fmt.Errorf("hostiletest: the data segment has fewer than %d bytes", n)
		}
		start := s.Offset + (len(s.Data) - len(p)) + k // the segment's first byte in b
		start += int(float64(int(size)-n) * min(max(at, 0), 1))
		out := append([]byte(nil), b...)
		for i := start; i < start+n; i++ {
			out[i] ^= 0xff
		}
		return out, nil
	}
	return nil, fmt.Errorf("hostiletest: no data section")
}

// readS32 reads a signed LEB128 of at most 5 bytes.
func readS32(b []byte) (int32, int, error) {
	var v int64
	var shift uint
	for i := 0; i < 5 && i < len(b); i++ {
		c := b[i]
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			return int32(v), i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("hostiletest: bad integer")
}

// StripDigest returns b without its closing digest section (as a module
// compiled before the section existed), or b itself when it has none.
func StripDigest(b []byte) []byte {
	secs, err := wb.Sections(b)
	if err != nil || len(secs) == 0 {
		return b
	}
	last := secs[len(secs)-1]
	if last.ID != wb.SecCustom || last.Name != abi.DigestSectionName {
		return b
	}
	size := len(last.Data) + 1 + len(last.Name)
	return append([]byte(nil), b[:last.Offset-1-len(wb.AppendU32(nil, uint32(size)))]...)
}
