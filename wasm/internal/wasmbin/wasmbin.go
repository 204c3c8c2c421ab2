package wasmbin

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Magic and Version open every module.
var header = []byte{0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00}

// Section ids.
const (
	SecCustom   = 0
	SecType     = 1
	SecImport   = 2
	SecFunction = 3
	SecMemory   = 5
	SecGlobal   = 6
	SecExport   = 7
	SecCode     = 10
	SecData     = 11
)

// Value types.
const (
	I32 byte = 0x7f
	I64 byte = 0x7e
	F32 byte = 0x7d
	F64 byte = 0x7c
	// V128 is the SIMD proposal's 128-bit vector (WebAssembly 2.0).
	V128 byte = 0x7b
	// Void is the empty block type.
	Void byte = 0x40
)

// Export kinds.
const (
	ExportFunc   = 0x00
	ExportMemory = 0x02
	ExportGlobal = 0x03
)

// AppendU32 appends v as unsigned LEB128.
func AppendU32(b []byte, v uint32) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}

// AppendS64 appends v as signed LEB128 (i32.const and i64.const immediates).
func AppendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

// AppendName appends a length-prefixed UTF-8 name.
func AppendName(b []byte, s string) []byte {
	b = AppendU32(b, uint32(len(s)))
	return append(b, s...)
}

// ErrMalformed is returned by ReadU32 and Sections for bytes that are not
// a well-formed module.
var ErrMalformed = errors.New("malformed module")

// ErrMagic: the bytes do not start with the wasm magic and version 1.
var ErrMagic = errors.New("not a WebAssembly 1.0 binary")

// ReadU32 reads an unsigned LEB128 of at most 5 bytes from b.
func ReadU32(b []byte) (uint32, int, error) {
	var v uint32
	for i := 0; i < 5; i++ {
		if i >= len(b) {
			return 0, 0, fmt.Errorf("%w: truncated integer", ErrMalformed)
		}
		c := b[i]
		if i == 4 && c&0xf0 != 0 {
			return 0, 0, fmt.Errorf("%w: integer too large", ErrMalformed)
		}
		v |= uint32(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1, nil
		}
	}
	return 0, 0, fmt.Errorf("%w: integer too long", ErrMalformed)
}

// Section is one section of a module as stored.
type Section struct {
	ID     byte
	Offset int    // of the section's first content byte in the module
	Name   string // custom sections only
	Data   []byte // content (after the name, for custom sections); aliases the input
}

// Sections splits a module into its sections without interpreting them.
func Sections(b []byte) ([]Section, error) {
	if len(b) < len(header) || string(b[:4]) != string(header[:4]) {
		return nil, ErrMagic
	}
	if string(b[4:8]) != string(header[4:8]) {
		return nil, fmt.Errorf("%w: version %x", ErrMagic, b[4:8])
	}
	var out []Section
	p := len(header)
	for p < len(b) {
		id := b[p]
		n, k, err := ReadU32(b[p+1:])
		if err != nil {
			return nil, fmt.Errorf("section at byte %d: %w", p, err)
		}
		start := p + 1 + k
		if uint64(n) > uint64(len(b)-start) {
			return nil, fmt.Errorf("%w: section %d at byte %d: length %d beyond the end", ErrMalformed, id, p, n)
		}
		s := Section{ID: id, Offset: start, Data: b[start : start+int(n)]}
		if id == SecCustom {
			ln, k2, err := ReadU32(s.Data)
			if err != nil || uint64(ln) > uint64(len(s.Data)-k2) {
				return nil, fmt.Errorf("%w: custom section at byte %d: bad name", ErrMalformed, p)
			}
			s.Name = string(s.Data[k2 : k2+int(ln)])
			s.Data = s.Data[k2+int(ln):]
		}
		out = append(out, s)
		p = start + int(n)
	}
	return out, nil
}

// Module collects sections in order and writes the binary.
type Module struct {
	b []byte
}

// NewModule starts a module with its header.
func NewModule() *Module { return &Module{b: append([]byte(nil), header...)} }

// Section appends a section with the given content.
func (m *Module) Section(id byte, content []byte) {
	m.b = append(m.b, id)
	m.b = AppendU32(m.b, uint32(len(content)))
	m.b = append(m.b, content...)
}

// Custom appends a custom section.
func (m *Module) Custom(name string, data []byte) {
	c := AppendName(nil, name)
	c = append(c, data...)
	m.Section(SecCustom, c)
}

// Bytes returns the module.
func (m *Module) Bytes() []byte { return m.b }

// Vec encodes a vector of already encoded items.
func Vec(items ...[]byte) []byte {
	b := AppendU32(nil, uint32(len(items)))
	for _, it := range items {
		b = append(b, it...)
	}
	return b
}

// FuncType encodes a function type.
func FuncType(params, results []byte) []byte {
	b := []byte{0x60}
	b = AppendU32(b, uint32(len(params)))
	b = append(b, params...)
	b = AppendU32(b, uint32(len(results)))
	return append(b, results...)
}

// Opcodes used by the compiler.
const (
	OpUnreachable = 0x00
	OpBlock       = 0x02
	OpLoop        = 0x03
	OpIf          = 0x04
	OpElse        = 0x05
	OpEnd         = 0x0b
	OpBr          = 0x0c
	OpBrIf        = 0x0d
	OpReturn      = 0x0f
	OpCall        = 0x10
	OpDrop        = 0x1a
	OpSelect      = 0x1b
	OpLocalGet    = 0x20
	OpLocalSet    = 0x21
	OpLocalTee    = 0x22
	OpI32Load     = 0x28
	OpF32Load     = 0x2a
	OpF64Load     = 0x2b
	OpI32Store    = 0x36
	OpF64Store    = 0x39
	OpI32Const    = 0x41
	OpI64Const    = 0x42
	OpF32Const    = 0x43
	OpF64Const    = 0x44

	OpI32Eqz = 0x45
	OpI32Eq  = 0x46
	OpI32Ne  = 0x47
	OpI32LtS = 0x48
	OpI32LtU = 0x49
	OpI32GtS = 0x4a
	OpI32GtU = 0x4b
	OpI32LeS = 0x4c
	OpI32GeS = 0x4e
	OpI32GeU = 0x4f

	OpI64Eq = 0x51

	OpF32Eq = 0x5b
	OpF32Ne = 0x5c
	OpF32Lt = 0x5d
	OpF32Gt = 0x5e
	OpF32Le = 0x5f
	OpF32Ge = 0x60

	OpF64Eq = 0x61
	OpF64Ne = 0x62
	OpF64Lt = 0x63
	OpF64Gt = 0x64
	OpF64Le = 0x65
	OpF64Ge = 0x66

	OpI32Add  = 0x6a
	OpI32Sub  = 0x6b
	OpI32Mul  = 0x6c
	OpI32And  = 0x71
	OpI32Or   = 0x72
	OpI32Xor  = 0x73
	OpI32Shl  = 0x74
	OpI32ShrS = 0x75
	OpI32ShrU = 0x76

	OpI64Add  = 0x7c
	OpI64Sub  = 0x7d
	OpI64And  = 0x83
	OpI64Or   = 0x84
	OpI64Shl  = 0x86
	OpI64ShrU = 0x88

	OpF32Abs      = 0x8b
	OpF64Abs      = 0x99
	OpF64Neg      = 0x9a
	OpF64Add      = 0xa0
	OpF64Sub      = 0xa1
	OpF64Mul      = 0xa2
	OpF64Div      = 0xa3
	OpF64Min      = 0xa4
	OpF64Max      = 0xa5
	OpF64Copysign = 0xa6

	OpI32WrapI64     = 0xa7
	OpI32TruncF32U   = 0xa9
	OpI32TruncF64S   = 0xaa
	OpI64ExtendI32S  = 0xac
	OpI64ExtendI32U  = 0xad
	OpF32ConvertI32U = 0xb3
	OpF64ConvertI32S = 0xb7
	OpF64PromoteF32  = 0xbb
	OpI64ReinterpF64 = 0xbd
	OpF64ReinterpI64 = 0xbf
)

// SIMD opcodes, written after the 0xfd prefix (WebAssembly 2.0's
// fixed-width SIMD; only the ones the compiler uses).
const (
	SIMDV128Load              = 0x00
	SIMDV128Load64Splat       = 0x0a
	SIMDV128Store             = 0x0b
	SIMDV128Const             = 0x0c
	SIMDF64x2Splat            = 0x14
	SIMDF64x2ExtractLane      = 0x21
	SIMDF64x2ReplaceLane      = 0x22
	SIMDF64x2Eq               = 0x47
	SIMDF64x2Lt               = 0x49
	SIMDF64x2Le               = 0x4b
	SIMDV128And               = 0x4e
	SIMDV128Or                = 0x50
	SIMDV128Bitselect         = 0x52
	SIMDI64x2ShrU             = 0xcd
	SIMDF64x2Abs              = 0xec
	SIMDF64x2Add              = 0xf0
	SIMDF64x2Sub              = 0xf1
	SIMDF64x2Mul              = 0xf2
	SIMDF64x2Div              = 0xf3
	SIMDF64x2Min              = 0xf4
	SIMDF64x2Max              = 0xf5
	simdPrefix           byte = 0xfd
)

// Func builds one function body.
type Func struct {
	locals []byte // value type of each declared local, in order
	params int
	code   []byte
}

// NewFunc starts a function with the given number of parameters.
func NewFunc(params int) *Func { return &Func{params: params} }

// Local declares a new local of type t and returns its index.
func (f *Func) Local(t byte) uint32 {
	f.locals = append(f.locals, t)
	return uint32(f.params + len(f.locals) - 1)
}

// Op appends plain opcodes.
func (f *Func) Op(ops ...byte) *Func { f.code = append(f.code, ops...); return f }

// Get, Set, Tee access locals.
func (f *Func) Get(l uint32) *Func { f.code = AppendU32(append(f.code, OpLocalGet), l); return f }

// Set pops into local l.
func (f *Func) Set(l uint32) *Func { f.code = AppendU32(append(f.code, OpLocalSet), l); return f }

// Tee sets local l and keeps the value.
func (f *Func) Tee(l uint32) *Func { f.code = AppendU32(append(f.code, OpLocalTee), l); return f }

// I32 pushes an i32 constant.
func (f *Func) I32(v int32) *Func { f.code = AppendS64(append(f.code, OpI32Const), int64(v)); return f }

// I64 pushes an i64 constant.
func (f *Func) I64(v int64) *Func { f.code = AppendS64(append(f.code, OpI64Const), v); return f }

// F32 pushes an f32 constant.
func (f *Func) F32(v float32) *Func {
	f.code = binary.LittleEndian.AppendUint32(append(f.code, OpF32Const), math.Float32bits(v))
	return f
}

// F64 pushes an f64 constant.
func (f *Func) F64(v float64) *Func {
	f.code = binary.LittleEndian.AppendUint64(append(f.code, OpF64Const), math.Float64bits(v))
	return f
}

// Mem appends a load or store with its natural alignment and a constant
// offset.
func (f *Func) Mem(op byte, offset uint32) *Func {
	var align uint32
	switch op {
	case OpI32Load, OpF32Load, OpI32Store:
		align = 2
	case OpF64Load, OpF64Store:
		align = 3
	}
	f.code = append(f.code, op)
	f.code = AppendU32(f.code, align)
	f.code = AppendU32(f.code, offset)
	return f
}

// Block, Loop and If open structured blocks of type t.
func (f *Func) Block(t byte) *Func { f.code = append(f.code, OpBlock, t); return f }

// Loop opens a loop.
func (f *Func) Loop(t byte) *Func { f.code = append(f.code, OpLoop, t); return f }

// If opens an if.
func (f *Func) If(t byte) *Func { f.code = append(f.code, OpIf, t); return f }

// Else switches to the else arm.
func (f *Func) Else() *Func { f.code = append(f.code, OpElse); return f }

// End closes a block.
func (f *Func) End() *Func { f.code = append(f.code, OpEnd); return f }

// Br branches to the label depth.
func (f *Func) Br(depth uint32) *Func { f.code = AppendU32(append(f.code, OpBr), depth); return f }

// BrIf branches when the top of stack is non-zero.
func (f *Func) BrIf(depth uint32) *Func { f.code = AppendU32(append(f.code, OpBrIf), depth); return f }

// Call calls function idx.
func (f *Func) Call(idx uint32) *Func { f.code = AppendU32(append(f.code, OpCall), idx); return f }

// Body returns the encoded function body (locals and code, with the final
// end), ready for the code section.
func (f *Func) Body() []byte {
	var b []byte
	// group consecutive locals of one type
	type run struct {
		n uint32
		t byte
	}
	var runs []run
	for _, t := range f.locals {
		if len(runs) > 0 && runs[len(runs)-1].t == t {
			runs[len(runs)-1].n++
			continue
		}
		runs = append(runs, run{1, t})
	}
	b = AppendU32(b, uint32(len(runs)))
	for _, r := range runs {
		b = AppendU32(b, r.n)
		b = append(b, r.t)
	}
	b = append(b, f.code...)
	b = append(b, OpEnd)
	out := AppendU32(nil, uint32(len(b)))
	return append(out, b...)
}

// SIMD appends a SIMD instruction without immediates.
func (f *Func) SIMD(op uint32) *Func {
	f.code = AppendU32(append(f.code, simdPrefix), op)
	return f
}

// V128Load appends v128.load with 16-byte alignment and a constant offset.
func (f *Func) V128Load(offset uint32) *Func {
	f.SIMD(SIMDV128Load)
	f.code = AppendU32(AppendU32(f.code, 4), offset)
	return f
}

// V128Store appends v128.store with 16-byte alignment and a constant
// offset.
func (f *Func) V128Store(offset uint32) *Func {
	f.SIMD(SIMDV128Store)
	f.code = AppendU32(AppendU32(f.code, 4), offset)
	return f
}

// V128Load64Splat appends v128.load64_splat (8-byte alignment): the f64
// at offset in both lanes.
func (f *Func) V128Load64Splat(offset uint32) *Func {
	f.SIMD(SIMDV128Load64Splat)
	f.code = AppendU32(AppendU32(f.code, 3), offset)
	return f
}

// F64x2 appends v128.const holding the f64 lanes lo and hi.
func (f *Func) F64x2(lo, hi float64) *Func {
	f.SIMD(SIMDV128Const)
	f.code = binary.LittleEndian.AppendUint64(f.code, math.Float64bits(lo))
	f.code = binary.LittleEndian.AppendUint64(f.code, math.Float64bits(hi))
	return f
}

// I64x2 appends v128.const holding the i64 lanes lo and hi.
func (f *Func) I64x2(lo, hi uint64) *Func {
	f.SIMD(SIMDV128Const)
	f.code = binary.LittleEndian.AppendUint64(f.code, lo)
	f.code = binary.LittleEndian.AppendUint64(f.code, hi)
	return f
}

// F64x2ReplaceLane appends f64x2.replace_lane lane.
func (f *Func) F64x2ReplaceLane(lane byte) *Func {
	f.SIMD(SIMDF64x2ReplaceLane)
	f.code = append(f.code, lane)
	return f
}

// V128Zero appends v128.const 0.
func (f *Func) V128Zero() *Func {
	f.SIMD(SIMDV128Const)
	f.code = append(f.code, make([]byte, 16)...)
	return f
}

// F64x2ExtractLane appends f64x2.extract_lane lane.
func (f *Func) F64x2ExtractLane(lane byte) *Func {
	f.SIMD(SIMDF64x2ExtractLane)
	f.code = append(f.code, lane)
	return f
}
