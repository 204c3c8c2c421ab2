package host

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/flowsense/flowsense/wasm/abi"

	"github.com/flowsense/flowsense/model"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// Option configures Load.
type Option func(*config)

type config struct {
	interpreter    bool
	cacheDir       string
	poolSize       int
	memoryLimit    uint64                 // bytes of linear memory a module may declare
	maxInstances   int                    // live instances at once
	loadTimeout    time.Duration          // the smoke test's time
	tierUp         bool                   // WithTierUp
	topBytes       []byte                 // WithTierUp's module (nil: the loaded one)
	topFunc        func() ([]byte, error) // WithTierUpFunc
	tierReport     func(TierUp)           // WithTierUpReport
	noInterrupt    bool                   // WithoutInterrupt
	topNoInterrupt bool                   // WithTopWithoutInterrupt
}

// WithInterpreter runs the module on wazero's interpreter instead of its
// compiler: slower per call, but no native code generation (for platforms
// the compiler does not support, and to cross-check the two).
func WithInterpreter() Option { return func(c *config) { c.interpreter = true } }

// WithCompilationCache keeps wazero's compiled code in dir, so a later Load
// of the same module in another process skips compilation.
func WithCompilationCache(dir string) Option { return func(c *config) { c.cacheDir = dir } }

// WithPoolSize bounds the number of idle instances kept for reuse (default
// 8). More concurrent callers than that still run; their extra instances
// are closed when returned.
func WithPoolSize(n int) Option { return func(c *config) { c.poolSize = max(1, n) } }

// WithoutInterrupt compiles the module (and a tier-up's) without wazero's
// close-on-context-done: a call already running is not stopped when its
// context is done (the context is checked before each call into the
// module instead), and the module's loops carry no termination checks.
// In exchange a call makes no allocation and starts no goroutine (wazero
// v1.12.0 starts one per call when the option is on, whatever the
// context: 3 allocations and ~1-2 us, RATIONALE.md "Host call").
//
// Only for modules that cannot loop: ones this process compiled with
// wasm/compiler from a validated model (their only loop is over the
// batch's rows). Never for a module from a file or the network: the
// sandbox (sandbox.go) relies on the interrupt to stop a hostile module.
func WithoutInterrupt() Option { return func(c *config) { c.noInterrupt = true } }

// Module is a loaded model module, safe for concurrent use: each call takes
// an instance from a pool (an instance runs one call at a time). With
// WithTierUp the module serves from one engine (tier) and swaps in
// another once it is ready (tier.go).
type Module struct {
	meta     *abi.Metadata
	metaJSON []byte
	enc      *model.Encoder
	cache    wazero.CompilationCache
	// cur is the engine serving; a tier-up swaps it.
	cur atomic.Pointer[engine]
	// tierDone is closed when the tier-up goroutine has ended (closed at
	// Load without one); tierStop asks it to end.
	tierDone chan struct{}
	tierStop context.CancelFunc
	tierErr  error // set before tierDone closes
	// firstCall is closed by the first Classify after Load (the tier-up
	// waits for it); served says it has been.
	firstCall chan struct{}
	served    atomic.Bool

	features, classes int
	maxInstances      int
}

// engine is one compiled module in one wazero runtime, with its pool of
// instances: a tier.
type engine struct {
	tier     string
	rt       wazero.Runtime
	compiled wazero.CompiledModule
	pool     chan *instance
	// slots holds one token per live instance (WithMaxInstances): a
	// caller that finds neither an idle instance nor a free slot waits.
	slots chan struct{}

	maxBatch              int
	input, output, stride uint32
	// in counts the calls running on this engine; a swap waits for them
	// before closing it (retired is then set: a caller that took the
	// engine just before the swap goes to the new one).
	mu      sync.RWMutex
	retired bool
	// interruptible: compiled with WithCloseOnContextDone (not
	// WithoutInterrupt).
	interruptible bool
	calls         atomic.Int64 // calls served, for the tests and the report
}

// instance is one instantiated module with its views of the I/O buffers.
type instance struct {
	e       *engine
	mod     api.Module
	predict api.Function
	in      []byte // view of the input buffer
	out     []byte // view of the output buffer
	stack   []uint64
}

// Load reads a module's metadata, checks its ABI version and exports,
// compiles it once and returns it ready to classify. The bytes are not
// retained. With WithTierUp it compiles on the interpreter (a fraction of
// the compiler's time), and compiles the compiler's tier in the
// background (tier.go).
func Load(ctx context.Context, wasmBytes []byte, opts ...Option) (*Module, error) {
	cfg := config{poolSize: 8, memoryLimit: DefaultMemoryLimit, maxInstances: DefaultMaxInstances, loadTimeout: DefaultLoadTimeout}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.poolSize = min(cfg.poolSize, cfg.maxInstances)
	md, raw, err := abi.ReadMetadataRaw(wasmBytes)
	if err != nil {
		return nil, err
	}
	if md.ABI != abi.Version {
		return nil, &abi.Error{Op: "load", Offset: -1, Err: abi.ErrABI, Detail: fmt.Sprintf("module has ABI %d, this host speaks %d", md.ABI, abi.Version)}
	}
	m := &Module{meta: md, metaJSON: raw, features: len(md.Schema.Features), classes: len(md.Classes), maxInstances: cfg.maxInstances, tierDone: make(chan struct{})}
	if cfg.cacheDir != "" {
		m.cache, err = wazero.NewCompilationCacheWithDir(cfg.cacheDir)
		if err != nil {
			return nil, &abi.Error{Op: "load", Offset: -1, Err: fmt.Errorf("compilation cache: %w", err)}
		}
	}
	first := TierCompiler
	if cfg.interpreter || cfg.tierUp {
		first = TierInterpreter
	}
	e, err := m.newEngine(ctx, wasmBytes, first, &cfg)
	if err != nil {
		if m.cache != nil {
			_ = m.cache.Close(ctx)
		}
		return nil, err
	}
	m.cur.Store(e)
	m.enc = model.NewEncoder(&m.meta.Schema)
	// a prediction to prove the module runs (under the load timeout: a
	// module that loops fails here)
	sctx, cancel := context.WithTimeout(ctx, cfg.loadTimeout)
	defer cancel()
	if err := m.smoke(sctx, "load"); err != nil {
		close(m.tierDone)
		_ = m.Close(ctx)
		return nil, err
	}
	if cfg.tierUp && !cfg.interpreter {
		m.startTierUp(wasmBytes, &cfg)
	} else {
		close(m.tierDone)
	}
	return m, nil
}

// newEngine checks and compiles a module for tier (TierInterpreter: the
// interpreter; otherwise the compiler) in a runtime of its own, and
// instantiates it once (its ABI globals checked against the metadata).
func (m *Module) newEngine(ctx context.Context, wasmBytes []byte, tier string, cfg *config) (*engine, error) {
	rc := wazero.NewRuntimeConfigCompiler()
	if tier == TierInterpreter {
		rc = wazero.NewRuntimeConfigInterpreter()
	}
	// The sandbox: a call stops when its context is done (the module is
	// then closed), and no memory may be larger than the limit (checked by
	// checkSections first, with a clear error; wazero's own check is the
	// net).
	rc = rc.WithCoreFeatures(api.CoreFeaturesV1 | api.CoreFeatureSIMD).
		WithCloseOnContextDone(!cfg.noInterrupt).
		WithMemoryLimitPages(uint32(cfg.memoryLimit / abi.PageBytes))
	if m.cache != nil {
		rc = rc.WithCompilationCache(m.cache)
	}
	if err := checkFunctionTypes(wasmBytes); err != nil {
		return nil, &abi.Error{Op: "load", Offset: -1, Err: abi.ErrCorrupt, Detail: err.Error()}
	}
	if err := abi.CheckDigest(wasmBytes); err != nil {
		return nil, err
	}
	if err := checkSections(wasmBytes, cfg.memoryLimit); err != nil {
		return nil, err
	}
	e := &engine{tier: tier, rt: wazero.NewRuntimeWithConfig(ctx, rc), pool: make(chan *instance, cfg.poolSize), slots: make(chan struct{}, cfg.maxInstances), interruptible: !cfg.noInterrupt}
	fail := func(err error) (*engine, error) {
		_ = e.rt.Close(ctx)
		return nil, err
	}
	var err error
	e.compiled, err = compileModule(ctx, e.rt, wasmBytes)
	if err != nil {
		return fail(&abi.Error{Op: "load", Offset: -1, Err: abi.ErrCorrupt, Detail: err.Error()})
	}
	if err := e.checkExports(); err != nil {
		return fail(err)
	}
	// one instance to read the ABI globals, kept in the pool
	e.slots <- struct{}{}
	inst, err := m.instantiate(ctx, e)
	if err != nil {
		<-e.slots
		return fail(err)
	}
	e.put(inst)
	return e, nil
}

// compileModule is rt.CompileModule with a panic turned into an error:
// wazero v1.12.0's validator can panic on some malformed modules (a
// function whose type index is out of range is caught by
// checkFunctionTypes; this is the net for whatever else), and a host must
// never crash on a bad file.
func compileModule(ctx context.Context, rt wazero.Runtime, b []byte) (c wazero.CompiledModule, err error) {
	defer func() {
		if p := recover(); p != nil {
			c, err = nil, fmt.Errorf("wazero: %v", p)
		}
	}()
	return rt.CompileModule(ctx, b)
}

// instantiateModule is rt.InstantiateModule with a panic turned into an
// error, like compileModule.
func instantiateModule(ctx context.Context, rt wazero.Runtime, c wazero.CompiledModule) (mod api.Module, err error) {
	defer func() {
		if p := recover(); p != nil {
			mod, err = nil, fmt.Errorf("wazero: %v", p)
		}
	}()
	return rt.InstantiateModule(ctx, c, wazero.NewModuleConfig().WithName(""))
}

// checkFunctionTypes checks that every function's type index is in range,
// which wazero v1.12.0 assumes before validating calls.
func checkFunctionTypes(b []byte) error {
	secs, err := wb.Sections(b)
	if err != nil {
		return err
	}
	types := -1
	for _, s := range secs {
		switch s.ID {
		case wb.SecType:
			n, _, err := wb.ReadU32(s.Data)
			if err != nil {
				return err
			}
			types = int(n)
		case wb.SecFunction:
			n, k, err := wb.ReadU32(s.Data)
			if err != nil {
				return err
			}
			p := s.Data[k:]
			for i := uint32(0); i < n; i++ {
				t, k, err := wb.ReadU32(p)
				if err != nil {
					return err
				}
				if int(t) >= types {
					return fmt.Errorf("function %d has type %d of %d", i, t, max(types, 0))
				}
				p = p[k:]
			}
		}
	}
	return nil
}

func (e *engine) checkExports() error {
	bad := func(format string, args ...any) error {
		return &abi.Error{Op: "load", Offset: -1, Err: abi.ErrCorrupt, Detail: fmt.Sprintf(format, args...)}
	}
	if n := len(e.compiled.ImportedFunctions()) + len(e.compiled.ImportedMemories()); n != 0 {
		return bad("module has %d imports, want none", n)
	}
	fn, ok := e.compiled.ExportedFunctions()[abi.ExportPredict]
	if !ok {
		return bad("no %q export", abi.ExportPredict)
	}
	if p, r := fn.ParamTypes(), fn.ResultTypes(); len(p) != 1 || p[0] != api.ValueTypeI32 || len(r) != 1 || r[0] != api.ValueTypeI32 {
		return bad("%q has the wrong signature", abi.ExportPredict)
	}
	mem, ok := e.compiled.ExportedMemories()[abi.ExportMemory]
	if !ok {
		return bad("no %q export", abi.ExportMemory)
	}
	if max, ok := mem.Max(); !ok || max != mem.Min() {
		return bad("memory is not of fixed size")
	}
	if uint64(mem.Min())*abi.PageBytes > abi.MaxMemoryBytes {
		return bad("memory of %d pages is larger than a compiled model's", mem.Min())
	}
	return nil
}

// instantiate makes a new instance of e and checks its ABI globals against
// the metadata.
func (m *Module) instantiate(ctx context.Context, e *engine) (*instance, error) {
	mod, err := instantiateModule(ctx, e.rt, e.compiled)
	if err != nil {
		return nil, &abi.Error{Op: "load", Offset: -1, Err: abi.ErrCorrupt, Detail: err.Error()}
	}
	bad := func(format string, args ...any) (*instance, error) {
		_ = mod.Close(ctx)
		return nil, &abi.Error{Op: "load", Offset: -1, Err: abi.ErrCorrupt, Detail: fmt.Sprintf(format, args...)}
	}
	glob := func(name string) (uint32, bool) {
		g := mod.ExportedGlobal(name)
		if g == nil || g.Type() != api.ValueTypeI32 {
			return 0, false
		}
		return uint32(g.Get()), true
	}
	var vals [7]uint32
	for i, name := range []string{abi.ExportABI, abi.ExportFeatures, abi.ExportClasses, abi.ExportMaxBatch, abi.ExportInput, abi.ExportOutput, abi.ExportStride} {
		v, ok := glob(name)
		if !ok {
			return bad("no i32 global %q", name)
		}
		vals[i] = v
	}
	ver, nf, nc, mb, in, out, stride := vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6]
	if ver != abi.Version {
		_ = mod.Close(ctx)
		return nil, &abi.Error{Op: "load", Offset: -1, Err: abi.ErrABI, Detail: fmt.Sprintf("module exports ABI %d, this host speaks %d", ver, abi.Version)}
	}
	if int(nf) != len(m.meta.Schema.Features) || int(nc) != len(m.meta.Classes) {
		return bad("module has %d features and %d classes, its metadata %d and %d", nf, nc, len(m.meta.Schema.Features), len(m.meta.Classes))
	}
	if mb == 0 || mb > 1<<20 || uint64(stride) != uint64(abi.OutHeaderBytes)+8*uint64(nc) {
		return bad("bad batch size %d or stride %d", mb, stride)
	}
	mem := mod.ExportedMemory(abi.ExportMemory)
	inView, ok1 := mem.Read(in, mb*nf*4)
	outView, ok2 := mem.Read(out, mb*stride)
	if mem == nil || !ok1 || !ok2 {
		return bad("I/O buffers outside memory")
	}
	if e.maxBatch == 0 {
		e.maxBatch, e.input, e.output, e.stride = int(mb), in, out, stride
	} else if e.input != in || e.output != out || e.maxBatch != int(mb) {
		return bad("instances disagree on the ABI")
	}
	return &instance{e: e, mod: mod, predict: mod.ExportedFunction(abi.ExportPredict), in: inView, out: outView, stack: make([]uint64, 1)}, nil
}

// acquire returns the engine serving, read-locked: the caller runs its
// call on it and then calls e.release(). A swap (tier.go) retires the
// old engine once its calls are done; a caller that took it just before
// finds it retired and takes the new one.
func (m *Module) acquire() *engine {
	for {
		e := m.cur.Load()
		e.mu.RLock()
		if !e.retired {
			return e
		}
		e.mu.RUnlock()
	}
}

func (e *engine) release() { e.mu.RUnlock() }

// get takes an idle instance or makes one; when WithMaxInstances are
// live, it waits for one to come back (or for ctx).
func (m *Module) get(ctx context.Context, e *engine) (*instance, error) {
	select {
	case i := <-e.pool:
		return i, nil
	default:
	}
	select {
	case i := <-e.pool:
		return i, nil
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, &abi.Error{Op: "classify", Offset: -1, Err: ctx.Err(), Detail: fmt.Sprintf("waiting for one of %d instances", cap(e.slots))}
	}
	i, err := m.instantiate(ctx, e)
	if err != nil {
		<-e.slots
		return nil, err
	}
	return i, nil
}

// put returns an instance to its engine's pool, or closes it when the
// pool is full.
func (e *engine) put(i *instance) {
	select {
	case e.pool <- i:
	default:
		e.discard(context.Background(), i)
	}
}

// discard closes an instance (after a trap its state is unknown) and
// frees its slot.
func (e *engine) discard(ctx context.Context, i *instance) {
	_ = i.mod.Close(ctx)
	<-e.slots
}

// close releases the engine's instances and runtime.
func (e *engine) close(ctx context.Context) error {
	for {
		select {
		case i := <-e.pool:
			_ = i.mod.Close(ctx)
			continue
		default:
		}
		break
	}
	return e.rt.Close(ctx)
}

// SharedMetadata returns the module's metadata as Load decoded it, not a
// copy: the caller must not modify it (Metadata returns a copy).
func (m *Module) SharedMetadata() *abi.Metadata { return m.meta }

// Metadata returns a copy of the module's metadata.
func (m *Module) Metadata() *abi.Metadata {
	md, err := abi.DecodeMetadata(m.metaJSON)
	if err != nil { // cannot happen: it decoded at Load
		return nil
	}
	return md
}

// Features is the number of values a row carries; MaxBatch the most rows
// one module call takes (Classify splits larger batches).
func (m *Module) Features() int { return m.features }

// MaxBatch is the most rows one call into the module takes.
func (m *Module) MaxBatch() int { return m.cur.Load().maxBatch }

// Close releases the instances, the compiled code and the runtime. A
// tier-up still compiling is stopped (Close waits for it).
func (m *Module) Close(ctx context.Context) error {
	if m.tierStop != nil {
		m.tierStop()
	}
	<-m.tierDone
	e := m.cur.Load()
	if e == nil {
		return nil
	}
	e.mu.Lock() // the calls running end first
	e.retired = true
	e.mu.Unlock()
	err := e.close(ctx)
	if m.cache != nil {
		_ = m.cache.Close(ctx)
	}
	return err
}

// Classify predicts len(out) rows given row-major in rows (len(out) rows of
// Features() float32 values each, categorical values as codes, NaN for
// missing), writing out[i] for row i.
func (m *Module) Classify(ctx context.Context, rows []float32, out []model.Result) error {
	nf := m.features
	if len(rows) != len(out)*nf {
		if len(out) == 0 || len(rows)%nf != 0 {
			return &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrRowWidth, Detail: fmt.Sprintf("%d values for %d rows of %d features", len(rows), len(out), nf)}
		}
		return &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrBatch, Detail: fmt.Sprintf("%d rows, %d results", len(rows)/nf, len(out))}
	}
	e := m.acquire()
	err := m.classifyOn(ctx, e, rows, out)
	e.release()
	if m.firstCall != nil && !m.served.Load() && m.served.CompareAndSwap(false, true) {
		close(m.firstCall)
	}
	return err
}

// classifyOn is Classify on engine e (held by the caller).
func (m *Module) classifyOn(ctx context.Context, e *engine, rows []float32, out []model.Result) error {
	nf := m.features
	inst, err := m.get(ctx, e)
	if err != nil {
		return err
	}
	for start := 0; start < len(out); start += e.maxBatch {
		n := min(e.maxBatch, len(out)-start)
		if err := m.run(ctx, inst, rows[start*nf:(start+n)*nf], out[start:start+n]); err != nil {
			e.discard(ctx, inst) // its state is unknown after a trap
			return err
		}
	}
	e.calls.Add(1)
	e.put(inst)
	return nil
}

func (m *Module) run(ctx context.Context, inst *instance, rows []float32, out []model.Result) error {
	in := inst.in[:len(rows)*4]
	if nativeLittleEndian {
		// the module's layout is the host's: one copy
		copy(in, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(rows))), len(rows)*4))
	} else {
		for i, v := range rows {
			binary.LittleEndian.PutUint32(in[4*i:], math.Float32bits(v))
		}
	}
	if !inst.e.interruptible {
		if err := ctx.Err(); err != nil {
			return &abi.Error{Op: "classify", Offset: -1, Err: err, Detail: "the context was done before the module call"}
		}
	}
	inst.stack[0] = uint64(len(out))
	if err := inst.predict.CallWithStack(ctx, inst.stack); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// the runtime stopped the call (WithCloseOnContextDone)
			return &abi.Error{Op: "classify", Offset: -1, Err: cerr, Detail: "the module call was stopped"}
		}
		return &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrPredict, Detail: err.Error()}
	}
	if int32(inst.stack[0]) != int32(len(out)) {
		return &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrPredict, Detail: "module refused a batch of " + strconv.Itoa(len(out))}
	}
	nc := m.classes
	stride := int(inst.e.stride)
	le := binary.LittleEndian
	for r := range out {
		b := inst.out[r*stride : (r+1)*stride]
		res := &out[r]
		c := int(le.Uint32(b))
		if c < 0 || c >= nc {
			return &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrPredict, Detail: "module returned class " + strconv.Itoa(c)}
		}
		v := le.Uint32(b[4:])
		if v > uint32(model.Anomalous) {
			return &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrPredict, Detail: "module returned verdict " + strconv.Itoa(int(v))}
		}
		res.Class = c
		res.Verdict = model.Verdict(v)
		res.OutlierScore = math.Float64frombits(le.Uint64(b[8:]))
		if cap(res.Probabilities) < nc {
			res.Probabilities = make([]float64, nc)
		}
		res.Probabilities = res.Probabilities[:nc]
		for j := range res.Probabilities {
			res.Probabilities[j] = math.Float64frombits(le.Uint64(b[abi.OutHeaderBytes+8*j:]))
		}
	}
	return nil
}

// nativeLittleEndian says float32s are laid out in memory as the
// module's linear memory holds them (little-endian).
var nativeLittleEndian = func() bool {
	x := uint16(1)
	return *(*byte)(unsafe.Pointer(&x)) == 1
}()

// ClassifyRecord classifies one flow given by named fields: a string is
// read through the schema (a number for a numeric feature, a category name
// for a categorical one), a number is taken as is (as a code for a
// categorical feature), nil is missing, and an absent feature is missing.
// A name the schema lacks gives abi.ErrUnknownFeature; an unseen category of a
// feature whose policy is "error" gives abi.ErrUnknownCategory.
func (m *Module) ClassifyRecord(ctx context.Context, fields map[string]any) (model.Result, error) {
	row := make([]float32, m.features)
	model.NaNRow(row)
	for name, val := range fields {
		i := m.enc.Index(name)
		if i < 0 {
			return model.Result{}, &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrUnknownFeature, Detail: strconv.Quote(name)}
		}
		var v float32
		var err error
		switch x := val.(type) {
		case nil:
			continue
		case string:
			v, err = m.enc.Value(i, x)
		case float64:
			v, err = m.enc.Number(i, x)
		case float32:
			v, err = m.enc.Number(i, float64(x))
		case int:
			v, err = m.enc.Number(i, float64(x))
		case int32:
			v, err = m.enc.Number(i, float64(x))
		case int64:
			v, err = m.enc.Number(i, float64(x))
		case uint32:
			v, err = m.enc.Number(i, float64(x))
		case uint64:
			v, err = m.enc.Number(i, float64(x))
		case bool:
			b := 0.0
			if x {
				b = 1
			}
			v, err = m.enc.Number(i, b)
		default:
			return model.Result{}, &abi.Error{Op: "classify", Offset: -1, Err: abi.ErrFieldType, Detail: fmt.Sprintf("field %q has type %T", name, val)}
		}
		if err != nil {
			return model.Result{}, &abi.Error{Op: "classify", Offset: -1, Err: err}
		}
		row[i] = v
	}
	out := make([]model.Result, 1)
	if err := m.Classify(ctx, row, out); err != nil {
		return model.Result{}, err
	}
	return out[0], nil
}
