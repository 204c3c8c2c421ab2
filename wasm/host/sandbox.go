package host

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/flowsense/flowsense/model"
	"github.com/flowsense/flowsense/wasm/abi"
	wb "github.com/flowsense/flowsense/wasm/internal/wasmbin"
)

// The sandbox's defaults.
const (
	// DefaultMemoryLimit is the most linear memory a module may declare
	// (WithMemoryLimit): 256 MiB, some fifty times what a model of a
	// thousand depth-8 trees needs.
	DefaultMemoryLimit = 256 << 20
	// DefaultMaxInstances bounds the instances alive at once
	// (WithMaxInstances), so that memory is bounded by DefaultMaxInstances
	// times the module's.
	DefaultMaxInstances = 16
	// DefaultLoadTimeout bounds Load's smoke test (WithLoadTimeout): two
	// rows take microseconds on the compiler and a few milliseconds on the
	// interpreter for a model of thousands of trees.
	DefaultLoadTimeout = 2 * time.Second
)

// WithMemoryLimit refuses, at Load, a module that declares more than n
// bytes of linear memory (default DefaultMemoryLimit; rounded down to
// whole 64 KiB pages, at least one page, at most 4 GiB).
func WithMemoryLimit(n uint64) Option {
	return func(c *config) { c.memoryLimit = min(max(n, abi.PageBytes), 1<<32) / abi.PageBytes * abi.PageBytes }
}

// WithMaxInstances bounds the instances alive at once (default
// DefaultMaxInstances): more concurrent callers wait for one (or for their
// context). The pool of idle instances is at most this large.
func WithMaxInstances(n int) Option { return func(c *config) { c.maxInstances = max(1, n) } }

// WithLoadTimeout bounds the smoke test Load runs (default
// DefaultLoadTimeout); a module whose prediction takes longer is refused.
func WithLoadTimeout(d time.Duration) Option {
	return func(c *config) {
		if d > 0 {
			c.loadTimeout = d
		}
	}
}

// secStart is the start section's id: a function run at instantiation.
const secStart = 8

// checkSections refuses what the sandbox does not run: a start function
// (code run at instantiation, outside any call's context; a compiled
// model has none) and a memory larger than limit bytes.
func checkSections(b []byte, limit uint64) error {
	secs, err := wb.Sections(b)
	if err != nil {
		return &abi.Error{Op: "load", Offset: -1, Err: abi.ErrCorrupt, Detail: err.Error()}
	}
	for _, s := range secs {
		switch s.ID {
		case secStart:
			return &abi.Error{Op: "load", Offset: s.Offset, Err: abi.ErrRefused, Detail: "the module has a start function (a flowsense module never needs one)"}
		case wb.SecMemory:
			n, k, err := wb.ReadU32(s.Data)
			if err != nil {
				return &abi.Error{Op: "load", Offset: s.Offset, Err: abi.ErrCorrupt, Detail: "memory section: " + err.Error()}
			}
			p := s.Data[k:]
			for i := uint32(0); i < n; i++ {
				if len(p) == 0 {
					return &abi.Error{Op: "load", Offset: s.Offset, Err: abi.ErrCorrupt, Detail: "memory section: truncated"}
				}
				flags := p[0]
				pages, k, err := wb.ReadU32(p[1:])
				if err != nil {
					return &abi.Error{Op: "load", Offset: s.Offset, Err: abi.ErrCorrupt, Detail: "memory section: " + err.Error()}
				}
				p = p[1+k:]
				if flags&1 != 0 { // a maximum follows
					mx, k, err := wb.ReadU32(p)
					if err != nil {
						return &abi.Error{Op: "load", Offset: s.Offset, Err: abi.ErrCorrupt, Detail: "memory section: " + err.Error()}
					}
					p = p[k:]
					pages = max(pages, mx)
				}
				if uint64(pages)*abi.PageBytes > limit {
					return &abi.Error{Op: "load", Offset: s.Offset, Err: abi.ErrRefused, Detail: fmt.Sprintf("the module declares %d pages (%s) of memory, over this host's limit of %s", pages, kib(uint64(pages)*abi.PageBytes), kib(limit))}
				}
			}
		}
	}
	return nil
}

// Check runs the smoke test Load runs: a prediction on the schema's
// default rows (every feature missing; every feature zero), its answers
// checked for shape and range. A host's readiness probe can call it after
// a failed call to learn whether the module is still sound. It is bounded
// by ctx.
func (m *Module) Check(ctx context.Context) error { return m.smoke(ctx, "check") }

func (m *Module) smoke(ctx context.Context, op string) error {
	nf := m.features
	rows := make([]float32, 2*nf)
	model.NaNRow(rows[:nf])
	out := make([]model.Result, 2)
	if err := m.Classify(ctx, rows, out); err != nil {
		return &abi.Error{Op: op, Offset: -1, Err: abi.ErrSmoke, Detail: err.Error()}
	}
	for i, r := range out {
		if err := m.checkResult(r); err != nil {
			return &abi.Error{Op: op, Offset: -1, Err: abi.ErrSmoke, Detail: fmt.Sprintf("row %d: %v", i, err)}
		}
	}
	return nil
}

// checkResult holds one answer to ABI.md's output contract.
func (m *Module) checkResult(r model.Result) error {
	sum := 0.0
	best := 0
	for j, p := range r.Probabilities {
		if math.IsNaN(p) || p < 0 || p > 1 {
			return fmt.Errorf("probability %d is %v", j, p)
		}
		sum += p
		if p > r.Probabilities[best] {
			best = j
		}
	}
	if math.Abs(sum-1) > 1e-6 {
		return fmt.Errorf("probabilities sum to %v", sum)
	}
	if r.Class != best {
		return fmt.Errorf("class %d is not the first of highest probability (%d)", r.Class, best)
	}
	if m.meta.Outlier == nil && r.OutlierScore != 0 {
		return fmt.Errorf("outlier score %v without a detector", r.OutlierScore)
	}
	benign := slices.Contains(m.meta.Benign, r.Class)
	want := model.Malicious
	if benign {
		want = model.Benign
		if o := m.meta.Outlier; o != nil && r.OutlierScore > o.Threshold {
			want = model.Anomalous
		}
	}
	if r.Verdict != want {
		return fmt.Errorf("verdict %d for class %d and score %v, want %d", r.Verdict, r.Class, r.OutlierScore, want)
	}
	return nil
}

// kib writes a byte count in KiB, or MiB when whole.
func kib(n uint64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d KiB", n>>10)
}
