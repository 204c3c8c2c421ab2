package host

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// CanExplain reports whether the module has the explain export (ABI 1.1).
func (m *Module) CanExplain() bool {
	_, ok := m.cur.Load().compiled.ExportedFunctions()[abi.ExportExplain]
	return ok
}

// Outputs is the number of raw scores the model has: the class count for a
// softmax model, 1 for a logistic one.
func (m *Module) Outputs() int {
	if m.meta.Objective == model.Logistic {
		return 1
	}
	return m.classes
}

// Contributions runs the module's explain export on one row (Features()
// values): phi receives Outputs() blocks of Features()+1 values, each
// feature's TreeSHAP contribution to the output then the output's bias,
// as model.(*Explainer).Contributions writes them; outlier receives three
// values per detector input, its share of the outlier score, its
// standardised deviation z and its benign mean in input units (nil or
// empty without a detector). It fails with abi.ErrNoExplain for a module
// without the export.
func (m *Module) Contributions(ctx context.Context, row []float32, phi, outlier []float64) error {
	nf := m.features
	d := 0
	if m.meta.Outlier != nil {
		d = len(m.meta.Outlier.Features)
	}
	if len(row) != nf {
		return &abi.Error{Op: "explain", Offset: -1, Err: abi.ErrRowWidth, Detail: fmt.Sprintf("%d values for %d features", len(row), nf)}
	}
	if len(phi) != m.Outputs()*(nf+1) || len(outlier) != 3*d {
		return &abi.Error{Op: "explain", Offset: -1, Err: abi.ErrBatch, Detail: fmt.Sprintf("%d and %d values, want %d and %d", len(phi), len(outlier), m.Outputs()*(nf+1), 3*d)}
	}
	if !m.CanExplain() {
		return &abi.Error{Op: "explain", Offset: -1, Err: abi.ErrNoExplain}
	}
	e := m.acquire()
	defer e.release()
	inst, err := m.get(ctx, e)
	if err != nil {
		return err
	}
	fn := inst.mod.ExportedFunction(abi.ExportExplain)
	g := inst.mod.ExportedGlobal(abi.ExportContrib)
	og := inst.mod.ExportedGlobal(abi.ExportOutputs)
	if fn == nil || g == nil || og == nil || int(uint32(og.Get())) != m.Outputs() {
		e.put(inst)
		return &abi.Error{Op: "explain", Offset: -1, Err: abi.ErrCorrupt, Detail: "explain export without its globals, or of the wrong shape"}
	}
	le := binary.LittleEndian
	in := inst.in[:4*nf]
	for i, v := range row {
		le.PutUint32(in[4*i:], math.Float32bits(v))
	}
	stack := []uint64{0}
	if err := fn.CallWithStack(ctx, stack); err != nil {
		e.discard(ctx, inst) // its state is unknown after a trap
		if cerr := ctx.Err(); cerr != nil {
			// the runtime stopped the call (WithCloseOnContextDone)
			return &abi.Error{Op: "explain", Offset: -1, Err: cerr, Detail: "the module call was stopped"}
		}
		return &abi.Error{Op: "explain", Offset: -1, Err: abi.ErrPredict, Detail: err.Error()}
	}
	if int32(stack[0]) != 0 {
		e.put(inst)
		return &abi.Error{Op: "explain", Offset: -1, Err: abi.ErrPredict, Detail: "module refused the row"}
	}
	buf, ok := inst.mod.ExportedMemory(abi.ExportMemory).Read(uint32(g.Get()), uint32(8*(len(phi)+len(outlier))))
	if !ok {
		e.discard(ctx, inst)
		return &abi.Error{Op: "explain", Offset: -1, Err: abi.ErrCorrupt, Detail: "explanation buffer outside memory"}
	}
	for i := range phi {
		phi[i] = math.Float64frombits(le.Uint64(buf[8*i:]))
	}
	buf = buf[8*len(phi):]
	for i := range outlier {
		outlier[i] = math.Float64frombits(le.Uint64(buf[8*i:]))
	}
	e.put(inst)
	return nil
}
