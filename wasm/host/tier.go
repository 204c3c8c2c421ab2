package host

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
)

// The tiers a Module serves from (Tier).
const (
	// TierInterpreter is wazero's interpreter on the loaded module: the
	// first tier of WithTierUp (it compiles in a tenth of the compiler's
	// time) and the only one of WithInterpreter.
	TierInterpreter = "interpreter"
	// TierCompiler is wazero's optimizing compiler on the loaded module:
	// Load's default, and the second tier of WithTierUp(nil).
	TierCompiler = "compiler"
	// TierTop is wazero's compiler on the module WithTierUp was given
	// (compiler.TopTier: trees as code).
	TierTop = "top"
)

// TierUpWait is how long the tier-up waits for the first call before it
// compiles anyway, and TierUpAfterFirst how long after the first call it
// starts: compiling while the first request is being answered (its
// answer written, a Lambda runtime's response posted) takes a core from
// it on a small machine.
const (
	TierUpWait       = 50 * time.Millisecond
	TierUpAfterFirst = 5 * time.Millisecond
)

// TierUpRows is how many rows the second tier must answer with the same
// bits as the first before it is swapped in. They are classified
// TierUpBatch at a time, each call bounded by TierUpCallTimeout (or the
// load timeout if shorter): a module that loops on some row (it passed
// the smoke test) fails its tier-up within that time instead of keeping
// a core busy in the background, and the first tier serves on.
const (
	TierUpRows        = 256
	TierUpBatch       = 4
	TierUpCallTimeout = 250 * time.Millisecond
)

// ErrTierMismatch: the second tier of WithTierUp does not answer as the
// first (another model, or a different answer on a checked row); the
// first tier keeps serving.
var ErrTierMismatch = errors.New("the second tier does not answer as the first")

// WithTierUp starts on wazero's interpreter (its compile takes a fraction
// of the compiler's: the first answer comes sooner) and, once the first
// call is answered (or TierUpWait has passed), compiles the second tier
// in the background: top on wazero's compiler (a module of the same
// model, compiler.TopTier's for the fastest warm answers), or the loaded
// module itself when top is nil. The second tier is swapped in once it
// answers TierUpRows rows (the smoke rows, then random rows drawn from
// the schema and the reference histograms' edges) with the same bits as
// the first; calls running on the first tier finish there, and none is
// lost. A top module that fails to load or answers differently is
// dropped (WithTierUpReport says why) for the loaded module on the
// compiler, and if that fails too the first tier keeps serving.
// WithInterpreter overrides it (no tier-up). top is not retained.
func WithTierUp(top []byte) Option {
	return func(c *config) { c.tierUp, c.topBytes = true, top }
}

// WithTierUpFunc is WithTierUp with the second tier's module made by top
// on the tier-up's goroutine (compiling compiler.TopTier's module from a
// model file, say), so that making it does not delay Load either. An
// error from top ends the tier-up; the first tier serves on.
func WithTierUpFunc(top func() ([]byte, error)) Option {
	return func(c *config) { c.tierUp, c.topBytes, c.topFunc = true, nil, top }
}

// WithTopWithoutInterrupt loads WithTierUp's or WithTierUpFunc's top
// module WithoutInterrupt (no allocation, no goroutine per call), the
// first tier and the compiler fallback keeping the interrupt. Only for a
// top module this process compiled (compiler.TopTier from a validated
// model: it cannot loop); the tier-up's check of its answers then has no
// per-call bound either.
func WithTopWithoutInterrupt() Option { return func(c *config) { c.topNoInterrupt = true } }

// WithTierUpReport calls fn once the tier-up has ended: swapped, failed,
// or stopped by Close. It runs on the tier-up's goroutine.
func WithTierUpReport(fn func(TierUp)) Option { return func(c *config) { c.tierReport = fn } }

// TierUp is the outcome of a tier-up.
type TierUp struct {
	// From is the first tier, Tier the one serving now (From when Err is
	// not nil).
	From, Tier string
	// Compile is the second tier's load (made by WithTierUpFunc's
	// function, checked, compiled, instantiated once),
	// Verify its check against the first, Since the time from Load's
	// return to the swap.
	Compile, Verify, Since time.Duration
	// FirstTierCalls is how many calls the first tier served (Load's
	// smoke test among them).
	FirstTierCalls int64
	// Err is why the second tier was dropped: a load error, an
	// ErrTierMismatch, or the context's error when Close stopped it.
	Err error
	// TopErr is why the top tier (WithTierUp's module, WithTierUpFunc's)
	// was dropped; the loaded module on the compiler was then tried, and
	// Err is that one's outcome.
	TopErr error
}

// Tier is the tier serving now: TierInterpreter, TierCompiler or TierTop.
func (m *Module) Tier() string { return m.cur.Load().tier }

// TierUpDone is closed when the tier-up has ended (at once without
// WithTierUp); TierUpErr then tells whether it failed.
func (m *Module) TierUpDone() <-chan struct{} { return m.tierDone }

// TierUpErr is why the tier-up failed, nil if it succeeded or has not
// ended (or there was none).
func (m *Module) TierUpErr() error {
	select {
	case <-m.tierDone:
		return m.tierErr
	default:
		return nil
	}
}

// startTierUp runs the tier-up in its own goroutine.
func (m *Module) startTierUp(wasmBytes []byte, cfg *config) {
	ctx, cancel := context.WithCancel(context.Background())
	m.tierStop = cancel
	b, tier := wasmBytes, TierCompiler
	if cfg.topBytes != nil || cfg.topFunc != nil {
		b, tier = cfg.topBytes, TierTop
	}
	// the bytes are not retained past Load: keep a copy for the goroutine
	b = append([]byte(nil), b...)
	top := cfg.topFunc
	var own []byte // the loaded module, the compiler's tier if the top tier fails
	if tier == TierTop {
		own = append([]byte(nil), wasmBytes...)
	}
	m.firstCall = make(chan struct{})
	loaded := time.Now()
	c := *cfg
	go func() {
		defer close(m.tierDone)
		from := m.cur.Load()
		r := TierUp{From: from.tier, Tier: from.tier}
		wait := time.NewTimer(TierUpWait)
		select {
		case <-m.firstCall:
			wait.Reset(TierUpAfterFirst)
			select {
			case <-wait.C:
			case <-ctx.Done():
			}
		case <-wait.C:
		case <-ctx.Done():
		}
		wait.Stop()
		if r.Err = ctx.Err(); r.Err == nil {
			r.Err = m.tierUp(ctx, b, top, tier, &c, &r)
		}
		if r.Err != nil && own != nil && ctx.Err() == nil {
			// the top tier failed: the loaded module on the compiler
			r.TopErr, r.Err = r.Err, m.tierUp(ctx, own, nil, TierCompiler, &c, &r)
		}
		r.FirstTierCalls = from.calls.Load()
		r.Since = time.Since(loaded)
		m.tierErr = r.Err
		if c.tierReport != nil {
			c.tierReport(r)
		}
	}()
}

// tierUp loads the second tier, checks it against the first and swaps it
// in.
func (m *Module) tierUp(ctx context.Context, b []byte, top func() ([]byte, error), tier string, cfg *config, r *TierUp) error {
	t0 := time.Now()
	if top != nil {
		var err error
		if b, err = top(); err != nil {
			return fmt.Errorf("making the second tier: %w", err)
		}
	}
	if err := m.sameModel(b); err != nil {
		return err
	}
	ecfg := cfg
	if tier == TierTop && cfg.topNoInterrupt {
		c := *cfg
		c.noInterrupt = true
		ecfg = &c
	}
	next, err := m.newEngine(ctx, b, tier, ecfg)
	r.Compile = time.Since(t0)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		_ = next.close(context.Background())
		return err
	}
	t1 := time.Now()
	err = m.verifyTier(ctx, next, min(TierUpCallTimeout, cfg.loadTimeout))
	r.Verify = time.Since(t1)
	if err != nil {
		_ = next.close(context.Background())
		return err
	}
	old := m.cur.Swap(next)
	r.Tier = next.tier
	old.mu.Lock() // the calls running on the first tier end there
	old.retired = true
	old.mu.Unlock()
	_ = old.close(context.Background())
	return nil
}

// sameModel checks that b is a module of the loaded model: the same
// model hash, schema, classes, detector and explain export.
func (m *Module) sameModel(b []byte) error {
	md, _, err := abi.ReadMetadataRaw(b)
	if err != nil {
		return err
	}
	a := m.meta
	switch {
	case md.ModelSHA256 != a.ModelSHA256:
		return fmt.Errorf("%w: model sha256 %s, the first tier's %s", ErrTierMismatch, md.ModelSHA256, a.ModelSHA256)
	case md.ABI != a.ABI, md.Objective != a.Objective, !reflect.DeepEqual(md.Schema, a.Schema),
		!reflect.DeepEqual(md.Classes, a.Classes), !reflect.DeepEqual(md.Benign, a.Benign), !reflect.DeepEqual(md.Outlier, a.Outlier):
		return fmt.Errorf("%w: its metadata differs", ErrTierMismatch)
	}
	return nil
}

// verifyTier checks that next answers TierUpRows rows with the same bits
// as the engine serving, and has the same explain export.
func (m *Module) verifyTier(ctx context.Context, next *engine, callTimeout time.Duration) error {
	cur := m.cur.Load() // only this goroutine swaps
	_, a := cur.compiled.ExportedFunctions()[abi.ExportExplain]
	_, b := next.compiled.ExportedFunctions()[abi.ExportExplain]
	if a != b {
		return fmt.Errorf("%w: explain export %v, the first tier's %v", ErrTierMismatch, b, a)
	}
	rows := verifyRows(m.meta, TierUpRows)
	n := len(rows) / m.features
	want := make([]model.Result, n)
	got := make([]model.Result, n)
	nf := m.features
	for start := 0; start < n; start += TierUpBatch {
		end := min(n, start+TierUpBatch)
		for _, e := range []*engine{cur, next} {
			out := want
			if e == next {
				out = got
			}
			cctx, cancel := context.WithTimeout(ctx, callTimeout)
			e.mu.RLock()
			err := m.classifyOn(cctx, e, rows[start*nf:end*nf], out[start:end])
			e.mu.RUnlock()
			cancel()
			if err != nil {
				return fmt.Errorf("checking the %s tier on rows %d to %d: %w", e.tier, start, end-1, err)
			}
		}
	}
	for i := range want {
		if !sameBits(want[i], got[i]) {
			return fmt.Errorf("%w: row %d: %s %+v, %s %+v", ErrTierMismatch, i, cur.tier, want[i], next.tier, got[i])
		}
	}
	return nil
}

// sameBits compares two answers bit for bit.
func sameBits(a, b model.Result) bool {
	if a.Class != b.Class || a.Verdict != b.Verdict || math.Float64bits(a.OutlierScore) != math.Float64bits(b.OutlierScore) || len(a.Probabilities) != len(b.Probabilities) {
		return false
	}
	for j := range a.Probabilities {
		if math.Float64bits(a.Probabilities[j]) != math.Float64bits(b.Probabilities[j]) {
			return false
		}
	}
	return true
}

// verifyRows are n rows to check a tier with: every feature missing,
// every feature zero, then rows whose values are drawn (seeded: the same
// rows every time) from each feature's reference histogram edges and
// their neighbouring floats, its category codes (one past the last too),
// NaN, zero and wide random values.
func verifyRows(md *abi.Metadata, n int) []float32 {
	nf := len(md.Schema.Features)
	rows := make([]float32, n*nf)
	model.NaNRow(rows[:nf])
	r := rand.New(rand.NewPCG(14, 14))
	for i := 2; i < n; i++ {
		row := rows[i*nf : (i+1)*nf]
		for j := range row {
			f := md.Schema.Features[j]
			var edges []float64
			if j < len(md.Reference) {
				edges = md.Reference[j].Edges
			}
			switch k := r.IntN(8); {
			case k == 0:
				row[j] = float32(math.NaN())
			case f.Kind == model.Categorical:
				row[j] = float32(r.IntN(len(f.Categories) + 1))
			case k <= 4 && len(edges) > 0:
				v := float32(edges[r.IntN(len(edges))])
				switch r.IntN(3) {
				case 1:
					v = math.Nextafter32(v, float32(math.Inf(1)))
				case 2:
					v = math.Nextafter32(v, float32(math.Inf(-1)))
				}
				row[j] = v
			case k == 5:
				row[j] = 0
			default:
				row[j] = float32((r.Float64()*2 - 1) * math.Pow(10, float64(r.IntN(9))))
			}
		}
	}
	return rows
}
